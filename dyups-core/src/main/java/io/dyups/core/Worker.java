package io.dyups.core;

import static java.util.Objects.requireNonNull;

import org.jspecify.annotations.Nullable;

/**
 * The balancing state one worker keeps for one generation of a group, as each nginx worker process keeps its own
 * copy of an upstream that has no {@code zone}: threads that pick through different workers share no line that
 * either writes. An upstream with {@code zone} has one worker, which every thread shares. Guarded by {@link #lock}.
 *
 * <p>Every smooth weighted round-robin pick goes through this class ({@link #roundRobin} and its variants for
 * least_conn's ties and consistent hash's duplicate names), which owns the one trick that bends it: while every
 * primary is clean (see {@link WorkerPeerCounters#clean}), smooth weighted round robin is a fixed cycle of
 * {@code totalWeight} picks that starts and ends with every current weight at 0. The worker then follows the
 * group's precomputed cycle ({@code schedule}) instead of updating every peer's weights at each pick. Before
 * nginx's loop runs, it writes out the current weights the cycle stands for ({@link #materialize}), and after it,
 * it goes back to the cycle when the weights are back at the cycle's start ({@link #tryResume}).
 * {@code WorkerTest} checks picks from the cycle against picks from the loop.
 */
final class Worker extends WorkerFields {
  // The trailing pad; see Padded.
  byte q000, q001, q002, q003, q004, q005, q006, q007, q008, q009, q010, q011, q012, q013, q014, q015;
  byte q016, q017, q018, q019, q020, q021, q022, q023, q024, q025, q026, q027, q028, q029, q030, q031;
  byte q032, q033, q034, q035, q036, q037, q038, q039, q040, q041, q042, q043, q044, q045, q046, q047;
  byte q048, q049, q050, q051, q052, q053, q054, q055, q056, q057, q058, q059, q060, q061, q062, q063;

  Worker(BalancingLock lock, WorkerPeerCounters[] primaries, WorkerPeerCounters[] backups,
      int @Nullable [] schedule, @Nullable SmoothLanes lanes) {
    super(lock, primaries, backups, schedule, lanes);
  }

  /**
   * Becomes the owner of its counters when it is the newest worker of its index (else of those that have none yet,
   * and it is retired from the start: it only picks by the loop), counts what it owns, and follows the cycle when
   * the counters are at its start. Under the shared lock and this worker's lock.
   */
  void takeOver(boolean newest) {
    for (WorkerPeerCounters[] tier : new WorkerPeerCounters[][] {primaries, backups}) {
      for (WorkerPeerCounters counters : tier) {
        if (newest || counters.owner == null) {
          counters.owner = this;
        }
      }
    }
    retired = !newest;
    count();
    tryResume();
    SmoothLanes lanes = this.lanes;
    if (newest) {
      for (int i = 0; i < primaries.length; i++) {
        primaries[i].slot = lanes != null ? i : -1;
      }
    }
    if (lanes != null && newest && position < 0) {
      lanes.load(PeerGroup.UNREAD);
      lanesLoaded = true;
    }
  }

  /** True when this worker picks from its primaries by lanes (round robin or least_conn on a large tier). */
  boolean picksByLanes() {
    return lanes != null && !retired;
  }

  /**
   * One pick from the primaries by the lanes: round robin's or least_conn's, whichever the lanes were made for.
   * Only when {@link #picksByLanes()}.
   */
  int pickByLanes(PeerSelection selection, long now) {
    SmoothLanes lanes = requireNonNull(this.lanes);
    if (!lanesLoaded) {
      // The cycle stops here for good (the lanes keep the order from now on, at a cost that does not grow with
      // the peers), or the loop of a retired worker picked from these counters and had the lanes written out.
      materialize();
      lanes.load(now);
      lanesLoaded = true;
    }
    return lanes.pick(selection, now);
  }

  /**
   * Peer {@code counters} (one of this worker's, by {@link WorkerPeerCounters#slot}) changed in a way that may
   * move it in or out of the lanes. {@code now} may be {@link PeerGroup#UNREAD}.
   */
  void peerChanged(WorkerPeerCounters counters, long now) {
    SmoothLanes lanes = this.lanes;
    if (lanes != null && lanesLoaded) {
      lanes.changed(counters.slot, now);
    }
  }

  /** Peer {@code counters} (one of this worker's, by {@link WorkerPeerCounters#slot}) has a connection more or less. */
  void peerConnectionsChanged(WorkerPeerCounters counters) {
    SmoothLanes lanes = this.lanes;
    if (lanes != null && lanesLoaded) {
      lanes.connectionsChanged(counters.slot);
    }
  }

  /** Counts the unclean primaries and the connections on them, for a worker that owns its counters. */
  private void count() {
    unclean = 0;
    busy = 0;
    for (WorkerPeerCounters counters : primaries) {
      if (counters.owner != this) {
        continue;
      }
      if (!counters.clean) {
        unclean++;
      }
      busy += counters.conns;
    }
  }

