package io.dyups.core;

import io.dyups.parser.Balancing;

/**
 * A balancing method: picks the next peer for a selection. {@link #pick} runs under the group's lock, marks the
 * picked peer as tried and returns it, or returns null when no peer can serve (nginx's NGX_BUSY).
 */
abstract class Strategy {
  /** Prepares per-request state (the hash of a key, the client's address). Runs without the lock. */
  void start(PeerSelection selection) {}

  /** Picks under the group's lock; {@code now} is the time in seconds, or {@link PeerGroup#UNREAD}. */
  abstract Peer pick(PeerSelection selection, long now);

  static Strategy of(Balancing balancing, PeerGroup group) {
    if (balancing instanceof Balancing.IpHash) {
      return new IpHashStrategy();
    } else if (balancing instanceof Balancing.Hash hash) {
      return hash.consistent() ? new ConsistentHashStrategy(group) : new HashStrategy();
    } else if (balancing instanceof Balancing.LeastConn) {
      return new LeastConnStrategy();
    } else if (balancing instanceof Balancing.Random random) {
      return new RandomStrategy(group, random.two());
    }
    return RoundRobinStrategy.INSTANCE;
  }

  /** nginx's check that a peer may take a request: not tried in this selection, not down, out or full. */
  static boolean eligible(Peer peer, int index, PeerSelection selection, long now) {
    return !selection.isTried(index) && peer.usable(now);
  }

  /**
   * What nginx does after picking: start a new failure window when the last one has passed. A peer without
   * failures is skipped, which nobody can tell apart from nginx's behaviour: its {@code checked} is read only
   * once it has failures, and the failure that gives it one sets {@code checked} itself. That keeps the clock off
   * the request path ({@code now} may be {@link PeerGroup#UNREAD}).
   */
  static void touch(Peer peer, long now) {
    PeerState state = peer.state;
    if (state.fails == 0) {
      return;
    }
    long seconds = peer.group.seconds(now);
    if (seconds - state.checked > peer.failTimeoutSeconds) {
      state.checked = seconds;
    }
  }

  /**
   * Tries the primaries, then (once, for the rest of the selection) the backups; when neither can serve, clears
   * the failure counts of the tiers tried, "for quick recovery", and reports that no peer is left.
   */
  abstract static class Tiered extends Strategy {
    /** Picks in the selection's current tier, or returns -1. */
    abstract int pickIn(Peer[] tier, PeerSelection selection, long now);

    @Override
    final Peer pick(PeerSelection selection, long now) {
      PeerGroup group = selection.group;
      Peer[] tier = selection.tier;
      int index = tier == group.primaries && group.single ? single(tier[0]) : pickIn(tier, selection, now);
      if (index < 0 && tier == group.primaries && group.backups.length > 0) {
        selection.switchToBackups();
        index = pickIn(group.backups, selection, now);
        if (index < 0) {
          resetFails(group.backups);
        }
      }
      if (index < 0) {
        resetFails(tier);
        return null;
      }
      selection.markTried(index);
      return selection.tier[index];
    }

    // nginx's single peer: only down (or a failed health check) and max_conns keep it from being used.
    private static int single(Peer peer) {
      if (peer.down || peer.state.checkDown || (peer.maxConns != 0 && peer.state.conns >= peer.maxConns)) {
        return -1;
      }
      return 0;
    }

    private static void resetFails(Peer[] tier) {
      for (Peer peer : tier) {
        peer.state.fails = 0;
      }
    }
  }

  /**
   * One step of nginx's smooth weighted round robin over the eligible peers of {@code tier}: every eligible peer's current weight grows by its effective
   * weight, the largest wins (the first on ties) and gives back the total. With {@code serverIds}, only the
   * peers whose id is {@code sameServer} take part.
   */
  static int smooth(Peer[] tier, PeerSelection selection, long now, int[] serverIds, int sameServer) {
    Peer best = null;
    int bestIndex = -1;
    int total = 0;
    for (int i = 0; i < tier.length; i++) {
      Peer peer = tier[i];
      if (serverIds != null && serverIds[i] != sameServer) {
        continue;
      }
      if (!eligible(peer, i, selection, now)) {
        continue;
      }
      PeerState state = peer.state;
      state.currentWeight += state.effectiveWeight;
      total += state.effectiveWeight;
      if (state.effectiveWeight < peer.weight) {
        state.effectiveWeight++;
      }
      if (best == null || state.currentWeight > best.state.currentWeight) {
        best = peer;
        bestIndex = i;
      }
    }
    if (best == null) {
      return -1;
    }
    best.state.currentWeight -= total;
    touch(best, now);
    return bestIndex;
  }
}
