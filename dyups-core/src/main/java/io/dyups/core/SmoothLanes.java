package io.dyups.core;

import java.util.Arrays;

/**
 * nginx's smooth weighted round robin, and least_conn, over a large tier of one worker, at a cost per pick that
 * depends on the number of distinct weights (and for least_conn of distinct loads), not on the number of peers.
 *
 * <p>nginx's loop (ngx_http_upstream_get_peer) adds each eligible peer's effective weight to its current weight,
 * picks the largest current weight (the first peer on ties) and takes the total of the effective weights from it.
 * Most peers of a large tier are <i>steady</i>: eligible, at their full weight. Steady peers of one weight that
 * take part in the same picks form a <i>lane</i>, which keeps their current weights lazily: a peer's current weight
 * is {@code key + weight * steps}, where {@code steps} counts the picks the lane took part in, so that one
 * increment adds the weight to every peer of the lane. Within a lane the order of the peers by current weight (the
 * first on ties) changes only for the peer picked, which gives the total back and moves behind the others: a lane
 * is a list in that order, and only its head can be picked. A pick compares the heads of the lanes and the few
 * eligible peers that are not steady (<i>recovering</i>: below their weight after failures, their effective
 * weight growing by 1 with each pick they take part in), as the loop would compare every peer.
 *
 * <p>Worked example, round robin over weights 2, 1, 1 (peers a, b, c; lanes {a} and {b, c}; total 4): all keys
 * 0, steps 0. Pick 1: steps 1; heads a = 2, b = 1: a, whose key goes to -4 (a = -2). Pick 2: steps 2; a = 0,
 * b = 2: b, key -4 (b = -2), and c heads its lane. Pick 3: a = 2, c = 3: c. Pick 4: a = 4, b = 0: a. As the loop:
 * a b c a.
 *
 * <p>Round robin has one lane per weight, and every lane takes part in every pick: one step count serves them
 * all. least_conn (ngx_http_upstream_get_least_conn_peer) picks among the peers with the fewest connections for
 * their weight, and round robin only among those when there are several: its lanes are per weight and number of
 * connections. A peer changes lanes when its connections change. The lanes of idle peers (no connection) are the
 * first, one per weight, as round robin's: whenever one of them holds a peer the least load is 0 and every idle
 * peer ties, so they all take part in the pick, share round robin's step count and pick in its runs. The lanes of
 * busier peers each have a step count of their own: a pick among them finds the least loaded lane of each weight
 * (and recovering peer), and steps the lanes tied at the least load.
 *
 * <p>nginx's other checks keep the lanes exact: a peer leaves its lane while it is down, unhealthy, at
 * {@code max_conns} or out for failures (and comes back, when its {@code fail_timeout} has passed, from a heap of
 * the seconds at which it does), and for the one pick of a retry that has tried it. A peer whose connections
 * changed (least_conn's lanes, and {@code max_conns}) moves when the next pick reads the lanes, so that a request's
 * own pick and release in between move nothing.
 *
 * <p>A group that has a cycle ({@link Worker}) follows it while it is clean; the lanes take over for good at the
 * first pick the cycle cannot make (a failure, a retry, least_conn with a connection open).
 *
 * <p>Only the owning worker's picks and releases change it, under the worker's lock. {@code NginxDifferentialTest}
 * checks it against nginx's loops written out plainly, request for request.
 */
final class SmoothLanes {
  /**
   * The fewest primaries a group picks from by lanes: below, nginx's loop (and the cycle while every primary is
   * clean) costs no more.
   */
  static final int MIN_PEERS = 32;

  private static final int NONE = -1;
  // Where a peer is: in a lane, in the recovering list, or in neither (not eligible).
  private static final byte IN_LANE = 0;
  private static final byte RECOVERING = 1;
  private static final byte OUT = 2;

  private final WorkerPeerCounters[] peers;
  private final PeerGroup group;
  private final boolean leastConn;