  /**
   * True when every primary may take this selection's next pick without a check: this worker keeps the counts
   * (it is the newest for its counters), every primary is clean, and the selection has tried none yet.
   */
  boolean allEligible(PeerSelection selection) {
    return !retired && unclean == 0 && selection.firstTry();
  }

  /** True while no primary of this worker has an active connection. */
  boolean idle() {
    return !retired && busy == 0;
  }

  /**
   * One pick of smooth weighted round robin over the eligible peers of {@code tier} (nginx's
   * ngx_http_upstream_get_peer): from the cycle when it holds, else by the loop. Returns the index of the peer
   * picked, not yet marked tried, or -1 when none is eligible.
   */
  int roundRobin(WorkerPeerCounters[] tier, PeerSelection selection, long now) {
    int[] cycle = schedule;
    if (cycle != null && position >= 0 && unclean == 0 && tier == primaries && selection.firstTry()) {
      int index = cycle[position];
      position = position + 1 == cycle.length ? 0 : position + 1;
      return index;
    }
    if (tier == primaries && picksByLanes()) {
      return pickByLanes(selection, now);
    }
    return smooth(tier, selection, now);
  }

  /**
   * least_conn's ties (ngx_http_upstream_get_least_conn_peer, "many"): smooth weighted round robin over the
   * eligible peers from {@code first} on that are as loaded as {@code tier[first]}, the first of the least loaded.
   */
  int roundRobinAmongLeastLoaded(WorkerPeerCounters[] tier, PeerSelection selection, long now, int first) {
    boolean check = beginStep(tier, selection);
    WorkerPeerCounters least = tier[first];
    // The first of the least loaded takes part (it is eligible): the step starts with it.
    WorkerPeerCounters best = least;
    int bestIndex = first;
    int total = least.takeTurn();
    for (int i = first + 1; i < tier.length; i++) {
      WorkerPeerCounters peer = tier[i];
      if (!peer.loadedAs(least) || (check && !Strategy.eligible(peer, i, selection, now))) {
        continue;
      }
      total += peer.takeTurn();
      if (peer.currentWeight > best.currentWeight) {
        best = peer;
        bestIndex = i;
      }
    }
    return endStep(tier, selection, now, best, bestIndex, total);
  }

  /**
   * Consistent hash's pick among the peers of one server name (ngx_http_upstream_get_chash_peer): smooth weighted
   * round robin over the eligible peers whose {@code serverIds} entry is {@code server}.
   */
  int roundRobinAmongServer(WorkerPeerCounters[] tier, PeerSelection selection, long now, int[] serverIds,
      int server) {
    boolean check = beginStep(tier, selection);
    WorkerPeerCounters best = null;
    int bestIndex = -1;
    int total = 0;
    for (int i = 0; i < tier.length; i++) {
      WorkerPeerCounters peer = tier[i];
      if (serverIds[i] != server || (check && !Strategy.eligible(peer, i, selection, now))) {
        continue;
      }
      total += peer.takeTurn();
      if (best == null || peer.currentWeight > best.currentWeight) {
        best = peer;
        bestIndex = i;
      }
    }
    return endStep(tier, selection, now, best, bestIndex, total);
  }

  /**
   * {@link #roundRobinAmongServer} for a name only {@code index} has. The step over one peer adds its effective
   * weight to its current weight and takes the same total back, so only the recovery of its effective weight is
   * left of it, and the peer is picked when it is eligible.
   */
  int roundRobinAmongOne(WorkerPeerCounters[] tier, PeerSelection selection, long now, int index) {
    WorkerPeerCounters peer = tier[index];
    if (selection.isTried(index) || !peer.usable(now, selection.group)) {
      return -1;
    }
    if (peer.effectiveWeight < peer.weight) {
      peer.recoverWeight();
    }
    peer.startFailureWindow(selection.group, now);
    return index;
  }

  /**
   * nginx's smooth weighted round robin over every eligible peer of {@code tier}: a step over the peers that take
   * part, as every variant makes it. Each takes its turn ({@link WorkerPeerCounters#takeTurn}: its current weight
   * grows by its effective weight, which recovers by 1 towards its weight); the largest current weight wins, the
   * first on ties (hence the strict comparison); it gives back the total of the effective weights and starts a new
   * failure window if its last one ran out ({@link #endStep}). The loops differ only in the peers that take part.
   */
  private int smooth(WorkerPeerCounters[] tier, PeerSelection selection, long now) {
    boolean check = beginStep(tier, selection);
    WorkerPeerCounters best = null;
    int bestIndex = -1;
    int total = 0;
    for (int i = 0; i < tier.length; i++) {
      WorkerPeerCounters peer = tier[i];
      if (check && !Strategy.eligible(peer, i, selection, now)) {
        continue;
      }
      total += peer.takeTurn();
      if (best == null || peer.currentWeight > best.currentWeight) {
        best = peer;
        bestIndex = i;
      }
    }
    return endStep(tier, selection, now, best, bestIndex, total);
  }

  /**
   * Before a step: the counters must hold the current weights (not the cycle, not a newer worker's lanes). Returns
   * whether the peers must be checked for eligibility (not when every primary is known eligible).
   */
  private boolean beginStep(WorkerPeerCounters[] tier, PeerSelection selection) {
    if (tier != primaries) {
      return true;
    }
    materialize();
    takeWeightsFromOwners();
    return !allEligible(selection);
  }

