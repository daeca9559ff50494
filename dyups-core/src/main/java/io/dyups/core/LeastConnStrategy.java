package io.dyups.core;

/**
 * {@code least_conn}: the peer with the fewest active connections relative to its weight; among equals, smooth
 * weighted round robin, as ngx_http_upstream_least_conn_module. While the worker has no active connection on its
 * primaries, every peer ties, and a request's first pick is round robin's, from the worker's cycle when it holds.
 */
final class LeastConnStrategy extends Strategy.Tiered {
  @Override
  int pickIn(PeerCounters[] tier, PeerSelection selection, long now) {
    Worker worker = selection.worker;
    boolean primaries = tier == worker.primaries;
    if (primaries && worker.busy == 0 && worker.onSchedule() && selection.firstTry()) {
      return worker.nextScheduled();
    }
    // Every primary clean (counted by the worker that owns the counters) and none tried yet: every one is
    // eligible, and the checks can be skipped.
    boolean allEligible = primaries && !worker.retired && worker.unclean == 0 && selection.firstTry();
    PeerCounters best = null;
    int bestIndex = -1;
    boolean many = false;
    for (int i = 0; i < tier.length; i++) {
      PeerCounters peer = tier[i];
      if (!allEligible && !eligible(peer, i, selection, now)) {
        continue;
      }
      if (best == null || (long) peer.conns * best.weight < (long) best.conns * peer.weight) {
        best = peer;
        bestIndex = i;
        many = false;
      } else if ((long) peer.conns * best.weight == (long) best.conns * peer.weight) {
        many = true;
      }
    }
    if (best == null) {
      return -1;
    }
    if (many) {
      if (primaries) {
        worker.materialize();
      }
      int total = 0;
      PeerCounters first = best;
      for (int i = bestIndex; i < tier.length; i++) {
        PeerCounters peer = tier[i];
        if (!allEligible && !eligible(peer, i, selection, now)) {
          continue;
        }
        if ((long) peer.conns * first.weight != (long) first.conns * peer.weight) {
          continue;
        }
        peer.currentWeight += peer.effectiveWeight;
        total += peer.effectiveWeight;
        if (peer.effectiveWeight < peer.weight) {
          peer.effectiveWeight++;
          peer.updateClean();
        }
        if (peer.currentWeight > best.currentWeight) {
          best = peer;
          bestIndex = i;
        }
      }
      best.currentWeight -= total;
      if (primaries) {
        worker.tryResume();
      }
    }
    touch(best, selection, now);
    return bestIndex;
  }
}