  // Per peer (its index in the tier): 33 bytes.
  // Its key and the next peer of its lane, side by side (key at 2i, next at 2i + 1): a run reads both of the next
  // head, whose lane's peers lie far apart when weights differ.
  private final long[] keyNext;
  private final int[] prev;
  // Its weight's index in groupWeight.
  private final int[] groupOf;
  // Its lane while it is in one.
  private final int[] laneOf;
  private final byte[] where;
  // Its index in the recovering list, or in the heap of peers out for failures; NONE when in neither.
  private final int[] listIndex;

  // The distinct weights, ascending.
  private final int[] groupWeight;
  // least_conn: each weight's lanes by number of connections (those of no connection are lanes 0 to groups - 1, as
  // round robin's lanes are), and the fewest connections of a non-empty one.
  private final int[][] laneByConns;
  private final int[] minConns;

  // Per lane. Lane g (g < groups) is weight g's, of peers without connections (round robin's: all); least_conn's
  // lanes of peers with connections come after, made as loads appear and kept while the tier lives.
  private final int groups;
  private int lanes;
  private int[] laneGroup;
  private int[] laneConns;
  private int[] head;
  private int[] tail;
  private int[] size;
  private long[] laneSteps;
  // The pick in which a lane last took part (least_conn), to put back the peers a retry took out.
  private long[] laneStepped;
  // The steps in which lanes 0 to groups - 1 took part: round robin's picks; least_conn's picks among idle peers.
  private long steps;
  // least_conn: the picks made, which laneStepped refers to.
  private long picks;
  // The sum of the weights of the peers in lanes 0 to groups - 1, and how many there are.
  private long laneTotal;
  private int lanePeers;
  // Round robin's run: the lane picked last, whose head has the key runKey of the peer picked, wins every pick up
  // to step runUntil, as long as nothing else changes (any change to a lane ends the run). See roundRobinStep.
  private int runLane = NONE;
  private long runKey;
  private long runUntil;

  // Peers out for failures, by the second they come back (checked + fail_timeout + 1): a binary heap. It and the
  // lists below grow with what they hold, which is few peers.
  private int[] heap = new int[8];
  private long[] back = new long[8];
  private int heapSize;

  // Recovering peers: eligible, at less than their weight.
  private int[] recovering = new int[8];
  private int recoveringCount;

  // The peers a retry has tried, taken out of their lanes for one pick.
  private int[] triedOut = new int[8];

  // Peers whose connections changed since the last pick (least_conn, or with max_conns), moved when the next pick
  // reads the lanes: a request's own pick and release in between then move nothing. The peer the last pick took
  // (lastPicked, whose connection its request opened and most often closed again before the next pick) is checked
  // by the next pick without entering the list; the others are listed once (marked: in the list).
  private final boolean tracksConnections;
  private int lastPicked = NONE;
  // The lane lastPicked was picked from, while it has not moved since (NONE: not known).
  private int lastPickedLane = NONE;
  // The lane of the peer the current step picked, or NONE (a recovering peer).
  private int pickedLane = NONE;
  private final boolean[] marked;
  private int[] connsChanged = new int[8];
  private int connsChangedCount;

  SmoothLanes(WorkerPeerCounters[] peers, PeerGroup group, boolean leastConn) {
    this.peers = peers;
    this.group = group;
    this.leastConn = leastConn;
    int n = peers.length;
    keyNext = new long[2 * n];
    prev = new int[n];
    groupOf = new int[n];
    laneOf = new int[n];
    where = new byte[n];
    listIndex = new int[n];
    marked = new boolean[n];
    tracksConnections = leastConn || Arrays.stream(peers).anyMatch(peer -> peer.maxConns != 0);
    groupWeight = Arrays.stream(peers).mapToInt(peer -> peer.weight).distinct().sorted().toArray();
    for (int i = 0; i < n; i++) {
      groupOf[i] = Arrays.binarySearch(groupWeight, peers[i].weight);
    }
    int groups = groupWeight.length;
    this.groups = groups;
    laneByConns = leastConn ? new int[groups][] : new int[0][];
    minConns = new int[leastConn ? groups : 0];
    int capacity = leastConn ? 2 * groups : groups;
    laneGroup = new int[capacity];
    laneConns = new int[capacity];
    head = new int[capacity];
    tail = new int[capacity];
    size = new int[capacity];
    laneSteps = new long[capacity];
    laneStepped = new long[capacity];
  }

