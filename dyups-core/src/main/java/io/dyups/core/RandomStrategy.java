package io.dyups.core;

import java.util.concurrent.ThreadLocalRandom;

/**
 * {@code random} and {@code random two [least_conn]}, as ngx_http_upstream_random_module: a primary drawn with
 * probability proportional to its weight; with {@code two}, two are drawn and the one with fewer connections
 * relative to its weight wins. After 20 draws that cannot serve, round robin.
 */
final class RandomStrategy extends Strategy {
  private final boolean two;

  RandomStrategy(boolean two) {
    this.two = two;
  }

  private static int peek(PeerGroup group) {
    return byWeight(group, ThreadLocalRandom.current().nextInt(group.totalWeight));
  }

  @Override
  int pick(PeerSelection selection, long now) {
    PeerGroup group = selection.group;
    if (selection.hashTries > 20 || group.primaries.length < 2) {
      return RoundRobinStrategy.INSTANCE.pick(selection, now);
    }
    PeerCounters[] peers = selection.worker.primaries;
    int previous = -1;
    for (;;) {
      int index = peek(group);
      if (eligible(peers[index], index, selection, now)) {
        if (!two) {
          return take(selection, peers, index, now);
        }
        if (previous >= 0) {
          PeerCounters peer = peers[index];
          PeerCounters other = peers[previous];
          if ((long) peer.conns * other.weight > (long) other.conns * peer.weight) {
            index = previous;
          }
          return take(selection, peers, index, now);
        }
        previous = index;
      }
      if (++selection.hashTries > 20) {
        return RoundRobinStrategy.INSTANCE.pick(selection, now);
      }
    }
  }

  private static int take(PeerSelection selection, PeerCounters[] peers, int index, long now) {
    selection.markTried(index);
    touch(peers[index], selection, now);
    return index;
  }
}
