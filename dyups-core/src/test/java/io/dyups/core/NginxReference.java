package io.dyups.core;

import io.dyups.parser.Balancing;
import io.dyups.parser.ServerSpec;
import io.dyups.parser.UpstreamBlock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * nginx's round robin and least_conn written out as nginx's C has them, over a plain list of peers: the reference
 * the production code (its cycle, its per-worker counters, its tiers and bitmaps) is checked against, request for
 * request. Follows ngx_http_upstream_get_round_robin_peer, ngx_http_upstream_get_peer,
 * ngx_http_upstream_get_least_conn_peer and ngx_http_upstream_free_round_robin_peer of nginx 1.22.1 (when no peer
 * can serve, the failures stand: 1.11.5 removed the quick recovery that cleared them).
 *
 * <p>A replaced definition keeps the state of each server whose line did not change, as dyups does (nginx itself
 * never carries state across a reload).
 */
final class NginxReference {
  /** One server, as ngx_http_upstream_rr_peer_t. */
  static final class Peer {
    final ServerSpec spec;
    final int weight;
    final int maxFails;
    final int maxConns;
    final long failTimeout;
    final boolean down;
    int currentWeight;
    int effectiveWeight;
    int conns;
    int fails;
    long accessed;
    long checked;
    // The active health check's verdict, which makes the peer down for balancing.
    boolean checkDown;

    Peer(ServerSpec spec) {
      this.spec = spec;
      this.weight = spec.weight();
      this.maxFails = spec.maxFails();
      this.maxConns = spec.maxConns();
      this.failTimeout = spec.failTimeout().getSeconds();
      this.down = spec.down();
      this.effectiveWeight = weight;
    }

    @Override
    public String toString() {
      return spec.address().toString();
    }
  }

  private final LongSupplier seconds;
  private List<Peer> primaries = List.of();
  private List<Peer> backups = List.of();
  private List<Peer> all = List.of();
  private boolean leastConn;

  NginxReference(LongSupplier seconds) {
    this.seconds = seconds;
  }

  /** Takes a new definition; servers whose line did not change keep their state. */
  void update(UpstreamBlock definition) {
    Balancing balancing = definition.balancing();
    if (!(balancing instanceof Balancing.RoundRobin) && !(balancing instanceof Balancing.LeastConn)) {
      throw new IllegalArgumentException("round robin and least_conn only: " + balancing);
    }
    leastConn = balancing instanceof Balancing.LeastConn;
    Map<ServerSpec, ArrayDeque<Peer>> carried = new HashMap<>();
    for (List<Peer> tier : List.of(primaries, backups)) {
      for (Peer peer : tier) {
        carried.computeIfAbsent(peer.spec, spec -> new ArrayDeque<>()).add(peer);
      }
    }
    List<Peer> newPrimaries = new ArrayList<>();
    List<Peer> newBackups = new ArrayList<>();
    List<Peer> newAll = new ArrayList<>();
    for (ServerSpec server : definition.servers()) {
      ArrayDeque<Peer> same = carried.get(server);
      Peer peer = same == null || same.isEmpty() ? new Peer(server) : same.poll();
      (server.backup() ? newBackups : newPrimaries).add(peer);
      newAll.add(peer);
    }
    primaries = newPrimaries;
    backups = newBackups;
    all = newAll;
  }

  /** The peers of the definition, in the order they were written. */
  List<Peer> peers() {
    return all;
  }

  /** The peers of one definition: what a request that found it picks from, even after an update. */
  record Generation(List<Peer> primaries, List<Peer> backups, List<Peer> all, boolean leastConn) {}

  /** The current definition's peers. */
  Generation generation() {
    return new Generation(primaries, backups, all, leastConn);
  }

  /** A request: nginx's ngx_http_upstream_rr_peer_data_t and the peer connection's tries. */
  final class Request {
    // The peers of the definition the request started on (rrp->peers), even after an update.
    private final List<Peer> primaries;
    private final List<Peer> backups;
    private final boolean leastConn;
    private List<Peer> tier;
    private final BitSet tried = new BitSet();
    private Peer current;
    private boolean single;
    private int tries;

    Request() {
      this(generation());
    }

    /**
     * A request on the peers of an older definition, whose servers that stayed share their state with the newer
     * one's (dyups carries it; nginx has no such thing).
     */
    Request(Generation generation) {
      primaries = generation.primaries();
      backups = generation.backups();
      leastConn = generation.leastConn();
      tier = primaries;
      tries = primaries.size() + backups.size();
    }