  /** After a step: the peer picked gives the total back; the cycle resumes when the weights are back at its start. */
  private int endStep(WorkerPeerCounters[] tier, PeerSelection selection, long now,
      @Nullable WorkerPeerCounters best, int bestIndex, int total) {
    if (best == null) {
      return -1;
    }
    best.currentWeight -= total;
    best.startFailureWindow(selection.group, now);
    if (tier == primaries) {
      tryResume();
    }
    return bestIndex;
  }

  /**
   * Writes the current weights the schedule stands for into the counters and leaves the schedule. After
   * {@code position} steps from all zeros, every step having added each peer's weight and taken the total from the
   * one it picked, a peer's current weight is {@code position * weight - totalWeight * (its picks so far)}.
   */
  private void materialize() {
    int[] cycle = schedule;
    if (cycle == null || position < 0) {
      return;
    }
    for (WorkerPeerCounters counters : primaries) {
      counters.currentWeight = position * counters.weight;
    }
    for (int step = 0; step < position; step++) {
      primaries[cycle[step]].currentWeight -= cycle.length;
    }
    position = -1;
  }

  /**
   * Before the loop of a retired worker reads and writes the counters' current weights (a request that found the
   * old generation of the group): the newer worker that owns them writes out what its cycle or its lanes stand
   * for, and goes back to them only when it may (its cycle when the weights are back at its start, its lanes on its
   * next pick, from the counters). The two generations then never step the same weights two ways.
   */
  private void takeWeightsFromOwners() {
    if (!retired) {
      return;
    }
    for (WorkerPeerCounters counters : primaries) {
      Worker owner = counters.owner;
      if (owner != null && owner != this) {
        owner.materialize();
        SmoothLanes lanes = owner.lanes;
        if (lanes != null && owner.lanesLoaded) {
          lanes.store();
          owner.lanesLoaded = false;
        }
      }
    }
  }

  /**
   * Goes back to the schedule when it holds again: every primary clean and every current weight 0, the point
   * at which the cycle starts.
   */
  private void tryResume() {
    if (schedule == null || retired || unclean != 0 || position >= 0) {
      return;
    }
    for (WorkerPeerCounters counters : primaries) {
      if (counters.currentWeight != 0) {
        return;
      }
    }
    position = 0;
  }

  /**
   * Hands the counters over to the worker of a newer generation: writes the weights out, and never goes back to the
   * schedule, since this worker no longer keeps the counts it would need.
   */
  void retire() {
    materialize();
    SmoothLanes lanes = this.lanes;
    if (lanes != null && lanesLoaded) {
      lanes.store();
      lanesLoaded = false;
    }
    retired = true;
  }

  /** The cycle of smooth weighted round robin over peers of these weights, or null when it is too long to keep. */
  static int @Nullable [] schedule(Peer[] primaries, int totalWeight) {
    if (primaries.length < 2 || totalWeight > MAX_SCHEDULE
        || (long) totalWeight * primaries.length > MAX_WORK) {
      return null;
    }
    int[] current = new int[primaries.length];
    int[] order = new int[totalWeight];
    for (int step = 0; step < totalWeight; step++) {
      int best = 0;
      for (int i = 0; i < current.length; i++) {
        current[i] += primaries[i].weight;
        if (current[i] > current[best]) {
          best = i;
        }
      }
      current[best] -= totalWeight;
      order[step] = best;
    }
    return order;
  }

  // The schedule costs 4 bytes per unit of weight, and making it (on a worker's first pick) a step over every
  // primary per unit.
  private static final int MAX_SCHEDULE = 4096;
  private static final long MAX_WORK = 1 << 16;
}

/** The fields of {@link Worker}, after the padding. */
abstract class WorkerFields extends Padded {
  /** Shared by every generation of the upstream with the same number of workers, as are the counters. */
  final BalancingLock lock;
  final WorkerPeerCounters[] primaries;
  final WorkerPeerCounters[] backups;
  final int @Nullable [] schedule;
  // The index into schedule of the next pick; -1 when the counters' current weights are the state.
  int position = -1;
  // Primaries that are not clean; the schedule holds only while this is 0.
  int unclean;
  // Active connections over the primaries; while 0, least_conn ties every peer and is round robin.
  int busy;
  // Set when a newer generation took the counters over; a retired worker never goes back to the schedule.
  boolean retired;
  // Smooth round robin over a large tier of primaries, when the group has one; while loaded it holds the current
  // weights of the primaries in its lanes (see SmoothLanes), else the counters hold them.
  final @Nullable SmoothLanes lanes;
  boolean lanesLoaded;

  WorkerFields(BalancingLock lock, WorkerPeerCounters[] primaries, WorkerPeerCounters[] backups,
      int @Nullable [] schedule, @Nullable SmoothLanes lanes) {
    this.lock = lock;
    this.primaries = primaries;
    this.backups = backups;
    this.schedule = schedule;
    this.lanes = lanes;
  }
}
