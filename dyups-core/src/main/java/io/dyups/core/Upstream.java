package io.dyups.core;

import static java.util.Objects.requireNonNull;

import io.dyups.parser.ServerSpec;
import io.dyups.parser.UpstreamBlock;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One upstream as the registry published it: its name, the version of this definition, the definition and the
 * live peers built from it. The definition never changes; an update publishes a new {@code Upstream}, so a
 * request that found this one can finish on it while later requests find the new one. Safe to share.
 */
public final class Upstream {
  private final String name;
  private final long version;
  private final UpstreamBlock definition;
  private final PeerGroup peers;
  // Place in the listing: given at first appearance, kept when replaced.
  final long order;
  // The servers with their ids, made by the first caller that asks (racy but idempotent: every thread computes
  // the same list from the immutable definition).
  private volatile @Nullable List<UpstreamServer> servers;

  Upstream(String name, long version, UpstreamBlock definition, PeerGroup peers, long order) {
    this.name = requireNonNull(name, "name");
    this.version = version;
    this.definition = requireNonNull(definition, "definition");
    this.peers = requireNonNull(peers, "peers");
    this.order = order;
  }

  /** The name as first written (names compare ignoring ASCII case). */
  public String name() {
    return name;
  }

  /**
   * The version of this definition: unique in the registry and larger than every version published before it,
   * so a name deleted and created again never repeats one.
   */
  public long version() {
    return version;
  }

  /** The upstream block this upstream was built from. */
  public UpstreamBlock definition() {
    return definition;
  }

  /** The live peers: pick from them with a {@link PeerSelection}. */
  public PeerGroup peers() {
    return peers;
  }

  /**
   * The servers written with a host name, in the order written, each with what its name resolves to now and the
   * addresses its peers have. Empty when every server is an address or a unix socket.
   */
  public List<HostStatus> hosts() {
    return peers.hosts();
  }

  /**
   * The servers as written, in order, each with its id ({@link UpstreamServer}): the ids NGINX Plus's API names
   * servers by. Made once per upstream; an upstream with many servers pays for it only when asked.
   */
  public List<UpstreamServer> servers() {
    List<UpstreamServer> list = servers;
    if (list == null) {
      List<ServerSpec> specs = definition.servers();
      int[] ids = ServerIds.of(specs);
      UpstreamServer[] made = new UpstreamServer[ids.length];
      for (int i = 0; i < ids.length; i++) {
        made[i] = new UpstreamServer(ids[i], specs.get(i));
      }
      list = List.of(made);
      servers = list;
    }
    return list;
  }

  /** The server with id {@code id}, or null when there is none. */
  public @Nullable UpstreamServer server(int id) {
    for (UpstreamServer server : servers()) {
      if (server.id() == id) {
        return server;
      }
    }
    return null;
  }

  /**
   * The id of the server {@code peer} (one of this upstream's) was built from: the server with the peer's address
   * and the same line, else the first with its address (a server with {@code service=} gives its peers SRV
   * weights); -1 for a peer of another upstream. The peers of a host name share their server's id.
   */
  public int serverId(Peer peer) {
    int byAddress = -1;
    for (UpstreamServer server : servers()) {
      if (server.spec().address().equals(peer.address())) {
        if (server.spec().equals(peer.spec())) {
          return server.id();
        }
        if (byAddress < 0) {
          byAddress = server.id();
        }
      }
    }
    return byAddress;
  }

  @Override
  public String toString() {
    return "Upstream[" + name + " v" + version + ", " + definition.servers().size() + " servers]";
  }
}
