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
  // The HealthChecker's bookkeeping, made by its first check (checkProgress()): servers of upstreams without
  // check, most of them, keep none.
  private @Nullable CheckProgress checkProgress;

  // Made down by default_down=true: NGINX Plus's "checking" until the first check (checkedOnce, which a reset of
  // the statistics leaves as it is).
  final boolean startedDown;
  boolean checkedOnce;
  // slow_start's ramp of a server added to a running upstream: when it began (0: none), for the workers whose
  // counters are made later.
  long rampStartNanos;
  // The statistics shared by the workers, made on first use (figures()).
  private @Nullable PeerFigures figures;

  SharedPeerState(WorkerPeerCounters[] counters, boolean checkDown, long nowMillis) {
    this.counters = counters;
    this.checkDown = checkDown;
    if (checkDown) {
      figures().checkDownSinceMillis = nowMillis;
    }
    this.startedDown = checkDown;
  }

  /** The HealthChecker's bookkeeping of this server: checks passed or failed in a row, when the next is due. */
  static final class CheckProgress {
    int successes;
    int failures;
    boolean scheduled;
    long nextNanos;
    // One check at a time.
    boolean inFlight;
  }

  /** The HealthChecker's bookkeeping, made on first use. Callers hold the shared lock. */
  CheckProgress checkProgress() {
    CheckProgress made = checkProgress;
    if (made == null) {
      made = new CheckProgress();
      checkProgress = made;
    }
    return made;
  }

  /** The shared statistics, made on first use. Callers hold the shared lock. */
  PeerFigures figures() {
    PeerFigures made = figures;
    if (made == null) {
      made = new PeerFigures();
      figures = made;
    }
    return made;
  }

  /** The shared statistics to read: all zeros when none were made. Callers hold the shared lock. */
  PeerFigures figuresToRead() {
    PeerFigures made = figures;
    return made != null ? made : PeerFigures.NONE;
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
    PeerFigures shared = figures();
    if (down) {
      shared.unhealthy++;
      shared.checkDownSinceMillis = nowMillis;
    } else if (shared.checkDownSinceMillis >= 0) {
      shared.checkDowntimeMillis += Math.max(0, nowMillis - shared.checkDownSinceMillis);
      shared.checkDownSinceMillis = -1;
    }
    publishCheckDown();
  }

  /**
   * Gives the statistics of the workers' counters to {@link PeerFigures#retired} before the counters are replaced by
   * as many as a new number of workers. Callers hold the shared lock.
   */
  void retireCounters(WorkerPeerCounters[] replacement, long nowMillis) {
    PeerFigures shared = figures();
    eachWorker(counters, worker -> {
      PeerTraffic traffic = worker.trafficToRead();
      shared.retired.add(traffic);
      shared.retiredRequests += worker.releases;
      shared.retiredDowntimeMillis += traffic.downSinceMillis >= 0
          ? Math.max(0, Math.min(nowMillis, worker.outEndMillis()) - traffic.downSinceMillis) : 0;
    });
    counters = replacement;
  }

  /** Forgets the statistics; see {@link PeerGroup#resetStatistics()}. Callers hold the shared lock. */
  void resetStatistics(long nowMillis) {
    PeerFigures shared = figures;
    if (shared != null) {
      shared.reset(nowMillis);
    }
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
