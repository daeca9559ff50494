package io.dyups.core;

import com.google.common.base.Ticker;
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

  WorkerPeerCounters(ServerSpec spec, boolean checkDown, Ticker clock, long rampStartNanos) {
    super(spec, checkDown, clock);
    if (rampStartNanos != 0 && slowStartNanos > 0) {
      startRamp(rampStartNanos);
    }
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

  /**
   * A request on this peer failed: nginx's ngx_http_upstream_free_round_robin_peer with NGX_PEER_FAILED. When the
   * failure takes the peer out, an out-period of its statistics begins ({@link PeerTraffic#wentOut}).
   */
  void failed(long nowSeconds, long nowMillis) {
    // Out already when this failure is one more in the window that took the peer out. Not when a pick since the
    // last failure started a new window (a trial, which nginx allows once per fail_timeout) or the window ran out:
    // the failure then takes the peer out again.
    boolean wasOut = checked == accessed && isFailedAt(nowSeconds);
    // An earlier out-period ended when its failure window ran out: fail_timeout after the last failure in it.
    long previousEnd = outEndMillis();
    traffic().fails++;
    fails++;
    accessed = nowSeconds;
    checked = nowSeconds;
    if (maxFails != 0) {
      effectiveWeight -= weight / maxFails;
    }
    if (effectiveWeight < 0) {
      effectiveWeight = 0;
    }
    boolean wentOut = !wasOut && isFailedAt(nowSeconds);
    if (wentOut && slowStartNanos > 0) {
      // NGINX Plus's slow_start: back from the failure window, the weight grows again from zero over that time.
      startRamp(outEndMillis() * 1_000_000L);
    }
    updateClean();
    changed(nowSeconds);
    if (wentOut) {
      traffic().wentOut(nowMillis, previousEnd);
    }
  }

  /**
   * Starts slow_start's ramp at {@code startNanos} of the group's clock (when the peer becomes available again): the
   * effective weight is 0 until then, and then grows with the time since ({@link #recoverWeight}).
   */
  void startRamp(long startNanos) {
    effectiveWeight = 0;
    rampStartNanos = startNanos;
  }

  /**
   * slow_start's weight {@code elapsed} nanoseconds into its ramp: the nominal weight times the part of slow_start
   * gone by, rounded up (smooth weighted round robin counts whole weights, so a server of weight 1 is at its weight
   * from the start of its ramp, and one of weight 10 steps up every tenth of slow_start).
   */
  static int rampWeight(int weight, long elapsed, long slowStartNanos) {
    if (elapsed <= 0) {
      return 0;
    }
    if (elapsed >= slowStartNanos) {
      return weight;
    }
    return (int) Math.ceil((double) weight * elapsed / slowStartNanos);
  }

  /** When the current or last out-period ends or ended: the second after its failure window, in milliseconds. */
  long outEndMillis() {
    return (accessed + failTimeoutSeconds + 1) * 1000L;
  }

  private boolean isFailedAt(long seconds) {
    return maxFails != 0 && fails >= maxFails && seconds - checked <= failTimeoutSeconds;
  }

  /**
   * A request on this peer went well: as nginx's free_peer, the failures are forgotten only when the failure
   * window was checked after the last failure (a pick after {@code fail_timeout} ran out).
   */
  void succeeded() {
    if (accessed < checked) {
      if (fails != 0) {
        traffic().closeOutPeriod(outEndMillis());
      }
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
    if (rampStartNanos != 0) {
      // slow_start: the weight follows the time since the ramp began, not the picks.
      effectiveWeight = rampWeight(weight, clock.read() - rampStartNanos, slowStartNanos);
      if (effectiveWeight == weight) {
        rampStartNanos = 0;
        updateClean();
      }
      return;
    }
    effectiveWeight++;
    if (effectiveWeight == weight) {
      updateClean();
    }
  }

  /** The active health check's verdict, copied from {@link SharedPeerState#checkDown}. */
  void setCheckDown(boolean down) {
    if (checkDown && !down && slowStartNanos > 0) {
      // NGINX Plus's slow_start: healthy again, the weight grows from zero over that time.
      startRamp(clock.read());
    }
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

  /** This worker's traffic figures for the peer, made on first use; under the worker's lock. */
  PeerTraffic traffic() {
    PeerTraffic figures = traffic;
    if (figures == null) {
      figures = new PeerTraffic();
      traffic = figures;
    }
    return figures;
  }

  /** This worker's traffic figures for the peer to read (all zeros when none were made); under the worker's lock. */
  PeerTraffic trafficToRead() {
    PeerTraffic figures = traffic;
    return figures != null ? figures : PeerTraffic.NONE;
  }

  /**
   * Requests picked through this worker: those released without figures and those still running (the statistics
   * add those released with figures, {@link PeerTraffic#reportedReleases()}).
   */
  long requests() {
    return releases + conns;
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
  // Requests released without figures, for the statistics' requests (with conns and the releases reported with
  // figures, PeerTraffic.reportedReleases); -conns after a reset of the statistics.
  long releases;
  // The figures of NGINX Plus's statistics beyond the counts above; off the pick path. Made by the first failure or
  // reported request (traffic()), so that a peer that has neither costs no more memory than before them.
  @Nullable PeerTraffic traffic;

  // True while nothing sets this peer apart from nginx's fresh state: no failures, full weight, not down, healthy,
  // no max_conns. While every primary of a group is clean, round robin follows a precomputed schedule.
  boolean clean;
  // The newest generation's worker that holds these counters: it keeps the counts of unclean and busy primaries.
  // Set under the worker's lock when the worker that made these counters is made, before any pick.
  @Nullable Worker owner;
  // The index of these counters among the owner's primaries when the owner keeps them in its lanes, else -1.
  int slot = -1;

  // slow_start (0: none); the group's clock, read only while a ramp runs; where the ramp began (0: none).
  final long slowStartNanos;
  final Ticker clock;
  long rampStartNanos;

  WorkerPeerCountersFields(ServerSpec spec, boolean checkDown, Ticker clock) {
    this.slowStartNanos = spec.slowStart().toNanos();
    this.clock = clock;
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
