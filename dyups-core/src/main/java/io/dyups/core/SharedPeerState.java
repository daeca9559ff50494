package io.dyups.core;

import java.util.function.Consumer;

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

  SharedPeerState(WorkerPeerCounters[] counters, boolean checkDown) {
    this.counters = counters;
    this.checkDown = checkDown;
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
