package io.dyups.core;

import static java.util.Objects.requireNonNull;

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
  static boolean eligible(WorkerPeerCounters peer, int index, PeerSelection selection, long now) {
    return !selection.isTried(index) && peer.usable(now, selection.group);
  }

  /** The primary that holds unit {@code w} of the total weight (hash methods and random only). */
  static int byWeight(PeerGroup group, long w) {
    return requireNonNull(group.weightUnits).primaryOf(w);
  }

  /**
   * Tries the primaries, then (once, for the rest of the selection) the backups, as the failed: label of
   * ngx_http_upstream_get_round_robin_peer and ngx_http_upstream_get_least_conn_peer. When neither can serve there
   * is no peer: the failures stand until {@code fail_timeout} ends, and every request until then is answered at
   * once, without a connection attempt (nginx 1.11.5 removed the quick recovery that cleared them).
   */
  abstract static class Tiered extends Strategy {
    /** Picks in the selection's current tier, or returns -1. */
    abstract int pickIn(WorkerPeerCounters[] tier, PeerSelection selection, long now);

    @Override
    final int pick(PeerSelection selection, long now) {
      PeerGroup group = selection.group;
      Worker worker = selection.worker;
      WorkerPeerCounters[] tier = selection.counters;
      boolean primaries = tier == worker.primaries;
      int index = primaries && group.single ? single(tier[0]) : pickIn(tier, selection, now);
      if (index < 0 && primaries && worker.backups.length > 0) {
        selection.switchToBackups();
        index = pickIn(worker.backups, selection, now);
      }
      if (index < 0) {
        return -1;
      }
      selection.markTried(index);
      return index;
    }

    // nginx's single peer: only down (or a failed health check) and max_conns keep it from being used.
    private static int single(WorkerPeerCounters peer) {
      return peer.down || peer.checkDown || !peer.hasRoom() ? -1 : 0;
    }
  }

  /**
   * The methods that draw a primary (by a hash of the request, or at random) and draw again while the one drawn
   * cannot serve: hash, ip_hash, consistent hash, random. After {@link #MAX_DRAWS} draws in one request, or with
   * fewer than two primaries, round robin picks instead (from the primaries, then the backups).
   */
  abstract static class Drawing extends Strategy {
    /**
     * The draws a request makes before round robin takes over: the {@code 20} of {@code ++hp->tries > 20} in
     * ngx_http_upstream_get_hash_peer and get_chash_peer, of ngx_http_upstream_get_ip_hash_peer and of
     * ngx_http_upstream_get_random_peer and get_random2_peer.
     */
    static final int MAX_DRAWS = 20;

    /** False when this request cannot be drawn for (hash: an empty key) and round robin picks. */
    boolean draws(PeerSelection selection) {
      return true;
    }

    /**
     * Draws once: returns the index of a primary that can serve (marked tried, its failure window started), or -1
     * to draw again.
     */
    abstract int draw(PeerSelection selection, WorkerPeerCounters[] peers, long now);

    @Override
    final int pick(PeerSelection selection, long now) {
      if (selection.draws > MAX_DRAWS || selection.group.primaries.length < 2 || !draws(selection)) {
        return RoundRobinStrategy.INSTANCE.pick(selection, now);
      }
      selection.previousDraw = -1;
      WorkerPeerCounters[] peers = selection.worker.primaries;
      for (;;) {
        int index = draw(selection, peers, now);
        if (index >= 0) {
          return index;
        }
        if (++selection.draws > MAX_DRAWS) {
          return RoundRobinStrategy.INSTANCE.pick(selection, now);
        }
      }
    }

    /** Takes the primary drawn: marks it tried and starts its failure window. */
    static int take(PeerSelection selection, WorkerPeerCounters[] peers, int index, long now) {
      selection.markTried(index);
      peers[index].startFailureWindow(selection.group, now);
      return index;
    }
  }
}