  /**
   * Takes the current weights, effective weights and everything nginx checks from the counters, where they are
   * the state: a new worker's, or after the loop picked from them. {@code now} may be {@link PeerGroup#UNREAD}.
   */
  void load(long now) {
    lanes = 0;
    steps = 0;
    picks = 0;
    laneTotal = 0;
    lanePeers = 0;
    heapSize = 0;
    recoveringCount = 0;
    for (int c = 0; c < connsChangedCount; c++) {
      marked[connsChanged[c]] = false;
    }
    connsChangedCount = 0;
    lastPicked = NONE;
    Arrays.fill(listIndex, NONE);
    for (int g = 0; g < groups; g++) {
      newLane(g, 0);
      if (leastConn) {
        laneByConns[g] = new int[4];
        Arrays.fill(laneByConns[g], NONE);
        laneByConns[g][0] = g;
        minConns[g] = NONE;
      }
    }
    // Into each lane in the order of the current weights, the first peer first on ties, as the loop sees them: each
    // peer sorted as the unsigned (Integer.MAX_VALUE - current weight, index), packed into a long whose sign bit is
    // flipped for a signed sort.
    long[] order = new long[peers.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = (((long) Integer.MAX_VALUE - peers[i].currentWeight) << 32 | i) ^ Long.MIN_VALUE;
    }
    Arrays.sort(order);
    for (long packed : order) {
      int i = (int) packed;
      where[i] = OUT;
      place(i, now);
    }
  }

  private int newLane(int g, int conns) {
    if (lanes == head.length) {
      int capacity = 2 * lanes;
      laneGroup = Arrays.copyOf(laneGroup, capacity);
      laneConns = Arrays.copyOf(laneConns, capacity);
      head = Arrays.copyOf(head, capacity);
      tail = Arrays.copyOf(tail, capacity);
      size = Arrays.copyOf(size, capacity);
      laneSteps = Arrays.copyOf(laneSteps, capacity);
      laneStepped = Arrays.copyOf(laneStepped, capacity);
    }
    int lane = lanes++;
    laneGroup[lane] = g;
    laneConns[lane] = conns;
    head[lane] = NONE;
    tail[lane] = NONE;
    size[lane] = 0;
    laneSteps[lane] = 0;
    laneStepped[lane] = -1;
    return lane;
  }

  // The lane of weight g and this many connections (least_conn), made when it is first needed.
  private int laneFor(int g, int conns) {
    if (!leastConn) {
      return g;
    }
    int[] byConns = laneByConns[g];
    if (conns >= byConns.length) {
      int old = byConns.length;
      byConns = Arrays.copyOf(byConns, Math.max(2 * old, conns + 1));
      Arrays.fill(byConns, old, byConns.length, NONE);
      laneByConns[g] = byConns;
    }
    int lane = byConns[conns];
    if (lane == NONE) {
      lane = newLane(g, conns);
      byConns[conns] = lane;
    }
    return lane;
  }

  // A peer's key (current weight = key + weight * steps of its lane) and the next peer of its lane, in keyNext.
  private long key(int i) {
    return keyNext[2 * i];
  }

  private void setKey(int i, long key) {
    keyNext[2 * i] = key;
  }

  private int next(int i) {
    return (int) keyNext[2 * i + 1];
  }

  private void setNext(int i, int next) {
    keyNext[2 * i + 1] = next;
  }

  private long stepsOf(int lane) {
    return lane < groups ? steps : laneSteps[lane];
  }

  /** Writes every current weight into the counters, where the loop reads it. */
  void store() {
    for (int i = 0; i < peers.length; i++) {
      if (where[i] == IN_LANE) {
        peers[i].currentWeight = currentWeight(i);
      }
    }
  }

