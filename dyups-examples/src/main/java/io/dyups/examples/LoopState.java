package io.dyups.examples;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoop;

/**
 * What one event loop owns, touched by that loop's thread only, so none of it needs a lock: its connection count
 * against {@code worker_connections} (clients and backends alike, as nginx counts them), its timeouts, its idle
 * backend connections, and its cached times.
 */
final class LoopState {
  final EventLoop loop;
  /** This loop's number within its group, for per-loop buffers such as the access log's. */
  final int index;
  final int maxConnections;
  final Deadlines deadlines = new Deadlines();
  final BackendPool backends = new BackendPool();
  private final Clock clock = new Clock();
  /** Where a backend request head is made ({@link BackendRequest.Builder}), reused request after request. */
  final ByteBuf scratch = Unpooled.buffer(512);
  /** Where an access log line is made, reused line after line. */
  final StringBuilder logLine = new StringBuilder(256);
  int connections;
  private long lastLimitWarning;

  LoopState(EventLoop loop, int index, int maxConnections) {
    this.loop = loop;
    this.index = index;
    this.maxConnections = maxConnections;
  }

  Clock clock() {
    return clock;
  }

  /** Whether another connection fits; counts it when it does. */
  boolean tryOpen() {
    if (connections >= maxConnections) {
      return false;
    }
    connections++;
    return true;
  }

  void closed() {
    connections--;
  }

  /** True at most once a second: nginx's "worker_connections are not enough" must not flood the log. */
  boolean shouldWarnAboutLimit() {
    long now = System.nanoTime();
    if (now - lastLimitWarning < 1_000_000_000L && lastLimitWarning != 0) {
      return false;
    }
    lastLimitWarning = now;
    return true;
  }
}
