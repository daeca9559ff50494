package io.dyups.core;

/**
 * {@code least_conn}: the peer with the fewest active connections relative to its weight; among equals, smooth
 * weighted round robin, as ngx_http_upstream_get_least_conn_peer. While the worker has no active connection on its
 * primaries and every one is eligible, every peer ties and a request's first pick is round robin's.
 */
final class LeastConnStrategy extends Strategy.Tiered {
  @Override
  int pickIn(WorkerPeerCounters[] tier, PeerSelection selection, long now) {
    Worker worker = selection.worker;
    boolean allEligible = tier == worker.primaries && worker.allEligible(selection);
    if (allEligible && worker.idle()) {
      return worker.roundRobin(tier, selection, now);
    }
    if (tier == worker.primaries && worker.picksByLanes()) {
      return worker.pickByLanes(selection, now);
    }
    PeerGroup group = selection.group;
    WorkerPeerCounters best = null;
    int bestIndex = -1;
    boolean many = false;
    for (int i = 0; i < tier.length; i++) {
      WorkerPeerCounters peer = tier[i];
      if (!allEligible && !eligible(peer, i, selection, now)) {
        continue;
      }
      if (best == null) {
        best = peer;
        bestIndex = i;
        continue;
      }
      int load = WorkerPeerCounters.compareLoads(peer.conns, peer.weight, best.conns, best.weight);
      if (load < 0) {
        best = peer;
        bestIndex = i;
        many = false;
      } else if (load == 0) {
        many = true;
      }
    }
    if (best == null) {
      return -1;
    }
    if (many) {
      return worker.roundRobinAmongLeastLoaded(tier, selection, now, bestIndex);
    }
    best.startFailureWindow(group, now);
    return bestIndex;
  }
}