  private int currentWeight(int i) {
    int lane = laneOf[i];
    return (int) (key(i) + (long) groupWeight[laneGroup[lane]] * stepsOf(lane));
  }

  /**
   * Puts peer {@code i}, which is in no lane, list or heap, where it belongs now: its lane when it is eligible at
   * its full weight, the recovering list when it is eligible below it, the heap when it is out for failures. Its
   * current weight is in the counters.
   */
  private void place(int i, long now) {
    WorkerPeerCounters peer = peers[i];
    if (peer.down || peer.checkDown || !peer.hasRoom()) {
      where[i] = OUT;
    } else if (peer.maxFails != 0 && peer.fails >= peer.maxFails
        && group.seconds(now) - peer.checked <= peer.failTimeoutSeconds) {
      where[i] = OUT;
      heapAdd(i, peer.checked + peer.failTimeoutSeconds + 1);
    } else if (peer.effectiveWeight < peer.weight) {
      where[i] = RECOVERING;
      if (recoveringCount == recovering.length) {
        recovering = Arrays.copyOf(recovering, 2 * recoveringCount);
      }
      listIndex[i] = recoveringCount;
      recovering[recoveringCount++] = i;
    } else {
      where[i] = IN_LANE;
      int lane = laneFor(groupOf[i], peer.conns);
      laneOf[i] = lane;
      setKey(i, peer.currentWeight - (long) peer.weight * stepsOf(lane));
      insert(i);
    }
  }

  /** Takes peer {@code i} out of its lane, list or heap, its current weight written into its counters. */
  private void remove(int i) {
    if (i == lastPicked) {
      lastPickedLane = NONE;
    }
    switch (where[i]) {
      case IN_LANE -> {
        peers[i].currentWeight = currentWeight(i);
        unlink(i);
      }
      case RECOVERING -> {
        int at = listIndex[i];
        int last = recovering[--recoveringCount];
        recovering[at] = last;
        listIndex[last] = at;
        listIndex[i] = NONE;
      }
      default -> {
        if (listIndex[i] != NONE) {
          heapRemove(i);
        }
      }
    }
    where[i] = OUT;
  }

  /**
   * Peer {@code i}'s counters changed (a failure, a success, a connection more or less, a health verdict): moves it
   * to where it belongs. {@code now} may be {@link PeerGroup#UNREAD}.
   */
  void changed(int i, long now) {
    if (where[i] == IN_LANE && stillInLane(i)) {
      return;
    }
    remove(i);
    place(i, now);
  }

  /**
   * Peer {@code i} has a connection more or less: least_conn's lanes (and {@code max_conns}) depend on it. Moved at
   * the next pick.
   */
  void connectionsChanged(int i) {
    if (tracksConnections && i != lastPicked && (leastConn || peers[i].maxConns != 0) && !marked[i]) {
      marked[i] = true;
      if (connsChangedCount == connsChanged.length) {
        connsChanged = Arrays.copyOf(connsChanged, 2 * connsChangedCount);
      }
      connsChanged[connsChangedCount++] = i;
    }
  }

  // A peer in its lane stays there while it is eligible at full weight (only failures need the clock, and a peer
  // with failures below max_fails is not out) and, for least_conn, has the same connections.
  private boolean stillInLane(int i) {
    WorkerPeerCounters peer = peers[i];
    return !peer.down && !peer.checkDown && peer.hasRoom() && peer.effectiveWeight == peer.weight
        && (peer.maxFails == 0 || peer.fails < peer.maxFails)
        && (!leastConn || laneConns[laneOf[i]] == peer.conns);
  }

