package io.dyups.core;

import java.util.concurrent.ThreadLocalRandom;

/**
 * {@code random} and {@code random two [least_conn]}, as ngx_http_upstream_random_module: a primary drawn with
 * probability proportional to its weight (ngx_http_upstream_get_random_peer); with {@code two}, two different
 * primaries are drawn and the one with fewer connections relative to its weight wins, the second on a tie
 * (ngx_http_upstream_get_random2_peer).
 */
final class RandomStrategy extends Strategy.Drawing {
  private final boolean two;

  RandomStrategy(boolean two) {
    this.two = two;
  }

  @Override
  int draw(PeerSelection selection, WorkerPeerCounters[] peers, long now) {
    PeerGroup group = selection.group;
    int index = byWeight(group, ThreadLocalRandom.current().nextInt(group.totalWeight));
    int previous = selection.previousDraw;
    // random two compares two different peers: drawing the first one again is a draw that does not count
    // (ngx_http_upstream_get_random2_peer: if (peer == prev) goto next).
    if (index == previous || !eligible(peers[index], index, selection, now)) {
      return -1;
    }
    if (!two) {
      return take(selection, peers, index, now);
    }
    if (previous < 0) {
      selection.previousDraw = index;
      return -1;
    }
    if (peers[previous].lessLoadedThan(peers[index])) {
      index = previous;
    }
    return take(selection, peers, index, now);
  }
}
