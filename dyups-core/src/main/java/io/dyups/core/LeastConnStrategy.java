package io.dyups.core;

/**
 * {@code least_conn}: the peer with the fewest active connections relative to its weight; among equals, smooth
 * weighted round robin, as ngx_http_upstream_least_conn_module.
 */
final class LeastConnStrategy extends Strategy.Tiered {
  @Override
  int pickIn(Peer[] tier, PeerSelection selection, long now) {
    Peer best = null;
    int bestIndex = -1;
    boolean many = false;
    for (int i = 0; i < tier.length; i++) {
      Peer peer = tier[i];
      if (!eligible(peer, i, selection, now)) {
        continue;
      }
      long left = (long) peer.state.conns * (best == null ? 0 : best.weight);
      long right = best == null ? 0 : (long) best.state.conns * peer.weight;
      if (best == null || left < right) {
        best = peer;
        bestIndex = i;
        many = false;
      } else if (left == right) {
        many = true;
      }
    }
    if (best == null) {
      return -1;
    }
    if (many) {
      int total = 0;
      Peer first = best;
      for (int i = bestIndex; i < tier.length; i++) {
        Peer peer = tier[i];
        if (!eligible(peer, i, selection, now)) {
          continue;
        }
        if ((long) peer.state.conns * first.weight != (long) first.state.conns * peer.weight) {
          continue;
        }
        PeerState state = peer.state;
        state.currentWeight += state.effectiveWeight;
        total += state.effectiveWeight;
        if (state.effectiveWeight < peer.weight) {
          state.effectiveWeight++;
        }
        if (state.currentWeight > best.state.currentWeight) {
          best = peer;
          bestIndex = i;
        }
      }
      best.state.currentWeight -= total;
    }
    touch(best, now);
    return bestIndex;
  }
}