  /**
   * One pick over the eligible peers, by round robin or least_conn: returns the index of the peer picked (not yet
   * marked tried), or -1 when none is eligible. {@code now} may be {@link PeerGroup#UNREAD}.
   */
  int pick(PeerSelection selection, long now) {
    int last = lastPicked;
    if (last != NONE) {
      lastPicked = NONE;
      // Only its connections changed since (anything else moved it at once): it stays in its lane while that lane
      // has as many connections (least_conn) and the peer is below max_conns.
      int lane = lastPickedLane;
      WorkerPeerCounters peer = peers[last];
      if (lane == NONE || (leastConn && laneConns[lane] != peer.conns) || !peer.hasRoom()) {
        changed(last, now);
      }
    }
    for (int c = 0; c < connsChangedCount; c++) {
      int i = connsChanged[c];
      marked[i] = false;
      changed(i, now);
    }
    connsChangedCount = 0;
    if (heapSize > 0) {
      now = group.seconds(now);
      while (heapSize > 0 && back[0] <= now) {
        int i = heap[0];
        heapRemove(i);
        where[i] = OUT;
        place(i, now);
      }
    }
    int tried = selection.firstTry() ? 0 : takeTriedOut(selection);
    long stepsBefore = steps;
    long pick = ++picks;
    pickedLane = NONE;
    int best = leastConn ? leastConnStep(selection, pick) : roundRobinStep(selection);
    for (int t = 0; t < tried; t++) {
      int i = triedOut[t];
      int lane = laneOf[i];
      // It took no part in the pick: its current weight is what it was, while its lane's steps moved on by one
      // when the lane took part.
      if (lane < groups ? steps != stepsBefore : laneStepped[lane] == pick) {
        setKey(i, key(i) - groupWeight[laneGroup[lane]]);
      }
      insert(i);
    }
    if (best >= 0) {
      if (tracksConnections) {
        // Its request opens a connection on it now: the next pick checks its lane (again, when it is listed too).
        lastPicked = best;
        lastPickedLane = pickedLane;
      }
      WorkerPeerCounters peer = peers[best];
      peer.startFailureWindow(group, now);
      if (peer.fails != 0) {
        // A new failure window can take a peer at max_fails out again until it serves a request well.
        changed(best, now);
      }
    }
    return best;
  }

  // Takes the tried peers of this selection out of their lanes; returns how many.
  private int takeTriedOut(PeerSelection selection) {
    int count = 0;
    for (long low = selection.tried; low != 0; low &= low - 1) {
      count = takeOut(Long.numberOfTrailingZeros(low), count);
    }
    if (selection.firstBeyond >= 0) {
      count = takeOut(selection.firstBeyond, count);
    }
    for (int t = 0; t < selection.triedCount; t++) {
      count = takeOut(selection.triedIndex(t), count);
    }
    return count;
  }

  private int takeOut(int i, int count) {
    if (where[i] != IN_LANE) {
      return count;
    }
    unlink(i);
    if (count == triedOut.length) {
      triedOut = Arrays.copyOf(triedOut, 2 * count);
    }
    triedOut[count] = i;
    return count + 1;
  }

  /** ngx_http_upstream_get_peer over every eligible peer: a step of lanes 0 to groups - 1, when any peer takes part. */
  private int roundRobinStep(PeerSelection selection) {
    boolean any = laneTotal > 0;
    for (int r = 0; r < recoveringCount && !any; r++) {
      any = !selection.isTried(recovering[r]);
    }
    return any ? idleStep(selection) : NONE;
  }

