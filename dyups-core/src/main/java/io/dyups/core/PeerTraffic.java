package io.dyups.core;

/**
 * One worker's traffic figures for one peer, the parts of NGINX Plus's per-peer statistics that requests make
 * ({@link PeerStatistics}): responses by class, bytes, failures, times taken out and for how long. Kept apart from
 * the {@link WorkerPeerCounters} it belongs to, so that a pick never reads its cache lines: only a failure, a
 * release the application reported figures for ({@link PeerSelection#recordResponse}) and a reader touch it. No
 * figure needs the clock on a request that went well. Made by the first of them that writes
 * ({@link WorkerPeerCounters#traffic()}).
 * Guarded by the lock of the worker whose counters hold it; a reader adds the workers' figures up ({@link #add}).
 */
final class PeerTraffic {
  /** What a worker that has no figures yet reads as its own; never written. */
  static final PeerTraffic NONE = new PeerTraffic();

  // Responses by the first digit of their status, and every response reported, whatever its status.
  long responses1xx;
  long responses2xx;
  long responses3xx;
  long responses4xx;
  long responses5xx;
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
  // Epoch milliseconds of the last failure, 0 before: a failure reads the clock anyway.
  long selectedMillis;
  // Out-periods: the epoch milliseconds the current one began (-1: not out since the last period ended), and the
  // milliseconds of the periods that ended.
  long downSinceMillis = -1;
  long downtimeMillis;

  /** Counts one response the application reported; the times are in nanoseconds, negative when not known. */
  void recordResponse(int status, long headerNanos, long responseNanos) {
    responses++;
    switch (status / 100) {
      case 1 -> responses1xx++;
      case 2 -> responses2xx++;
      case 3 -> responses3xx++;
      case 4 -> responses4xx++;
      case 5 -> responses5xx++;
      default -> {
        // 600 to 999: counted in the total only, as NGINX Plus.
      }
    }
    if (headerNanos >= 0) {
      headerTimeMillis += headerNanos / 1_000_000L;
      headerTimes++;
    }
    if (responseNanos >= 0) {
      responseTimeMillis += responseNanos / 1_000_000L;
      responseTimes++;
    }
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
    responses1xx += other.responses1xx;
    responses2xx += other.responses2xx;
    responses3xx += other.responses3xx;
    responses4xx += other.responses4xx;
    responses5xx += other.responses5xx;
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
    responses1xx = 0;
    responses2xx = 0;
    responses3xx = 0;
    responses4xx = 0;
    responses5xx = 0;
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
