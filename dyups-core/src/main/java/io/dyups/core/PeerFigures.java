package io.dyups.core;

import org.jspecify.annotations.Nullable;

/**
 * The statistics of one server that are shared by its workers ({@link SharedPeerState}), made the first time one of
 * them is written or read (a health check, a statistics read, a change of the number of workers, {@code
 * default_down}), so that a server whose statistics nobody reads costs no more memory than before them. Guarded by
 * the group's shared lock.
 */
final class PeerFigures {
  /** What a server that has no figures yet reads as its own; never written. */
  static final PeerFigures NONE = new PeerFigures();

  // NGINX Plus's health_checks: checks made, failed, times the server became unhealthy, the last check's verdict
  // (null before the first).
  long checks;
  long checksFailed;
  long unhealthy;
  @Nullable Boolean lastPassed;
  // While the server is marked down by a health check: the epoch milliseconds it began, else -1; and the
  // milliseconds of the periods that ended.
  long checkDownSinceMillis = -1;
  long checkDowntimeMillis;
  // The requests the last statistics read found, and when it found more than the read before (selected).
  long seenRequests;
  long seenAtMillis;
  // The figures of workers whose counters were replaced (the upstream's number of workers changed with zone).
  final PeerTraffic retired = new PeerTraffic();
  long retiredRequests;
  long retiredDowntimeMillis;

  /** Forgets the figures; a current unhealthy period starts again now. */
  void reset(long nowMillis) {
    checks = 0;
    checksFailed = 0;
    unhealthy = 0;
    lastPassed = null;
    checkDowntimeMillis = 0;
    if (checkDownSinceMillis >= 0) {
      checkDownSinceMillis = nowMillis;
    }
    retired.reset(nowMillis);
    retiredRequests = 0;
    retiredDowntimeMillis = 0;
    seenRequests = 0;
    seenAtMillis = 0;
  }
}