  /**
   * One step of smooth weighted round robin over lanes 0 to groups - 1 and the recovering peers that take part:
   * round robin's pick over every eligible peer (ngx_http_upstream_get_peer), or least_conn's among the idle ones
   * when at least two are (the "many" of ngx_http_upstream_get_least_conn_peer at load 0). At least one peer takes
   * part.
   *
   * <p>The peers of a lane picked one after the other have one key (the lane's head had it, the next one has it
   * too, until the lane has given each of them the total back), and their current weight grows by the lane's weight
   * at each pick, while another lane's head grows by its own: a lane of a smaller weight never catches up, one of a
   * larger weight w' after (gap / (w' - w)) picks. So after comparing the heads, the lane picked keeps winning,
   * without comparing them again, up to the first pick at which another lane could equal it (a <i>run</i>: in a
   * clean tier about as many picks as the lane has peers), unless its next head has a smaller key or anything else
   * changes. Not while peers are recovering, whose current weights move by their own effective weights.
   */
  private int idleStep(PeerSelection selection) {
    long steps = ++this.steps;
    int run = runLane;
    if (run != NONE && steps <= runUntil && recoveringCount == 0) {
      int best = head[run];
      continueRun(best, run, runKey, runUntil);
      return best;
    }
    int best = NONE;
    long bestWeight = Long.MIN_VALUE;
    for (int lane = 0; lane < groups; lane++) {
      int h = head[lane];
      if (h == NONE) {
        continue;
      }
      long current = key(h) + (long) groupWeight[lane] * steps;
      if (current > bestWeight || (current == bestWeight && h < best)) {
        best = h;
        bestWeight = current;
      }
    }
    if (recoveringCount == 0) {
      int lane = laneOf[best];
      continueRun(best, lane, key(best), runUntil(lane, bestWeight, steps));
      return best;
    }
    long total = laneTotal;
    for (int r = 0; r < recoveringCount; r++) {
      int i = recovering[r];
      if (selection.isTried(i) || (leastConn && peers[i].conns != 0)) {
        continue;
      }
      WorkerPeerCounters peer = peers[i];
      total += peer.takeTurn();
      if (peer.currentWeight > bestWeight || (peer.currentWeight == bestWeight && i < best)) {
        best = i;
        bestWeight = peer.currentWeight;
      }
    }
    finishStep(best, total);
    return best;
  }

  /**
   * The lane head {@code best}, of key {@code runKey}, gives the total back; the run goes on to {@code until} when
   * the lane's next head has the same key.
   */
  private void continueRun(int best, int lane, long runKey, long until) {
    giveBack(best, lane, laneTotal);
    pickedLane = lane;
    int next = head[lane];
    if (next != NONE && key(next) == runKey && until > steps) {
      runLane = lane;
      this.runKey = runKey;
      runUntil = until;
    }
  }

  /**
   * The last pick at which lane {@code lane}, whose head has the current weight {@code current} at pick
   * {@code steps}, is still larger than every other lane's head: the lanes of larger weights close the gap.
   */
  private long runUntil(int lane, long current, long steps) {
    int weight = groupWeight[lane];
    long until = Long.MAX_VALUE;
    // Lanes 0 to groups - 1 are in ascending order of weight: the larger ones come after this one.
    for (int other = lane + 1; other < groups; other++) {
      int h = head[other];
      int otherWeight = groupWeight[other];
      if (h == NONE) {
        continue;
      }
      long gap = current - (key(h) + (long) otherWeight * steps);
      int closing = otherWeight - weight;
      // Strictly larger at steps + k while k * closing < gap.
      long lead = gap <= 0 ? 0 : (gap - 1) / closing;
      until = Math.min(until, steps + lead);
    }
    return until;
  }

