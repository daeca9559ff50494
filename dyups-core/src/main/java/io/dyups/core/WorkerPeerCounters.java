package io.dyups.core;

import io.dyups.parser.ServerSpec;
import org.jspecify.annotations.Nullable;

/**
 * What one worker counts for one server, as each nginx worker process keeps its own
 * {@code ngx_http_upstream_rr_peer_t} for an upstream without {@code zone}: the round-robin weights, active
 * connections and failures. Not shared between workers (what is, is in {@link SharedPeerState}); shared by every
 * generation of the group in which the server's line stayed the same. Guarded by the worker's lock.
 *
 * <p>The settings of the server line are copied in, so that a pick reads one object per peer. The mutators keep
 * {@link #clean} and the owning worker's counts ({@link Worker#unclean}, {@link Worker#busy}) up to date.
 */
final class WorkerPeerCounters extends WorkerPeerCountersFields {
  // The trailing pad; see Padded.
  byte q000, q001, q002, q003, q004, q005, q006, q007, q008, q009, q010, q011, q012, q013, q014, q015;
  byte q016, q017, q018, q019, q020, q021, q022, q023, q024, q025, q026, q027, q028, q029, q030, q031;
  byte q032, q033, q034, q035, q036, q037, q038, q039, q040, q041, q042, q043, q044, q045, q046, q047;
  byte q048, q049, q050, q051, q052, q053, q054, q055, q056, q057, q058, q059, q060, q061, q062, q063;

  WorkerPeerCounters(ServerSpec spec, boolean checkDown) {
    super(spec, checkDown);
    this.clean = isClean();
  }

  private boolean isClean() {
    return fails == 0 && effectiveWeight == weight && !checkDown && !down && maxConns == 0;
  }

  // Called by every mutator of a field isClean() reads.
  private void updateClean() {
    boolean now = isClean();
    if (now != clean) {
      clean = now;
      Worker owner = this.owner;
      if (primary && owner != null) {
        owner.unclean += now ? -1 : 1;
      }
    }
  }

  /** A request on this peer failed: nginx's ngx_http_upstream_free_round_robin_peer with NGX_PEER_FAILED. */
  void failed(long nowSeconds) {
    fails++;
    accessed = nowSeconds;
    checked = nowSeconds;
    if (maxFails != 0) {
      effectiveWeight -= weight / maxFails;
    }
    if (effectiveWeight < 0) {
      effectiveWeight = 0;
    }
    updateClean();
    changed(nowSeconds);
  }

  /**
   * A request on this peer went well: as nginx's free_peer, the failures are forgotten only when the failure
   * window was checked after the last failure (a pick after {@code fail_timeout} ran out).
   */
  void succeeded() {
    if (accessed < checked) {
      fails = 0;
      updateClean();
      changed(PeerGroup.UNREAD);
    }
  }

  /**
   * This peer's part in a step of smooth weighted round robin: its current weight grows by its effective weight,
   * which then recovers by 1 towards its weight. Returns what it added to the step's total.
   */
  int takeTurn() {
    int added = effectiveWeight;
    currentWeight += added;
    if (added < weight) {
      recoverWeight();
    }
    return added;
  }

  /**
   * One pick of smooth weighted round robin in which this peer, below its weight, took part: the effective weight
   * grows back by 1.
   */
  void recoverWeight() {
    effectiveWeight++;
    if (effectiveWeight == weight) {
      updateClean();
    }
  }

  /** The active health check's verdict, copied from {@link SharedPeerState#checkDown}. */
  void setCheckDown(boolean down) {
    checkDown = down;
    updateClean();
    changed(PeerGroup.UNREAD);
  }

  // Tells the owner's lanes (when it has them: slot is set) that this peer may have to move.
  private void changed(long now) {
    Worker owner = this.owner;
    if (slot >= 0 && owner != null) {
      owner.peerChanged(this, now);
    }
  }

  void addConnection() {
    conns++;
    Worker owner = this.owner;
    if (primary && owner != null) {
      owner.busy++;
      if (slot >= 0) {
        owner.peerConnectionsChanged(this);
      }
    }
  }

