package io.dyups.core;

import java.util.concurrent.ThreadLocalRandom;

/**
 * {@code random} and {@code random two [least_conn]}, as ngx_http_upstream_random_module: a primary drawn with
 * probability proportional to its weight; with {@code two}, two are drawn and the one with fewer connections
 * relative to its weight wins. After 20 draws that cannot serve, round robin.
 */
final class RandomStrategy extends Strategy {
  private final int[] ranges;
  private final boolean two;

  RandomStrategy(PeerGroup group, boolean two) {
    this.two = two;
    Peer[] peers = group.primaries;
    ranges = new int[peers.length];
    int total = 0;
    for (int i = 0; i < peers.length; i++) {
      total += peers[i].weight;
      ranges[i] = total;
    }
  }

  private int peek(PeerGroup group) {
    int x = ThreadLocalRandom.current().nextInt(group.totalWeight);
    int i = 0;
    int j = ranges.length;
    while (j - i > 1) {
      int k = (i + j) >>> 1;
      if (x < ranges[k - 1]) {
        j = k;
      } else {
        i = k;
      }
    }
    return i;
  }

  @Override
  Peer pick(PeerSelection selection, long now) {
    PeerGroup group = selection.group;
    if (selection.hashTries > 20 || group.primaries.length < 2) {
      return RoundRobinStrategy.INSTANCE.pick(selection, now);
    }
    Peer[] peers = group.primaries;
    int previous = -1;
    for (;;) {
      int index = peek(group);
      if (eligible(peers[index], index, selection, now)) {
        if (!two) {
          return take(selection, index, now);
        }
        if (previous >= 0) {
          Peer peer = peers[index];
          Peer other = peers[previous];
          if ((long) peer.state.conns * other.weight > (long) other.state.conns * peer.weight) {
            index = previous;
          }
          return take(selection, index, now);
        }
        previous = index;
      }
      if (++selection.hashTries > 20) {
        return RoundRobinStrategy.INSTANCE.pick(selection, now);
      }
    }
  }

  private static Peer take(PeerSelection selection, int index, long now) {
    Peer peer = selection.group.primaries[index];
    selection.markTried(index);
    touch(peer, now);
    return peer;
  }
}