  /**
   * ngx_http_upstream_get_least_conn_peer: the least loaded, or round robin among them when several tie. Pick
   * {@code pick} of {@link #picks}.
   */
  private int leastConnStep(PeerSelection selection, long pick) {
    // An idle peer (in lanes 0 to groups - 1, or recovering without connections) has the least load, 0, tied by
    // every other idle one: with two or more, round robin's step over them.
    int idle = lanePeers;
    int onlyIdle = NONE;
    for (int r = 0; r < recoveringCount && idle < 2; r++) {
      int i = recovering[r];
      if (peers[i].conns == 0 && !selection.isTried(i)) {
        idle++;
        onlyIdle = i;
      }
    }
    if (idle >= 2) {
      return idleStep(selection);
    }
    if (idle == 1) {
      // One least loaded peer: nginx takes it without a round-robin step.
      for (int lane = 0; lane < groups && onlyIdle == NONE; lane++) {
        onlyIdle = head[lane];
      }
      return onlyIdle;
    }
    // Every eligible peer is busy (lanes 0 to groups - 1 are empty). The least load: the fewest connections for the
    // weight, over the least loaded lane of each weight and over the recovering peers.
    int leastConns = NONE;
    int leastWeight = 1;
    int tied = 0;
    int only = NONE;
    for (int g = 0; g < groupWeight.length; g++) {
      int conns = minConns[g];
      if (conns == NONE) {
        continue;
      }
      int weight = groupWeight[g];
      int lane = laneByConns[g][conns];
      int load = leastConns == NONE ? -1 : WorkerPeerCounters.compareLoads(conns, weight, leastConns, leastWeight);
      if (load < 0) {
        leastConns = conns;
        leastWeight = weight;
        tied = size[lane];
        only = head[lane];
      } else if (load == 0) {
        tied += size[lane];
        only = Math.min(only, head[lane]);
      }
    }
    for (int r = 0; r < recoveringCount; r++) {
      int i = recovering[r];
      WorkerPeerCounters peer = peers[i];
      if (selection.isTried(i)) {
        continue;
      }
      int load = leastConns == NONE ? -1
          : WorkerPeerCounters.compareLoads(peer.conns, peer.weight, leastConns, leastWeight);
      if (load < 0) {
        leastConns = peer.conns;
        leastWeight = peer.weight;
        tied = 1;
        only = i;
      } else if (load == 0) {
        tied++;
      }
    }
    if (leastConns == NONE) {
      return NONE;
    }
    if (tied == 1) {
      // One least loaded peer: nginx takes it without a round-robin step.
      return only;
    }
    int best = NONE;
    long bestWeight = Long.MIN_VALUE;
    long total = 0;
    for (int g = 0; g < groupWeight.length; g++) {
      int conns = minConns[g];
      int weight = groupWeight[g];
      if (conns == NONE || WorkerPeerCounters.compareLoads(conns, weight, leastConns, leastWeight) != 0) {
        continue;
      }
      int lane = laneByConns[g][conns];
      long laneSteps = ++this.laneSteps[lane];
      laneStepped[lane] = pick;
      total += (long) weight * size[lane];
      int h = head[lane];
      long current = key(h) + (long) weight * laneSteps;
      if (current > bestWeight || (current == bestWeight && h < best)) {
        best = h;
        bestWeight = current;
      }
    }
    for (int r = 0; r < recoveringCount; r++) {
      int i = recovering[r];
      WorkerPeerCounters peer = peers[i];
      if (selection.isTried(i)
          || WorkerPeerCounters.compareLoads(peer.conns, peer.weight, leastConns, leastWeight) != 0) {
        continue;
      }
      total += peer.takeTurn();
      if (peer.currentWeight > bestWeight || (peer.currentWeight == bestWeight && i < best)) {
        best = i;
        bestWeight = peer.currentWeight;
      }
    }
    finishStep(best, total);
    return best;
  }

  /**
   * The end of a step: the peer picked gives the total back, and a recovering peer back at full weight joins its
   * lane. (The recovering peers took their turns as in the loop, {@link WorkerPeerCounters#takeTurn}; the peers of
   * a lane took theirs by its step count, at full weight.)
   */
  private void finishStep(int best, long total) {
    if (where[best] == IN_LANE) {
      pickedLane = laneOf[best];
      giveBack(best, pickedLane, total);
    } else {
      peers[best].currentWeight -= (int) total; // total is a sum of int weights within one step
    }
    for (int r = recoveringCount - 1; r >= 0; r--) {
      int i = recovering[r];
      if (peers[i].effectiveWeight == peers[i].weight) {
        remove(i);
        place(i, PeerGroup.UNREAD);
      }
    }
  }

  /**
   * Lane head {@code i}, picked from lane {@code lane}, gives {@code total} back and moves behind the peers of a
   * larger current weight (and those of the same one that come before it): most often to the tail, which in a
   * circular lane is only its head and tail moving on by one peer.
   */
  private void giveBack(int i, int lane, long total) {
    long k = key(i) - total;
    int last = tail[lane];
    if (head[lane] == i && last != i && (key(last) > k || (key(last) == k && last < i))) {
      runLane = NONE;
      head[lane] = next(i);
      tail[lane] = i;
      setKey(i, k);
      return;
    }
    unlink(i);
    setKey(i, k);
    insert(i);
  }

