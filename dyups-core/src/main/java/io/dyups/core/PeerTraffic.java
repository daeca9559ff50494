package io.dyups.core;

import java.util.Arrays;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One worker's traffic figures for one peer, the parts of NGINX Plus's per-peer statistics that requests make
 * ({@link PeerStatistics}): responses by status, bytes, failures, times taken out and for how long. Kept apart from
 * the {@link WorkerPeerCounters} it belongs to, so that a pick never reads its cache lines: only a failure, a
 * release the application reported figures with ({@link PeerSelection#succeeded(int, long, long, long, long)}) and a
 * reader touch it. No
 * figure needs the clock on a request that went well. Made by the first of them that writes
 * ({@link WorkerPeerCounters#traffic()}).
 * Guarded by the lock of the worker whose counters hold it; a reader adds the workers' figures up ({@link #add}).
 */
final class PeerTraffic {
  /** What a worker that has no figures yet reads as its own; never written. */
  static final PeerTraffic NONE = new PeerTraffic();
  private static final int[] NO_STATUSES = {};
  private static final long[] NO_COUNTS = {};

  // What a reported release writes comes first, so that it lies in as few cache lines as the object allows.
  // Responses by status (NGINX Plus's codes; the classes and the total are their sums). The first status this
  // worker saw (0 before; most responses have it) and its count are fields, so that such a response touches no
  // array; the others follow in the order first seen. A worker sees few (200, 304, 404...), so one of those scans a
  // few ints; nothing is allocated but when a status is new to this worker.
  long firstStatusCount;
  // The sums of the times reported, in nanoseconds as reported (no division on the release; a long holds 292
  // years of them). Every response counted has a time unless the application did not know it (a negative time):
  // only those are counted, so that the usual release adds no count of times.
  long headerTimeNanos;
  long responseTimeNanos;
  long sent;
  long received;
  int firstStatus;
  int statusesSeen;
  int[] statuses = NO_STATUSES;
  long[] statusCounts = NO_COUNTS;
  long headerTimesUnknown;
  long responseTimesUnknown;
  // Reported releases without a response (status 0): with the responses, the releases this worker counted here
  // rather than in WorkerPeerCounters.releases (reportedReleases()).
  long releasesWithoutResponse;
  // Every failure, where WorkerPeerCounters.fails counts those since the last good request.
  long fails;
  // Times this worker took the peer out for max_fails failures.
  long unavail;
  // Epoch milliseconds of the last failure, 0 before: a failure reads the clock anyway.
  long selectedMillis;
  // Out-periods: the epoch milliseconds the current one began (-1: not out since the last period ended), and the
  // milliseconds of the periods that ended.
  long downSinceMillis = -1;
  long downtimeMillis;

  /**
   * Counts what the application reported of one request: its response (status 0: none; then the times are not
   * read), with times in nanoseconds, negative when not known, and its bytes.
   */
  void record(int status, long headerNanos, long responseNanos, long sent, long received) {
    if (status != 0) {
      countStatus(status, 1);
      if (headerNanos >= 0) {
        headerTimeNanos += headerNanos;
      } else {
        headerTimesUnknown++;
      }
      if (responseNanos >= 0) {
        responseTimeNanos += responseNanos;
      } else {
        responseTimesUnknown++;
      }
    } else {
      releasesWithoutResponse++;
    }
    this.sent += sent;
    this.received += received;
  }

  /**
   * The releases the application reported figures with: each counts one request here, by its response (or as
   * without one), and not in {@link WorkerPeerCounters#releases}, so that a reported release stores one count less.
   */
  long reportedReleases() {
    return responses() + releasesWithoutResponse;
  }

  /** How many header times {@link #headerTimeNanos} sums: the responses that came with one. */
  long headerTimes() {
    return responses() - headerTimesUnknown;
  }

  /** How many response times {@link #responseTimeNanos} sums. */
  long responseTimes() {
    return responses() - responseTimesUnknown;
  }

  /** Adds {@code count} responses of {@code status}. */
  private void countStatus(int status, long count) {
    if (status == firstStatus) {
      firstStatusCount += count;
      return;
    }
    countOtherStatus(status, count);
  }

  private void countOtherStatus(int status, long count) {
    if (firstStatus == 0) {
      firstStatus = status;
      firstStatusCount = count;
      return;
    }
    int[] statuses = this.statuses;
    int seen = statusesSeen;
    for (int i = 0; i < seen; i++) {
      if (statuses[i] == status) {
        statusCounts[i] += count;
        return;
      }
    }
    if (seen == statuses.length) {
      int capacity = Math.max(4, 2 * seen);
      this.statuses = Arrays.copyOf(statuses, capacity);
      statusCounts = Arrays.copyOf(statusCounts, capacity);
    }
    this.statuses[seen] = status;
    statusCounts[seen] = count;
    statusesSeen = seen + 1;
  }

  /** Every response counted, whatever its status. */
  long responses() {
    long total = firstStatusCount;
    for (int i = 0; i < statusesSeen; i++) {
      total += statusCounts[i];
    }
    return total;
  }

  /**
   * The responses whose status begins with {@code digit} (1 to 5, NGINX Plus's 1xx to 5xx; a status of 600 to 999
   * is in no class, only in the total and the codes).
   */
  long responsesOfClass(int digit) {
    long sum = firstStatus / 100 == digit ? firstStatusCount : 0;
    for (int i = 0; i < statusesSeen; i++) {
      if (statuses[i] / 100 == digit) {
        sum += statusCounts[i];
      }
    }
    return sum;
  }

  /** The responses by status, in increasing order of status; only statuses counted at least once. */
  SortedMap<Integer, Long> responsesByStatus() {
    SortedMap<Integer, Long> codes = new TreeMap<>();
    if (firstStatusCount != 0) {
      codes.put(firstStatus, firstStatusCount);
    }
    for (int i = 0; i < statusesSeen; i++) {
      if (statusCounts[i] != 0) {
        codes.merge(statuses[i], statusCounts[i], Long::sum);
      }
    }
    return codes;
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
    if (other.firstStatus != 0) {
      countStatus(other.firstStatus, other.firstStatusCount);
    }
    for (int i = 0; i < other.statusesSeen; i++) {
      countStatus(other.statuses[i], other.statusCounts[i]);
    }
    sent += other.sent;
    received += other.received;
    fails += other.fails;
    unavail += other.unavail;
    headerTimeNanos += other.headerTimeNanos;
    headerTimesUnknown += other.headerTimesUnknown;
    responseTimeNanos += other.responseTimeNanos;
    responseTimesUnknown += other.responseTimesUnknown;
    releasesWithoutResponse += other.releasesWithoutResponse;
    selectedMillis = Math.max(selectedMillis, other.selectedMillis);
    downtimeMillis += other.downtimeMillis;
  }

  /** Forgets every figure, as NGINX Plus's DELETE of an upstream; a current out-period starts again now. */
  void reset(long nowMillis) {
    // The statuses stay where they are, so that a reset allocates nothing on the next response.
    firstStatusCount = 0;
    Arrays.fill(statusCounts, 0);
    sent = 0;
    received = 0;
    fails = 0;
    unavail = 0;
    headerTimeNanos = 0;
    headerTimesUnknown = 0;
    responseTimeNanos = 0;
    responseTimesUnknown = 0;
    releasesWithoutResponse = 0;
    selectedMillis = 0;
    downtimeMillis = 0;
    if (downSinceMillis >= 0) {
      downSinceMillis = nowMillis;
    }
  }
}
