package io.dyups.core;

/**
 * nginx's default method: smooth weighted round robin over the primaries, then the backups
 * (ngx_http_upstream_get_round_robin_peer).
 */
final class RoundRobinStrategy extends Strategy.Tiered {
  static final RoundRobinStrategy INSTANCE = new RoundRobinStrategy();

  @Override
  int pickIn(WorkerPeerCounters[] tier, PeerSelection selection, long now) {
    return selection.worker.roundRobin(tier, selection, now);
  }
}
