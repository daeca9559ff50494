package io.dyups.core;

import io.dyups.parser.ServerSpec;

/**
 * What one worker counts for one server, as each nginx worker keeps its own {@code ngx_http_upstream_rr_peer_t}
 * for an upstream without {@code zone}: the round-robin weights, active connections and failures. Shared by every
 * generation of the group in which the server's line stayed the same. Guarded by the worker's lock.
 *
 * <p>The settings of the server line are copied in, so that a pick reads one object per peer.
 */
final class PeerCounters extends PeerCountersFields {
  // Padding after the fields; see PeerCountersPadding.
  @SuppressWarnings("unused")
  private long p10, p11, p12, p13, p14, p15, p16, p17;

  PeerCounters(ServerSpec spec, boolean checkDown) {
    super(spec, checkDown);
  }

  boolean isClean() {
    return fails == 0 && effectiveWeight == weight && !checkDown && !down && maxConns == 0;
  }

  /** Brings {@link #clean} and the owner's count up to date after a change. */
  void updateClean() {
    boolean now = isClean();
    if (now != clean) {
      clean = now;
      if (primary) {
        owner.unclean += now ? -1 : 1;
      }
    }
  }

  void addConnection() {
    conns++;
    if (primary) {
      owner.busy++;
    }
  }

  void removeConnection() {
    conns--;
    if (primary) {
      owner.busy--;
    }
  }

  // now may be PeerGroup.UNREAD: the clock is read only for a peer at max_fails.
  boolean isFailed(long now, PeerGroup group) {
    return maxFails != 0 && fails >= maxFails && group.seconds(now) - checked <= failTimeoutSeconds;
  }

  boolean usable(long now, PeerGroup group) {
    return !down && !checkDown && !isFailed(now, group) && !(maxConns != 0 && conns >= maxConns);
  }
}

/**
 * Padding before the fields of {@link PeerCounters}: superclass fields are laid out first. Each worker writes its
 * own counters on every pick; the padding keeps two workers' counters of one server, which may lie side by side
 * (a collector copies them in the order it finds them), off each other's cache lines.
 */
abstract class PeerCountersPadding {
  @SuppressWarnings("unused")
  private long p00, p01, p02, p03, p04, p05, p06, p07;
  // Fills the four bytes after a compressed object header, where the JVM would otherwise put a field of a
  // subclass: ahead of the padding, beside the object before this one.
  @SuppressWarnings("unused")
  private int p08;
}

/** The fields of {@link PeerCounters}, between its paddings. */
abstract class PeerCountersFields extends PeerCountersPadding {
  final int weight;
  final int maxFails;
  final int maxConns;
  final long failTimeoutSeconds;
  final boolean down;
  final boolean primary;

  int currentWeight;
  int effectiveWeight;
  int conns;
  int fails;
  // Seconds on the group's ticker, as nginx's ngx_time().
  long accessed;
  long checked;
  // The worker's copy of PeerState.checkDown, so that a pick reads no shared line.
  boolean checkDown;

  // True while nothing sets this peer apart from nginx's fresh state: no failures, full weight, not down, healthy,
  // no max_conns. While every primary of a group is clean, round robin follows a precomputed schedule.
  boolean clean;
  // The newest generation's worker that holds these counters: it keeps the count of unclean primaries. Set by
  // PeerGroup when it makes the worker that first holds these counters, before any pick reads it.
  @SuppressWarnings("NullAway.Init")
  Worker owner;

  PeerCountersFields(ServerSpec spec, boolean checkDown) {
    this.weight = spec.weight();
    this.maxFails = spec.maxFails();
    this.maxConns = spec.maxConns();
    this.failTimeoutSeconds = spec.failTimeout().toSeconds();
    this.down = spec.down();
    this.primary = !spec.backup();
    this.effectiveWeight = weight;
    this.checkDown = checkDown;
  }
}
