package io.dyups.core;

import io.dyups.parser.Address;
import io.dyups.parser.ServerSpec;

/**
 * One server of an upstream with its live state. The definition ({@link #spec()}) is immutable; the counters
 * change as requests use the peer. Every method is safe to call from any thread; the counters read are a
 * consistent view at the time of the call.
 */
public final class Peer {
  private final ServerSpec spec;
  final PeerState state;
  final PeerGroup group;
  // Precomputed from the spec so that selection does no arithmetic on Durations.
  final int weight;
  final int maxFails;
  final int maxConns;
  final long failTimeoutSeconds;
  final boolean down;
  // The address as nginx's consistent hash reads it: as written, "unix:" stripped.
  final String hashName;

  Peer(ServerSpec spec, PeerState state, PeerGroup group) {
    this.spec = spec;
    this.state = state;
    this.group = group;
    this.weight = spec.weight();
    this.maxFails = spec.maxFails();
    this.maxConns = spec.maxConns();
    this.failTimeoutSeconds = spec.failTimeout().getSeconds();
    this.down = spec.down();
    this.hashName = spec.address().toString();
  }

  /** The server line this peer was built from. */
  public ServerSpec spec() {
    return spec;
  }

  /** Where the peer is. */
  public Address address() {
    return spec.address();
  }

  /** Requests currently using this peer. */
  public int activeConnections() {
    group.lock.lock();
    try {
      return state.conns;
    } finally {
      group.lock.unlock();
    }
  }

  /** Failures counted since the peer last served a request well (nginx's {@code fails}). */
  public int failures() {
    group.lock.lock();
    try {
      return state.fails;
    } finally {
      group.lock.unlock();
    }
  }

  /**
   * True while the peer is taken out for failures: {@code max_fails} failures, the last less than
   * {@code fail_timeout} ago.
   */
  public boolean isOut() {
    long now = group.nowSeconds();
    group.lock.lock();
    try {
      return isFailed(now);
    } finally {
      group.lock.unlock();
    }
  }

  /**
   * False while an active health check has marked the peer down: the {@link HealthChecker} for upstreams with a
   * {@code check} directive, or the application through {@link #setHealthy}. A new server of an upstream whose
   * {@code check} says {@code default_down=true} starts unhealthy; a server whose line did not change in an
   * update keeps its health.
   */
  public boolean isHealthy() {
    group.lock.lock();
    try {
      return !state.checkDown;
    } finally {
      group.lock.unlock();
    }
  }

  /**
   * Marks the peer healthy or not, for an application that runs its own active health checks. An unhealthy peer
   * is never picked, by any balancing method. For upstreams with a {@code check} directive the
   * {@link HealthChecker} sets this itself.
   */
  public void setHealthy(boolean healthy) {
    group.lock.lock();
    try {
      state.checkDown = !healthy;
    } finally {
      group.lock.unlock();
    }
  }

  /**
   * True when a new request could be sent to this peer now: not down, healthy, not out, under {@code max_conns}.
   */
  public boolean isAvailable() {
    long now = group.nowSeconds();
    group.lock.lock();
    try {
      return usable(now);
    } finally {
      group.lock.unlock();
    }
  }

  // Callers hold group.lock. now may be PeerGroup.UNREAD: the clock is read only for a peer at max_fails.
  boolean isFailed(long now) {
    return maxFails != 0 && state.fails >= maxFails && group.seconds(now) - state.checked <= failTimeoutSeconds;
  }

  // Callers hold group.lock. now may be PeerGroup.UNREAD.
  boolean usable(long now) {
    return !down && !state.checkDown && !isFailed(now) && !(maxConns != 0 && state.conns >= maxConns);
  }

  @Override
  public String toString() {
    return spec.address().toString();
  }
}
