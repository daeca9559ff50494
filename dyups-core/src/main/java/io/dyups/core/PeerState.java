package io.dyups.core;

/**
 * The live state of one server, as nginx keeps it in {@code ngx_http_upstream_rr_peer_t}. Shared by every
 * generation of a group in which the server's definition stayed the same, so that requests still running on an
 * old generation release into the same counters. Guarded by the group's lock.
 */
final class PeerState {
  int currentWeight;
  int effectiveWeight;
  int conns;
  int fails;
  // Seconds on the group's ticker, as nginx's ngx_time().
  long accessed;
  long checked;
  // Set by an active health check (HealthChecker or the application's own): the peer takes no requests.
  boolean checkDown;
  // The HealthChecker's bookkeeping: checks passed or failed in a row, when the next is due, one at a time.
  int checkSuccesses;
  int checkFailures;
  boolean checkScheduled;
  long nextCheckNanos;
  boolean checkInFlight;

  PeerState(int weight) {
    this.effectiveWeight = weight;
  }
}