  void removeConnection() {
    conns--;
    Worker owner = this.owner;
    if (primary && owner != null) {
      owner.busy--;
      if (slot >= 0) {
        owner.peerConnectionsChanged(this);
      }
    }
  }

  /**
   * What nginx does after picking a peer: start a new failure window when the last one has passed. A peer without
   * failures is skipped, which nobody can tell apart from nginx's behaviour: its {@code checked} is read only once
   * it has failures, and the failure that gives it one sets {@code checked} itself. That keeps the clock off the
   * request path ({@code now} may be {@link PeerGroup#UNREAD}).
   */
  void startFailureWindow(PeerGroup group, long now) {
    if (fails == 0) {
      return;
    }
    long seconds = group.seconds(now);
    if (seconds - checked > failTimeoutSeconds) {
      checked = seconds;
    }
  }

  /** Out for failures: {@code max_fails} failures, the last within {@code fail_timeout}. */
  // now may be PeerGroup.UNREAD: the clock is read only for a peer at max_fails.
  boolean isFailed(long now, PeerGroup group) {
    return maxFails != 0 && fails >= maxFails && group.seconds(now) - checked <= failTimeoutSeconds;
  }

  /** nginx's checks that a peer may take a request, other than the selection's tried set. */
  boolean usable(long now, PeerGroup group) {
    return !down && !checkDown && !isFailed(now, group) && !(maxConns != 0 && conns >= maxConns);
  }

  /** Under {@code max_conns}. */
  boolean hasRoom() {
    return maxConns == 0 || conns < maxConns;
  }

  /**
   * True when this peer has fewer active connections relative to its weight than {@code other}, as least_conn
   * compares them ({@link #compareLoads}).
   */
  boolean lessLoadedThan(WorkerPeerCounters other) {
    return compareLoads(conns, weight, other.conns, other.weight) < 0;
  }

  /** True when this peer has as many active connections relative to its weight as {@code other}. */
  boolean loadedAs(WorkerPeerCounters other) {
    return compareLoads(conns, weight, other.conns, other.weight) == 0;
  }

  /**
   * least_conn's one comparison of loads: {@code conns / weight} against {@code otherConns / otherWeight},
   * cross-multiplied as ngx_http_upstream_get_least_conn_peer does; negative, zero or positive.
   */
  static int compareLoads(int conns, int weight, int otherConns, int otherWeight) {
    return Long.compare((long) conns * otherWeight, (long) otherConns * weight);
  }
}

/** The fields of {@link WorkerPeerCounters}, after the padding. */
abstract class WorkerPeerCountersFields extends Padded {
  final int weight;
  final int maxFails;
  final int maxConns;
  final long failTimeoutSeconds;
  final boolean down;
  final boolean primary;

  // Written by the worker's smooth round robin and its cycle.
  int currentWeight;
  // The fields below are written only by the mutators of WorkerPeerCounters.
  int effectiveWeight;
  int conns;
  int fails;
  // Seconds of the group's clock, as nginx's ngx_time().
  long accessed;
  long checked;
  // The worker's copy of SharedPeerState.checkDown, so that a pick reads no shared line.
  boolean checkDown;

  // True while nothing sets this peer apart from nginx's fresh state: no failures, full weight, not down, healthy,
  // no max_conns. While every primary of a group is clean, round robin follows a precomputed schedule.
  boolean clean;
  // The newest generation's worker that holds these counters: it keeps the counts of unclean and busy primaries.
  // Set under the worker's lock when the worker that made these counters is made, before any pick.
  @Nullable Worker owner;
  // The index of these counters among the owner's primaries when the owner keeps them in its lanes, else -1.
  int slot = -1;

  WorkerPeerCountersFields(ServerSpec spec, boolean checkDown) {
    this.weight = spec.weight();
    this.maxFails = spec.maxFails();
    this.maxConns = spec.maxConns();
    this.failTimeoutSeconds = spec.failTimeout().toSeconds();
    // A draining server (NGINX Plus's drain) takes no new request; the ones already on it finish.
    this.down = spec.down() || spec.drain();
    this.primary = !spec.backup();
    this.effectiveWeight = weight;
    this.checkDown = checkDown;
  }
}
