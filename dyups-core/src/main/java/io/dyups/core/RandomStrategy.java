package io.dyups.core;

import java.util.concurrent.ThreadLocalRandom;

/**
 * {@code random} and {@code random two [least_conn]}, as ngx_http_upstream_random_module: a primary drawn with
 * probability proportional to its weight (ngx_http_upstream_get_random_peer); with {@code two}, two are drawn and
 * the one with fewer connections relative to its weight wins (ngx_http_upstream_get_random2_peer).
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
    if (!eligible(peers[index], index, selection, now)) {
      return -1;
    }
    if (!two) {
      return take(selection, peers, index, now);
    }
    int previous = selection.previousDraw;
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
