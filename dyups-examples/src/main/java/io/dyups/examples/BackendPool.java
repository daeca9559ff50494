package io.dyups.examples;

import io.dyups.parser.Address;
import io.dyups.parser.KeepaliveSettings;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * One event loop's idle keep-alive connections to backends, as nginx's upstream keepalive module keeps them in
 * each worker: per upstream, at most {@code keepalive N} idle connections in all (the least recently used closed
 * first), each closed after {@code keepalive_timeout} idle, after {@code keepalive_requests} requests, or once
 * older than {@code keepalive_time}. A request takes the most recently used idle connection to its peer's
 * address (ngx_http_upstream_get_keepalive_peer). Used on its event loop only.
 */
final class BackendPool {
  private final Map<String, ArrayDeque<BackendConnection>> idle = new HashMap<>();

  /** An idle connection to {@code address} for upstream {@code upstream}, taken out of the pool, or null. */
  @Nullable
  BackendConnection take(String upstream, Address address) {
    ArrayDeque<BackendConnection> connections = idle.get(upstream);
    if (connections == null || connections.isEmpty()) {
      return null;
    }
    for (Iterator<BackendConnection> it = connections.iterator(); it.hasNext(); ) {
      BackendConnection connection = it.next();
      if (connection.address.equals(address)) {
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
    ArrayDeque<BackendConnection> connections = idle.computeIfAbsent(upstream, name -> new ArrayDeque<>());
    connections.addFirst(connection);
    connection.pooledIn = connections;
    connection.idleUntil(now + settings.timeout().toNanos());
    while (connections.size() > settings.connections()) {
      BackendConnection oldest = connections.pollLast();
      oldest.pooledIn = null;
      oldest.close();
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

  /** Idle connections of every upstream, for tests and the status of the pool. */
  int size() {
    int n = 0;
    for (ArrayDeque<BackendConnection> connections : idle.values()) {
      n += connections.size();
    }
    return n;
  }
}
