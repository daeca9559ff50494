package io.dyups.core;

/**
 * One worker's traffic figures for one peer, the parts of NGINX Plus's per-peer statistics that requests make
 * ({@link PeerStatistics}): responses by class, bytes, failures, times taken out and for how long. Kept apart from
 * the {@link WorkerPeerCounters} it belongs to, so that a pick never reads its cache lines: only a failure, a
 * release the application reported figures for ({@link PeerSelection#recordResponse}) and a reader touch it.
 * Guarded by the lock of the worker whose counters hold it; a reader adds the workers' figures up ({@link #add}).
 */
final class PeerTraffic {
  // Responses by the first digit of their status (index 1 to 5), and every response reported, whatever its status.
  final long[] responsesByClass = new long[6];
  long responses;
  long sent;
  long received;
  // Every failure, where WorkerPeerCounters.fails counts those since the last good request.
  long fails;
  // Times this worker took the peer out for max_fails failures.
  long unavail;
  // The sums of the times reported, in milliseconds, and how many there were.
  long headerTimeMillis;
  long headerTimes;
  long responseTimeMillis;
  long responseTimes;
  // Epoch milliseconds of the last request whose figures were reported, 0 before.
  long selectedMillis;
  // Out-periods: the epoch milliseconds the current one began (-1: not out since the last period ended), and the
  // milliseconds of the periods that ended.
  long downSinceMillis = -1;
  long downtimeMillis;

  /** Counts one response the application reported. */
  void recordResponse(int status, long headerNanos, long responseNanos, long nowMillis) {
    responses++;
    int statusClass = status / 100;
    if (statusClass >= 1 && statusClass <= 5) {
      responsesByClass[statusClass]++;
    }
    if (headerNanos >= 0) {
      headerTimeMillis += headerNanos / 1_000_000L;
      headerTimes++;
    }
    if (responseNanos >= 0) {
      responseTimeMillis += responseNanos / 1_000_000L;
      responseTimes++;
    }
    selectedMillis = Math.max(selectedMillis, nowMillis);
  }

  void recordBytes(long sent, long received) {
    this.sent += sent;
    this.received += received;
  }

  /**
   * The worker took the peer out at {@code nowMillis}; the out-period before, if it was not closed yet, ended at
   * {@code previousEndMillis} (when its failure window ran out).
   */
  void wentOut(long nowMillis, long previousEndMillis) {
    unavail++;
    closeOutPeriod(previousEndMillis);
    downSinceMillis = nowMillis;
  }

  /** The out-period, if any, ended at {@code endMillis}. */
  void closeOutPeriod(long endMillis) {
    if (downSinceMillis >= 0) {
      downtimeMillis += Math.max(0, endMillis - downSinceMillis);
      downSinceMillis = -1;
    }
  }

  /** Adds {@code other}'s figures (not its out-period, which the caller reads with the worker's state). */
  void add(PeerTraffic other) {
    for (int i = 0; i < responsesByClass.length; i++) {
      responsesByClass[i] += other.responsesByClass[i];
    }
    responses += other.responses;
    sent += other.sent;
    received += other.received;
    fails += other.fails;
    unavail += other.unavail;
    headerTimeMillis += other.headerTimeMillis;
    headerTimes += other.headerTimes;
    responseTimeMillis += other.responseTimeMillis;
    responseTimes += other.responseTimes;
    selectedMillis = Math.max(selectedMillis, other.selectedMillis);
    downtimeMillis += other.downtimeMillis;
  }

  /** Forgets every figure, as NGINX Plus's DELETE of an upstream; a current out-period starts again now. */
  void reset(long nowMillis) {
    java.util.Arrays.fill(responsesByClass, 0);
    responses = 0;
    sent = 0;
    received = 0;
    fails = 0;
    unavail = 0;
    headerTimeMillis = 0;
    headerTimes = 0;
    responseTimeMillis = 0;
    responseTimes = 0;
    selectedMillis = 0;
    downtimeMillis = 0;
    if (downSinceMillis >= 0) {
      downSinceMillis = nowMillis;
    }
  }
}
