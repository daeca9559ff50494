package io.dyups.examples;

import io.dyups.parser.KeepaliveSettings;
import java.net.SocketAddress;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * One event loop's idle keep-alive connections to backends, as nginx's upstream keepalive module keeps them in
 * each worker: per upstream, {@code keepalive N} idle connections at most, each closed after
 * {@code keepalive_timeout} idle, after {@code keepalive_requests} requests, or once older than
 * {@code keepalive_time}. A request takes the most recently used idle connection to its peer's address
 * (ngx_http_upstream_get_keepalive_peer).
 *
 * <p>One difference from nginx, on purpose: nginx closes the least recently used connection the moment a release
 * makes more than N idle; here the excess is closed when it has been idle for {@value #GRACE_MILLIS} ms (at the
 * loop's next timeout sweep). When many requests end in one burst and their clients' next requests are a moment
 * behind (a thousand clients on one loop), nginx closes connections only to open new ones an instant later; here
 * those requests find the connections still open. The bound still holds for any connection idle longer than that.
 * Used on its event loop only.
 */
final class BackendPool {
  static final long GRACE_MILLIS = 100;
  private static final long GRACE_NANOS = GRACE_MILLIS * 1_000_000;

  /** The idle connections of one upstream, most recently used first, and its current {@code keepalive N}. */
  private static final class Idle {
    final ArrayDeque<BackendConnection> connections = new ArrayDeque<>();
    int max;
  }

  private final Map<String, Idle> idle = new HashMap<>();

  /**
   * An idle connection to {@code address} for upstream {@code upstream}, made with the same TLS ({@code tlsRoute}
   * as {@link BackendConnection#tlsRoute}; null for plain HTTP), taken out of the pool, or null.
   */
  @Nullable
  BackendConnection take(String upstream, SocketAddress address, @Nullable String tlsRoute) {
    Idle pool = idle.get(upstream);
    if (pool == null || pool.connections.isEmpty()) {
      return null;
    }
    for (Iterator<BackendConnection> it = pool.connections.iterator(); it.hasNext(); ) {
      BackendConnection connection = it.next();
      if (connection.address.equals(address) && java.util.Objects.equals(connection.tlsRoute, tlsRoute)) {
        it.remove();
        connection.pooledIn = null;
        return connection;
      }
    }
    return null;
  }

  /**
   * Keeps {@code connection}, whose last exchange ended cleanly, when the upstream's settings allow; closes it
   * otherwise.
   */
  void offer(String upstream, KeepaliveSettings settings, BackendConnection connection) {
    long now = System.nanoTime();
    if (settings.connections() == 0 || connection.requests >= settings.requests()
        || now - connection.createdNanos >= settings.time().toNanos() || !connection.channel().isActive()) {
      connection.close();
      return;
    }
    Idle pool = idle.computeIfAbsent(upstream, name -> new Idle());
    pool.max = settings.connections();
    pool.connections.addFirst(connection);
    connection.pooledIn = pool.connections;
    connection.idleSince = now;
    connection.idleUntil(now + settings.timeout().toNanos());
  }

  /** Closes, in every upstream, the connections beyond {@code keepalive N} that stayed idle past the grace. */
  void trim(long now) {
    for (Iterator<Idle> it = idle.values().iterator(); it.hasNext(); ) {
      Idle pool = it.next();
      ArrayDeque<BackendConnection> connections = pool.connections;
      while (connections.size() > pool.max && now - connections.peekLast().idleSince >= GRACE_NANOS) {
        BackendConnection oldest = connections.pollLast();
        oldest.pooledIn = null;
        oldest.close();
      }
      if (connections.isEmpty()) {
        it.remove();
      }
    }
  }

  /** Forgets a pooled connection that closed or timed out. */
  void remove(BackendConnection connection) {
    ArrayDeque<BackendConnection> connections = connection.pooledIn;
    if (connections != null) {
      connections.remove(connection);
      connection.pooledIn = null;
    }
  }

  /** Idle connections of every upstream. */
  int size() {
    int n = 0;
    for (Idle pool : idle.values()) {
      n += pool.connections.size();
    }
    return n;
  }
}
