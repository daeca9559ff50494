package io.dyups.core;

import io.dyups.parser.ServerSpec;
import java.net.SocketAddress;
import org.jspecify.annotations.Nullable;

/**
 * One peer as a group is built from it: the parameters of its server line ({@code weight} and {@code backup} as an
 * SRV record gave them, for a server with {@code service=}), the address it connects to, and the name nginx's
 * consistent hash reads ({@link Peer#hashName()}). Two groups give a peer's live state to each other's peer with an
 * equal endpoint.
 *
 * @param spec the server line's parameters as this peer uses them
 * @param address an {@link java.net.InetSocketAddress} made from an address (never looked up again) or a
 *     {@link java.net.UnixDomainSocketAddress}
 * @param serviceTarget the target of the SRV record this peer's address came from, for a server with {@code
 *     service=}; null otherwise
 * @param runTime true for an address of a name with {@code resolve}, which nginx adds after the other peers
 */
record Endpoint(ServerSpec spec, SocketAddress address, @Nullable String serviceTarget, boolean runTime) {
  /**
   * The endpoint of a server written as an address or a unix socket: its socket address made from the address as
   * written ({@link HostTable#literal}), as {@link Peer#endpoint()} makes it again.
   */
  static Endpoint written(ServerSpec server) {
    return new Endpoint(server, HostTable.literal(server.address()), null, false);
  }
}
