package io.dyups.core;

import static java.util.Objects.requireNonNull;

import com.google.common.base.Ticker;
import com.google.common.collect.ImmutableList;
import io.dyups.parser.Balancing;
import io.dyups.parser.HealthCheck;
import io.dyups.parser.ServerSpec;
import io.dyups.parser.UpstreamBlock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.annotation.CheckForNull;

/**
 * The live peers of one upstream definition and the balancing method that picks among them. A new group is built
 * for every new definition; a server whose line did not change keeps its state (failures, active connections,
 * round-robin position) from the group it replaces, and requests still running on the old group release into
 * that same state.
 *
 * <p>Picking is done with a {@link PeerSelection}. The balancing state of a group (and of the groups it replaced)
 * is guarded by one small lock, held only for the few loads and stores of one pick or release: nginx's smooth
 * weighted round robin reads and writes every peer's weights at each pick, and its exact order needs that.
 */
public final class PeerGroup {
  private final UpstreamBlock definition;
  private final ImmutableList<Peer> peers;
  final Peer[] primaries;
  final Peer[] backups;
  final Strategy strategy;
  final Ticker ticker;
  final BalancingLock lock;
  // nginx's peers->single: one primary and no backup; such a peer is never taken out for failures.
  final boolean single;
  // Sum of the primaries' weights, nginx's peers->total_weight.
  final int totalWeight;
  final int tries;

  private PeerGroup(UpstreamBlock definition, @CheckForNull PeerGroup previous, Ticker ticker) {
    this.definition = definition;
    this.ticker = ticker;
    this.lock = previous == null ? new BalancingLock() : previous.lock;
    Map<ServerSpec, ArrayDeque<PeerState>> carried = new HashMap<>();
    if (previous != null) {
      for (Peer peer : previous.peers) {
        carried.computeIfAbsent(peer.spec(), spec -> new ArrayDeque<>()).add(peer.state);
      }
    }
    HealthCheck check = definition.healthCheck();
    // Health the HealthChecker set means nothing once the upstream has no check that could set it back.
    boolean checkRemoved = check == null && previous != null && previous.definition.healthCheck() != null;
    List<Peer> all = new ArrayList<>();
    List<Peer> primaryList = new ArrayList<>();
    List<Peer> backupList = new ArrayList<>();
    int weights = 0;
    for (ServerSpec server : definition.servers()) {
      ArrayDeque<PeerState> same = carried.get(server);
      PeerState state;
      if (same == null || same.isEmpty()) {
        state = new PeerState(server.weight());
        state.checkDown = check != null && check.defaultDown();
      } else {
        state = same.poll();
        if (checkRemoved) {
          lock.lock();
          try {
            state.checkDown = false;
          } finally {
            lock.unlock();
          }
        }
      }
      Peer peer = new Peer(server, state, this);
      all.add(peer);
      if (server.backup()) {
        backupList.add(peer);
      } else {
        primaryList.add(peer);
        weights += server.weight();
      }
    }
    this.peers = ImmutableList.copyOf(all);
    this.primaries = primaryList.toArray(new Peer[0]);
    this.backups = backupList.toArray(new Peer[0]);
    this.single = primaries.length == 1 && backups.length == 0;
    this.totalWeight = weights;
    this.tries = primaries.length + backups.length;
    this.strategy = Strategy.of(definition.balancing(), this);
  }

  /**
   * Builds the peers of {@code definition}.
   *
   * @param previous the group this one replaces, whose unchanged servers keep their state, or {@code null}
   * @param ticker the time source for failure windows
   */
  public static PeerGroup create(UpstreamBlock definition, @CheckForNull PeerGroup previous, Ticker ticker) {
    requireNonNull(definition, "definition");
    requireNonNull(ticker, "ticker");
    return new PeerGroup(definition, previous, ticker);
  }

  /** The definition these peers were built from. */
  public UpstreamBlock definition() {
    return definition;
  }

  /** Every peer, in the order the servers were written. */
  public List<Peer> peers() {
    return peers;
  }

  /** The balancing method in use. */
  public Balancing balancing() {
    return definition.balancing();
  }

  /**
   * Passed as {@code now} on the request path: the clock is read only where an answer depends on it, which is only
   * for peers with failures. Reading it costs more than the rest of a pick.
   */
  static final long UNREAD = Long.MIN_VALUE;

  long nowSeconds() {
    return ticker.read() / 1_000_000_000L;
  }

  /** {@code now}, or the clock when {@code now} is {@link #UNREAD}. */
  long seconds(long now) {
    return now == UNREAD ? nowSeconds() : now;
  }

  /** Releases a peer a selection picked: nginx's free_peer. */
  void release(Peer peer, boolean failed) {
    // Only a failure records the time; a success does not need the clock.
    long now = failed ? nowSeconds() : 0;
    lock.lock();
    try {
      PeerState state = peer.state;
      if (peer.group.single) {
        state.conns--;
        return;
      }
      if (failed) {
        state.fails++;
        state.accessed = now;
        state.checked = now;
        if (peer.maxFails != 0) {
          state.effectiveWeight -= peer.weight / peer.maxFails;
        }
        if (state.effectiveWeight < 0) {
          state.effectiveWeight = 0;
        }
      } else if (state.accessed < state.checked) {
        // A request succeeded after the failure window was checked: the peer is live again.
        state.fails = 0;
      }
      state.conns--;
    } finally {
      lock.unlock();
    }
  }
}
