package io.dyups.core;

import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * What one server shares across workers and across every generation of a group in which its line stayed the
 * same: each worker's {@link WorkerPeerCounters} and the active health check's verdict (in Tengine the check's status
 * lives in shared memory, seen by every worker). The health fields are guarded by the group's shared lock.
 */
final class SharedPeerState {
  // One per worker, made when the worker first picks; null before. Replaced when a new generation has another
  // number of workers. Guarded by the shared lock.
  WorkerPeerCounters[] counters;
  // Set by an active health check (HealthChecker or the application's own): the peer takes no requests.
  boolean checkDown;
  // The HealthChecker's bookkeeping: checks passed or failed in a row, when the next is due, one at a time.
  int checkSuccesses;
  int checkFailures;
  boolean checkScheduled;
  long nextCheckNanos;
  boolean checkInFlight;

  // The health checks' statistics (NGINX Plus's health_checks): checks made, failed, times the peer became
  // unhealthy, the last check's verdict (null before the first).
  long checks;
  long checksFailed;
  long unhealthy;
  @Nullable Boolean lastPassed;
  // Made down by default_down=true: NGINX Plus's "checking" until the first check (checkedOnce, which a reset of
  // the statistics leaves as it is).
  final boolean startedDown;
  boolean checkedOnce;
  // While checkDown: the epoch milliseconds it began, else -1; and the milliseconds of the periods that ended.
  long checkDownSinceMillis = -1;
  long checkDowntimeMillis;
  // slow_start's ramp of a server added to a running upstream: when it began (0: none), for the workers whose
  // counters are made later.
  long rampStartNanos;
  // The requests the last statistics read found, and when it found more than the read before (selected).
  long seenRequests;
  long seenAtMillis;
  // The figures of workers whose counters were replaced (the upstream's number of workers changed with zone).
  final PeerTraffic retired = new PeerTraffic();
  long retiredRequests;
  long retiredDowntimeMillis;

  SharedPeerState(WorkerPeerCounters[] counters, boolean checkDown, long nowMillis) {
    this.counters = counters;
    this.checkDown = checkDown;
    if (checkDown) {
      checkDownSinceMillis = nowMillis;
    }
    this.startedDown = checkDown;
  }

  /**
   * Sets the active health check's verdict, counts the periods the peer is unhealthy, and copies it to every
   * worker. Callers hold the shared lock.
   */
  void setCheckDown(boolean down, long nowMillis) {
    if (down == checkDown) {
      return;
    }
    checkDown = down;
    if (down) {
      unhealthy++;
      checkDownSinceMillis = nowMillis;
    } else if (checkDownSinceMillis >= 0) {
      checkDowntimeMillis += Math.max(0, nowMillis - checkDownSinceMillis);
      checkDownSinceMillis = -1;
    }
    publishCheckDown();
  }

  /**
   * Gives the statistics of the workers' counters to {@link #retired} before the counters are replaced by as many
   * as a new number of workers. Callers hold the shared lock.
   */
  void retireCounters(WorkerPeerCounters[] replacement, long nowMillis) {
    eachWorker(counters, worker -> {
      PeerTraffic traffic = worker.trafficToRead();
      retired.add(traffic);
      retiredRequests += worker.releases;
      retiredDowntimeMillis += traffic.downSinceMillis >= 0
          ? Math.max(0, Math.min(nowMillis, worker.outEndMillis()) - traffic.downSinceMillis) : 0;
    });
    counters = replacement;
  }

  /** Forgets the statistics; see {@link PeerGroup#resetStatistics()}. Callers hold the shared lock. */
  void resetStatistics(long nowMillis) {
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
    eachWorker(counters, worker -> {
      PeerTraffic traffic = worker.traffic;
      if (traffic != null) {
        traffic.reset(nowMillis);
      }
      worker.releases = -worker.conns;
    });
  }

  /** Copies {@link #checkDown} to every worker. Callers hold the shared lock, which comes before a worker's. */
  void publishCheckDown() {
    eachWorker(counters, worker -> worker.setCheckDown(checkDown));
  }

  /**
   * Runs {@code action} on the counters of each worker that has them, under that worker's lock. Callers hold the
   * shared lock, so that no worker is being made meanwhile.
   */
  static void eachWorker(WorkerPeerCounters[] counters, Consumer<WorkerPeerCounters> action) {
    for (WorkerPeerCounters worker : counters) {
      if (worker == null || worker.owner == null) {
        continue;
      }
      BalancingLock lock = worker.owner.lock;
      lock.lock();
      try {
        action.accept(worker);
      } finally {
        lock.unlock();
      }
    }
  }
}
