package io.dyups.examples;

import io.dyups.core.Upstream;
import io.dyups.core.UpstreamChange;
import io.dyups.core.UpstreamListener;
import io.dyups.parser.Address;
import io.dyups.parser.ServerSpec;
import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * Socket addresses for the peers' {@link Address}es, made off the request path: IP literals are converted without
 * a resolver, host names are resolved when an upstream naming them is loaded or changed (on the registry's
 * notification thread), as nginx resolves upstream host names when it reads its configuration. An event loop
 * only looks addresses up; a host name not resolved yet (or not resolvable) is a failed connect to that peer.
 */
final class PeerAddresses implements UpstreamListener {
  private final ConcurrentHashMap<Address, InetSocketAddress> resolved = new ConcurrentHashMap<>();
  private final ServerLog errorLog;

  PeerAddresses(ServerLog errorLog) {
    this.errorLog = errorLog;
  }

  /** The socket address of {@code address}, or null when it has none (unresolved name, unix socket). */
  @Nullable
  InetSocketAddress get(Address address) {
    InetSocketAddress known = resolved.get(address);
    if (known != null) {
      return known;
    }
    if (address.kind() == Address.Kind.IPV4 || address.kind() == Address.Kind.IPV6) {
      InetAddress ip = NetUtil.createInetAddressFromIpAddressString(address.host());
      if (ip == null) {
        return null;
      }
      InetSocketAddress made = new InetSocketAddress(ip, address.port());
      resolved.putIfAbsent(address, made);
      return made;
    }
    return null;
  }

  /** Resolves the host names of {@code upstream}'s servers; blocking, so never on an event loop. */
  void prepare(Upstream upstream) {
    for (ServerSpec server : upstream.definition().servers()) {
      Address address = server.address();
      if (address.kind() == Address.Kind.HOST && !resolved.containsKey(address)) {
        try {
          resolved.put(address, new InetSocketAddress(InetAddress.getByName(address.host()), address.port()));
        } catch (UnknownHostException e) {
          errorLog.error("host not found in upstream \"" + address + "\" of upstream \"" + upstream.name() + "\"");
        }
      }
    }
  }

  @Override
  public void onChange(UpstreamChange change) {
    if (change.current() != null) {
      prepare(change.current());
    }
  }
}
