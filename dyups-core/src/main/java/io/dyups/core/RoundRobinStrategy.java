package io.dyups.core;

/** nginx's default method: smooth weighted round robin, then the backups. */
final class RoundRobinStrategy extends Strategy.Tiered {
  static final RoundRobinStrategy INSTANCE = new RoundRobinStrategy();

  @Override
  int pickIn(Peer[] tier, PeerSelection selection, long now) {
    return smooth(tier, selection, now, null, -1);
  }
}
