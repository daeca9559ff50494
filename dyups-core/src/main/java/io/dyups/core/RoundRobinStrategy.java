package io.dyups.core;

/**
 * nginx's default method: smooth weighted round robin, then the backups. While every primary is clean, a
 * request's first pick follows the worker's precomputed cycle, which is the same order without the loop over
 * every peer.
 */
final class RoundRobinStrategy extends Strategy.Tiered {
  static final RoundRobinStrategy INSTANCE = new RoundRobinStrategy();

  @Override
  int pickIn(PeerCounters[] tier, PeerSelection selection, long now) {
    Worker worker = selection.worker;
    if (tier != worker.primaries) {
      return smooth(tier, selection, now, null, -1);
    }
    if (worker.onSchedule() && selection.firstTry()) {
      return worker.nextScheduled();
    }
    int index = smooth(tier, selection, now, null, -1);
    worker.tryResume();
    return index;
  }
}