    /** The next peer, or null where nginx answers 502 (no live upstreams, or no tries left). */
    Peer next() {
      if (current != null) {
        throw new IllegalStateException("not reported");
      }
      if (tries == 0) {
        return null;
      }
      Peer peer = leastConn ? getLeastConn() : getRoundRobin();
      current = peer;
      return peer;
    }

    /** ngx_http_upstream_free_round_robin_peer. */
    void free(boolean failed) {
      Peer peer = current;
      current = null;
      if (single) {
        peer.conns--;
        tries = 0;
        return;
      }
      if (failed) {
        long now = seconds.getAsLong();
        peer.fails++;
        peer.accessed = now;
        peer.checked = now;
        if (peer.maxFails != 0) {
          peer.effectiveWeight -= peer.weight / peer.maxFails;
        }
        if (peer.effectiveWeight < 0) {
          peer.effectiveWeight = 0;
        }
      } else if (peer.accessed < peer.checked) {
        peer.fails = 0;
      }
      peer.conns--;
      if (tries > 0) {
        tries--;
      }
    }

    // peers->single: one primary and no backup (the backups' list is never single).
    private boolean single() {
      return tier == primaries && primaries.size() == 1 && backups.isEmpty();
    }

    private Peer getRoundRobin() {
      List<Peer> peers = tier;
      Peer peer;
      if (single()) {
        peer = peers.get(0);
        if (peer.down || peer.checkDown || (peer.maxConns != 0 && peer.conns >= peer.maxConns)) {
          peer = null;
        }
      } else {
        peer = getPeer();
      }
      if (peer != null) {
        peer.conns++;
        single = single();
        return peer;
      }
      return failed(peers, this::getRoundRobin);
    }

    // The failed: label of both methods: the backups, once.
    private Peer failed(List<Peer> peers, java.util.function.Supplier<Peer> again) {
      if (peers == primaries && !backups.isEmpty()) {
        tier = backups;
        tried.clear();
        return again.get();
      }
      return null;
    }

    private boolean usable(Peer peer, int i, long now) {
      return !tried.get(i) && !peer.down && !peer.checkDown
          && !(peer.maxFails != 0 && peer.fails >= peer.maxFails && now - peer.checked <= peer.failTimeout)
          && !(peer.maxConns != 0 && peer.conns >= peer.maxConns);
    }

    // ngx_http_upstream_get_peer.
    private Peer getPeer() {
      long now = seconds.getAsLong();
      Peer best = null;
      int p = 0;
      int total = 0;
      for (int i = 0; i < tier.size(); i++) {
        Peer peer = tier.get(i);
        if (!usable(peer, i, now)) {
          continue;
        }
        peer.currentWeight += peer.effectiveWeight;
        total += peer.effectiveWeight;
        if (peer.effectiveWeight < peer.weight) {
          peer.effectiveWeight++;
        }
        if (best == null || peer.currentWeight > best.currentWeight) {
          best = peer;
          p = i;
        }
      }
      if (best == null) {
        return null;
      }
      tried.set(p);
      best.currentWeight -= total;
      if (now - best.checked > best.failTimeout) {
        best.checked = now;
      }
      return best;
    }

    // ngx_http_upstream_get_least_conn_peer.
    private Peer getLeastConn() {
      if (single()) {
        return getRoundRobin();
      }
      long now = seconds.getAsLong();
      List<Peer> peers = tier;
      Peer best = null;
      int p = 0;
      boolean many = false;
      for (int i = 0; i < peers.size(); i++) {
        Peer peer = peers.get(i);
        if (!usable(peer, i, now)) {
          continue;
        }
        if (best == null || (long) peer.conns * best.weight < (long) best.conns * peer.weight) {
          best = peer;
          many = false;
          p = i;
        } else if ((long) peer.conns * best.weight == (long) best.conns * peer.weight) {
          many = true;
        }
      }
      if (best == null) {
        return failed(peers, this::getLeastConn);
      }
      int total = 0;
      if (many) {
        for (int i = p; i < peers.size(); i++) {
          Peer peer = peers.get(i);
          if (!usable(peer, i, now)) {
            continue;
          }
          if ((long) peer.conns * best.weight != (long) best.conns * peer.weight) {
            continue;
          }
          peer.currentWeight += peer.effectiveWeight;
          total += peer.effectiveWeight;
          if (peer.effectiveWeight < peer.weight) {
            peer.effectiveWeight++;
          }
          if (peer.currentWeight > best.currentWeight) {
            best = peer;
            p = i;
          }
        }
      }
      best.currentWeight -= total;
      if (now - best.checked > best.failTimeout) {
        best.checked = now;
      }
      best.conns++;
      tried.set(p);
      single = false;
      return best;
    }
  }
}