  // Links peer i into its lane: behind every peer of a larger current weight, and behind those of the same one
  // that come before it. From the tail, where a peer that gave the total back belongs. A lane is a circular list
  // (the tail's next is the head), so that its head moves to the tail without relinking (giveBack).
  private void insert(int i) {
    runLane = NONE;
    int lane = laneOf[i];
    long k = key(i);
    int first = head[lane];
    if (first == NONE) {
      head[lane] = i;
      tail[lane] = i;
      setNext(i, i);
      prev[i] = i;
    } else {
      // The last peer that stays before i, or NONE when i comes first.
      int after = tail[lane];
      while (key(after) < k || (key(after) == k && after > i)) {
        if (after == first) {
          after = NONE;
          break;
        }
        after = prev[after];
      }
      int before = after == NONE ? first : next(after);
      int behind = after == NONE ? tail[lane] : after;
      setNext(behind, i);
      prev[i] = behind;
      setNext(i, before);
      prev[before] = i;
      if (after == NONE) {
        head[lane] = i;
      } else if (after == tail[lane]) {
        tail[lane] = i;
      }
    }
    if (size[lane]++ == 0 && leastConn) {
      int g = laneGroup[lane];
      if (minConns[g] == NONE || laneConns[lane] < minConns[g]) {
        minConns[g] = laneConns[lane];
      }
    }
    if (lane < groups) {
      laneTotal += groupWeight[lane];
      lanePeers++;
    }
  }

  private void unlink(int i) {
    runLane = NONE;
    int lane = laneOf[i];
    int before = next(i);
    if (before == i) {
      head[lane] = NONE;
      tail[lane] = NONE;
    } else {
      int after = prev[i];
      setNext(after, before);
      prev[before] = after;
      if (head[lane] == i) {
        head[lane] = before;
      }
      if (tail[lane] == i) {
        tail[lane] = after;
      }
    }
    if (--size[lane] == 0 && leastConn) {
      int g = laneGroup[lane];
      if (minConns[g] == laneConns[lane]) {
        // The next non-empty lane of the weight, by connections.
        int[] byConns = laneByConns[g];
        int conns = laneConns[lane] + 1;
        while (conns < byConns.length && (byConns[conns] == NONE || size[byConns[conns]] == 0)) {
          conns++;
        }
        minConns[g] = conns < byConns.length ? conns : NONE;
      }
    }
    if (lane < groups) {
      laneTotal -= groupWeight[lane];
      lanePeers--;
    }
  }

  private void heapAdd(int i, long second) {
    if (heapSize == heap.length) {
      heap = Arrays.copyOf(heap, 2 * heapSize);
      back = Arrays.copyOf(back, 2 * heapSize);
    }
    int at = heapSize++;
    heap[at] = i;
    back[at] = second;
    listIndex[i] = at;
    siftUp(at);
  }

  private void heapRemove(int i) {
    int at = listIndex[i];
    listIndex[i] = NONE;
    int last = --heapSize;
    if (at == last) {
      return;
    }
    int moved = heap[last];
    heap[at] = moved;
    back[at] = back[last];
    listIndex[moved] = at;
    siftUp(at);
    siftDown(listIndex[moved]);
  }

  private void siftUp(int at) {
    while (at > 0) {
      int parent = (at - 1) >>> 1;
      if (back[parent] <= back[at]) {
        return;
      }
      swap(at, parent);
      at = parent;
    }
  }

  private void siftDown(int at) {
    for (;;) {
      int child = 2 * at + 1;
      if (child >= heapSize) {
        return;
      }
      if (child + 1 < heapSize && back[child + 1] < back[child]) {
        child++;
      }
      if (back[at] <= back[child]) {
        return;
      }
      swap(at, child);
      at = child;
    }
  }

  private void swap(int a, int b) {
    int i = heap[a];
    long s = back[a];
    heap[a] = heap[b];
    back[a] = back[b];
    heap[b] = i;
    back[b] = s;
    listIndex[heap[a]] = a;
    listIndex[heap[b]] = b;
  }
}
