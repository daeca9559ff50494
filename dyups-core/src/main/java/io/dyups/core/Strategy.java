package io.dyups.core;

import io.dyups.parser.Balancing;
import java.net.InetAddress;
import org.jspecify.annotations.Nullable;

/**
 * A balancing method: picks the next peer for a selection. {@link #pick} runs under the selection's worker lock,
 * marks the picked peer as tried and returns its index in the selection's tier, or returns -1 when no peer can
 * serve (nginx's NGX_BUSY).
 */
abstract class Strategy {
  /** Prepares per-request state (the hash of a key, the client's address). Runs without the lock. */
  void start(PeerSelection selection, @Nullable InetAddress client) {}

  /** Picks under the worker's lock; {@code now} is the time in seconds, or {@link PeerGroup#UNREAD}. */
  abstract int pick(PeerSelection selection, long now);

  static Strategy of(Balancing balancing, PeerGroup group) {
    if (balancing instanceof Balancing.IpHash) {
      return new IpHashStrategy();
    } else if (balancing instanceof Balancing.Hash hash) {
      return hash.consistent() ? new ConsistentHashStrategy(group) : new HashStrategy();
    } else if (balancing instanceof Balancing.LeastConn) {
      return new LeastConnStrategy();
    } else if (balancing instanceof Balancing.Random random) {
      return new RandomStrategy(random.two());
    }
    return RoundRobinStrategy.INSTANCE;
  }

  /** nginx's check that a peer may take a request: not tried in this selection, not down, out or full. */
  static boolean eligible(PeerCounters peer, int index, PeerSelection selection, long now) {
    return !selection.isTried(index) && peer.usable(now, selection.group);
  }

  /**
   * What nginx does after picking: start a new failure window when the last one has passed. A peer without
   * failures is skipped, which nobody can tell apart from nginx's behaviour: its {@code checked} is read only
   * once it has failures, and the failure that gives it one sets {@code checked} itself. That keeps the clock off
   * the request path ({@code now} may be {@link PeerGroup#UNREAD}).
   */
  static void touch(PeerCounters peer, PeerSelection selection, long now) {
    if (peer.fails == 0) {
      return;
    }
    long seconds = selection.group.seconds(now);
    if (seconds - peer.checked > peer.failTimeoutSeconds) {
      peer.checked = seconds;
    }
  }

  /** The primary that holds unit {@code w} of the total weight. */
  @SuppressWarnings("NullAway") // a group of a weighted method has byWeight or, when that is null, weightEnds
  static int byWeight(PeerGroup group, long w) {
    int[] table = group.byWeight;
    if (table != null) {
      return table[(int) w];
    }
    // The first primary whose weights end above w.
    int[] ends = group.weightEnds;
    int low = 0;
    int high = ends.length - 1;
    while (low < high) {
      int mid = (low + high) >>> 1;
      if (ends[mid] > w) {
        high = mid;
      } else {
        low = mid + 1;
      }
    }
    return low;
  }

  /**
   * Tries the primaries, then (once, for the rest of the selection) the backups; when neither can serve, clears
   * the failure counts of the tiers tried, "for quick recovery", and reports that no peer is left.
   */
  abstract static class Tiered extends Strategy {
    /** Picks in the selection's current tier, or returns -1. */
    abstract int pickIn(PeerCounters[] tier, PeerSelection selection, long now);

    @Override
    final int pick(PeerSelection selection, long now) {
      PeerGroup group = selection.group;
      Worker worker = selection.worker;
      PeerCounters[] tier = selection.counters;
      boolean primaries = tier == worker.primaries;
      int index = primaries && group.single ? single(tier[0]) : pickIn(tier, selection, now);
      if (index < 0 && primaries && worker.backups.length > 0) {
        selection.switchToBackups();
        index = pickIn(worker.backups, selection, now);
        if (index < 0) {
          resetFails(worker.backups);
        }
      }
      if (index < 0) {
        resetFails(tier);
        return -1;
      }
      selection.markTried(index);
      return index;
    }

    // nginx's single peer: only down (or a failed health check) and max_conns keep it from being used.
    private static int single(PeerCounters peer) {
      if (peer.down || peer.checkDown || (peer.maxConns != 0 && peer.conns >= peer.maxConns)) {
        return -1;
      }
      return 0;
    }

    private static void resetFails(PeerCounters[] tier) {
      for (PeerCounters peer : tier) {
        peer.fails = 0;
        peer.updateClean();
      }
    }
  }

  /**
   * One step of nginx's smooth weighted round robin over the eligible peers of {@code tier}: every eligible peer's
   * current weight grows by its effective weight, the largest wins (the first on ties) and gives back the total.
   * With {@code serverIds}, only the peers whose id is {@code sameServer} take part.
   */
  static int smooth(PeerCounters[] tier, PeerSelection selection, long now, int @Nullable [] serverIds,
      int sameServer) {
    if (tier == selection.worker.primaries) {
      selection.worker.materialize();
    }
    PeerCounters best = null;
    int bestIndex = -1;
    int total = 0;
    for (int i = 0; i < tier.length; i++) {
      PeerCounters peer = tier[i];
      if (serverIds != null && serverIds[i] != sameServer) {
        continue;
      }
      if (!eligible(peer, i, selection, now)) {
        continue;
      }
      peer.currentWeight += peer.effectiveWeight;
      total += peer.effectiveWeight;
      if (peer.effectiveWeight < peer.weight) {
        peer.effectiveWeight++;
        peer.updateClean();
      }
      if (best == null || peer.currentWeight > best.currentWeight) {
        best = peer;
        bestIndex = i;
      }
    }
    if (best == null) {
      return -1;
    }
    best.currentWeight -= total;
    touch(best, selection, now);
    return bestIndex;
  }
}
