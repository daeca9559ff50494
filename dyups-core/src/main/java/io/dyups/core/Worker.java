package io.dyups.core;

import org.jspecify.annotations.Nullable;

/**
 * The balancing state one worker keeps for one generation of a group, as each nginx worker process keeps its own
 * copy of an upstream that has no {@code zone}: threads that pick through different workers share no line that
 * either writes. An upstream with {@code zone} has one worker, which every thread shares.
 *
 * <p>While every primary is clean (see {@link PeerCounters#clean}), smooth weighted round robin is a fixed cycle
 * of {@code totalWeight} picks that starts and ends with every current weight at 0. The worker then follows the
 * group's precomputed cycle ({@code schedule}) instead of updating every peer's weights at each pick, and writes
 * the weights out ({@link #materialize}) before anything else reads them. Guarded by {@link #lock}.
 */
final class Worker extends WorkerFields {
  // Padding after the fields; see WorkerPadding.
  @SuppressWarnings("unused")
  private long p10, p11, p12, p13, p14, p15, p16, p17;

  Worker(BalancingLock lock, PeerCounters[] primaries, PeerCounters[] backups, int @Nullable [] schedule) {
    super(lock, primaries, backups, schedule);
  }

  /** Counts the unclean primaries and the connections on them, for a worker that owns its counters. */
  void count() {
    unclean = 0;
    busy = 0;
    for (PeerCounters counters : primaries) {
      if (counters.owner != this) {
        continue;
      }
      counters.clean = counters.isClean();
      if (!counters.clean) {
        unclean++;
      }
      busy += counters.conns;
    }
  }

  /** True when the next round-robin pick over the primaries may come from the schedule. */
  boolean onSchedule() {
    return position >= 0 && unclean == 0;
  }

  /** The primary the schedule picks next. Only when {@link #onSchedule()}, which a null schedule never is. */
  @SuppressWarnings("NullAway")
  int nextScheduled() {
    int index = schedule[position];
    position = position + 1 == schedule.length ? 0 : position + 1;
    return index;
  }

  /**
   * Writes the current weights the schedule stands for into the counters and leaves the schedule. After
   * {@code position} steps from all zeros, every step having added each peer's weight and taken the total from the
   * one it picked, a peer's current weight is {@code position * weight - totalWeight * (its picks so far)}.
   */
  @SuppressWarnings("NullAway") // position >= 0 only with a schedule
  void materialize() {
    if (position < 0) {
      return;
    }
    for (PeerCounters counters : primaries) {
      counters.currentWeight = position * counters.weight;
    }
    for (int step = 0; step < position; step++) {
      primaries[schedule[step]].currentWeight -= schedule.length;
    }
    position = -1;
  }

  /**
   * Goes back to the schedule when it holds again: every primary clean and every current weight 0, the point
   * at which the cycle starts.
   */
  void tryResume() {
    if (schedule == null || retired || unclean != 0) {
      return;
    }
    for (PeerCounters counters : primaries) {
      if (counters.currentWeight != 0) {
        return;
      }
    }
    position = 0;
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

/**
 * Padding before the fields of {@link Worker}: superclass fields are laid out first. Each worker's position and
 * counts are written on every pick, by the threads of that worker only; the padding keeps the workers of one group,
 * made one after the other, off each other's cache lines.
 */
abstract class WorkerPadding {
  @SuppressWarnings("unused")
  private long p00, p01, p02, p03, p04, p05, p06, p07;
  // Fills the four bytes after a compressed object header, where the JVM would otherwise put a field of a
  // subclass: ahead of the padding, beside the object before this one.
  @SuppressWarnings("unused")
  private int p08;
}

/** The fields of {@link Worker}, between its paddings. */
abstract class WorkerFields extends WorkerPadding {
  /** Shared by every generation of the upstream with the same number of workers, as are the counters. */
  final BalancingLock lock;
  final PeerCounters[] primaries;
  final PeerCounters[] backups;
  final int @Nullable [] schedule;
  // The index into schedule of the next pick; -1 when the counters' current weights are the state.
  int position = -1;
  // Primaries that are not clean; the schedule holds only while this is 0.
  int unclean;
  // Active connections over the primaries; while 0, least_conn ties every peer and is round robin.
  int busy;
  // Set when a newer generation took the counters over; a retired worker never goes back to the schedule.
  boolean retired;

  WorkerFields(BalancingLock lock, PeerCounters[] primaries, PeerCounters[] backups, int @Nullable [] schedule) {
    this.lock = lock;
    this.primaries = primaries;
    this.backups = backups;
    this.schedule = schedule;
  }
}
