package io.dyups.core;

import static com.google.common.base.Preconditions.checkArgument;
import static java.util.Objects.requireNonNull;

import com.google.common.base.Ticker;
import com.google.common.collect.ImmutableList;
import io.dyups.parser.Address;
import io.dyups.parser.Balancing;
import io.dyups.parser.HealthCheck;
import io.dyups.parser.ServerSpec;
import io.dyups.parser.UpstreamBlock;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * The live peers of one upstream definition and the balancing method that picks among them. A new group is built
 * for every new definition; a server whose line did not change keeps its state (failures, active connections,
 * round-robin position, health) from the group it replaces, and requests still running on the old group release
 * into that same state.
 *
 * <p>Picking is done with a {@link PeerSelection}. As nginx keeps a copy of an upstream without {@code zone} in
 * each worker process, a group keeps its balancing state once per worker (a power of two, by default the number
 * of processors at or above it); a selection picks through one of them, and threads that use different workers
 * never wait for each other. Each worker's state is guarded by a small lock held for the few loads and stores of
 * one pick or release. An upstream with {@code zone} has one worker, shared by every thread: its order of picks
 * and its failure counts are exact across threads, at the price of threads taking turns.
 */
public final class PeerGroup {
  private final UpstreamBlock definition;
  private final List<HostStatus> hosts;
  private final ImmutableList<Peer> peers;
  final Peer[] primaries;
  final Peer[] backups;
  final Strategy strategy;
  // Nanoseconds of wall-clock time since the epoch; see SYSTEM_CLOCK.
  final Ticker clock;
  // Guards the health fields of the peers' SharedPeerState and the making of workers; shared by every generation.
  // Taken before a worker's lock. Off the request path, so a plain lock, without the padding of a worker's.
  final ReentrantLock lock;
  // Made on first use, so that an upstream costs a worker's state only in the workers that pick from it. Read
  // without a lock: a Worker's final fields make it safe to see through a race, and the rest of it is read under
  // its own lock.
  private final Worker[] workers;
  final int workerMask;
  private final Lineage lineage;
  private final long generation;
  // Made with the first worker (guarded by the shared lock): an upstream nobody picks from does not pay for it.
  private int @Nullable [] schedule;
  private boolean scheduleMade;
  // nginx's peers->single: one primary and no backup; such a peer is never taken out for failures.
  final boolean single;
  // Sum of the primaries' weights, nginx's peers->total_weight.
  final int totalWeight;
  final int tries;
  // For the hash methods and random, the primary that holds each unit of the total weight.
  final @Nullable WeightUnits weightUnits;
  // ceil(2^40 / totalWeight): the quotient of h by totalWeight is (h * this) >>> 40 for every h below 2^20.
  private final long weightReciprocal;

  // The backups of a group that has none (most groups): a zero-length array, never written.
  private static final Peer[] NO_PEERS = new Peer[0];
  private static final ServerSpec[] NO_SERVERS = new ServerSpec[0];

  /**
   * What the generations of one upstream with the same number of workers share: each worker's lock, its newest.
   * The arrays are made with the first worker (under the shared lock): an upstream nobody picks from, as every
   * upstream of a start, keeps three arrays fewer.
   */
  private static final class Lineage {
    private final int count;
    private BalancingLock @Nullable [] locks;
    private Worker @Nullable [] newest;
    private long @Nullable [] newestGeneration;

    Lineage(int count) {
      this.count = count;
    }

    /** Makes the arrays if no worker did yet. Callers hold the shared lock. */
    void make() {
      if (locks == null) {
        locks = new BalancingLock[count];
        newest = new Worker[count];
        newestGeneration = new long[count];
      }
    }

    BalancingLock[] locks() {
      return requireNonNull(locks, "locks");
    }

    Worker[] newest() {
      return requireNonNull(newest, "newest");
    }

    long[] newestGeneration() {
      return requireNonNull(newestGeneration, "newestGeneration");
    }
  }

  /** The definition this group's peers were built from. */
  UpstreamBlock definition() {
    return definition;
  }

  private PeerGroup(UpstreamBlock definition, HostTable.Plan plan, @Nullable PeerGroup previous, Ticker clock,
      int workerCount) {
    this.definition = definition;
    this.hosts = List.copyOf(plan.hosts());
    // Plan.WRITTEN: a peer per server of the definition, made from the server line itself (no endpoint).
    boolean written = plan == HostTable.Plan.WRITTEN;
    // Each line read once: a definition may keep its servers packed and make a record at each get().
    ServerSpec[] servers = written ? definition.servers().toArray(new ServerSpec[0]) : NO_SERVERS;
    List<Endpoint> endpoints = plan.endpoints();
    int size = written ? servers.length : endpoints.size();
    this.clock = clock;
    this.lock = previous == null ? new ReentrantLock() : previous.lock;
    int count = definition.zone() != null ? 1 : workerCount;
    boolean sameWorkers = previous != null && previous.workers.length == count;
    this.lineage = sameWorkers && previous != null ? previous.lineage : new Lineage(count);
    this.generation = previous == null ? 1 : previous.generation + 1;
    // A first generation (every upstream of a start) carries nothing: no maps for it.
    Map<Endpoint, ArrayDeque<SharedPeerState>> carried = previous == null ? Map.of() : new HashMap<>();
    Set<Address> previousAddresses = previous == null ? Set.of() : new HashSet<>();
    if (previous != null) {
      for (Peer peer : previous.peers) {
        carried.computeIfAbsent(peer.endpoint(), endpoint -> new ArrayDeque<>()).add(peer.state);
        previousAddresses.add(peer.address());
      }
    }
    HealthCheck check = definition.healthCheck();
    // Health the HealthChecker set means nothing once the upstream has no check that could set it back.
    boolean checkRemoved = check == null && previous != null && previous.definition.healthCheck() != null;
    int backupCount = 0;
    for (int i = 0; i < size; i++) {
      backupCount += (written ? servers[i] : endpoints.get(i).spec()).backup() ? 1 : 0;
    }
    Peer[] all = new Peer[size];
    Peer[] primaryPeers = new Peer[all.length - backupCount];
    Peer[] backupPeers = backupCount == 0 ? NO_PEERS : new Peer[backupCount];
    int primaryCount = 0;
    backupCount = 0;
    List<SharedPeerState> kept = previous == null ? List.of() : new ArrayList<>();
    int weights = 0;
    long nowMillis = clock.read() / 1_000_000L;
    lock.lock();
    try {
      for (int i = 0; i < all.length; i++) {
        @Nullable Endpoint endpoint = written ? null : endpoints.get(i);
        ServerSpec server = endpoint == null ? servers[i] : endpoint.spec();
        ArrayDeque<SharedPeerState> same = previous == null ? null
            : carried.get(endpoint != null ? endpoint : Endpoint.written(server));
        SharedPeerState state;
        if (same == null || same.isEmpty()) {
          state = new SharedPeerState(new WorkerPeerCounters[count], check != null && check.defaultDown(),
              nowMillis);
          if (previous != null && server.slowStart().toNanos() > 0 && !previousAddresses.contains(server.address())) {
            // NGINX Plus's slow_start for a server added to a running upstream: its weight grows from zero, in each
            // worker from when it was added.
            state.rampStartNanos = clock.read();
          }
        } else {
          state = same.poll();
          kept.add(state);
          if (!sameWorkers) {
            state.retireCounters(new WorkerPeerCounters[count], nowMillis);
          }
        }
        Peer peer = endpoint == null ? new Peer(server, i, state, this) : new Peer(endpoint, state, this);
        all[i] = peer;
        if (server.backup()) {
          backupPeers[backupCount++] = peer;
        } else {
          primaryPeers[primaryCount++] = peer;
          weights += server.weight();
        }
      }
      if (checkRemoved) {
        for (SharedPeerState state : kept) {
          state.setCheckDown(false, nowMillis);
        }
      }
    } finally {
      lock.unlock();
    }
    this.peers = ImmutableList.copyOf(all);
    this.primaries = primaryPeers;
    this.backups = backupPeers;
    this.single = primaries.length == 1 && backups.length == 0;
    this.totalWeight = weights;
    this.tries = primaries.length + backups.length;
    Balancing balancing = definition.balancing();
    boolean byWeight = balancing instanceof Balancing.IpHash || balancing instanceof Balancing.Random
        || (balancing instanceof Balancing.Hash hash && !hash.consistent());
    this.weightUnits = byWeight && totalWeight > 0 ? new WeightUnits(primaries, totalWeight) : null;
    this.weightReciprocal = reciprocal(totalWeight);
    this.workers = new Worker[count];
    this.workerMask = count - 1;
    this.strategy = Strategy.of(balancing, this);
    // The workers that picked from the previous generation get their state now, from the writer, rather than on
    // their first pick from this one.
    if (sameWorkers && previous != null) {
      for (int w = 0; w < count; w++) {
        if (previous.workers[w] != null) {
          worker(w);
        }
      }
    }
  }

  /**
   * {@code h % totalWeight} for {@code 0 <= h < 2^20} (the hash methods' values), by a multiplication: exact
   * because h * totalWeight stays below 2^40.
   */
  int weightUnit(int h) {
    return remainder(h, totalWeight, weightReciprocal);
  }

  static long reciprocal(int divisor) {
    return divisor == 0 ? 0 : (1L << 40) / divisor + 1;
  }

  static int remainder(int h, int divisor, long reciprocal) {
    if (h < 0 || h >= 1 << 20 || divisor > 1 << 20) {
      return h % divisor;
    }
    int quotient = (int) ((h * reciprocal) >>> 40);
    return h - quotient * divisor;
  }

  /** True when worker {@code index} has its state already. */
  boolean hasWorker(int index) {
    return workers[index] != null;
  }

  /** Worker {@code index} of this group, made on first use. */
  Worker worker(int index) {
    Worker worker = workers[index];
    return worker != null ? worker : newWorker(index);
  }

  /**
   * Makes a worker: its counters for the servers that have none in that worker yet (made one after the other, so
   * that one worker's counters lie together), and it takes the counters over from the worker of the previous
   * generation, whose weights are written out and which never goes back to its schedule. A worker made for a group
   * that a newer one already replaced in that worker only picks by the loop.
   */
  private Worker newWorker(int index) {
    lock.lock();
    try {
      Worker worker = workers[index];
      if (worker != null) {
        return worker;
      }
      lineage.make();
      BalancingLock[] locks = lineage.locks();
      BalancingLock workerLock = locks[index];
      if (workerLock == null) {
        workerLock = new BalancingLock();
        locks[index] = workerLock;
      }
      boolean leastConn = strategy instanceof LeastConnStrategy;
      boolean lanes = (leastConn || strategy == RoundRobinStrategy.INSTANCE)
          && primaries.length >= SmoothLanes.MIN_PEERS;
      if (!scheduleMade) {
        // A group with lanes keeps the cycle too: clean, it is cheaper still, and the lanes take over for good at
        // the first pick it cannot make.
        schedule = Worker.schedule(primaries, totalWeight);
        scheduleMade = true;
      }
      WorkerPeerCounters[] primaryCounters = counters(primaries, index);
      worker = new Worker(workerLock, primaryCounters, counters(backups, index), schedule,
          lanes ? new SmoothLanes(primaryCounters, this, leastConn) : null);
      workerLock.lock();
      try {
        Worker[] newestWorkers = lineage.newest();
        long[] newestGenerations = lineage.newestGeneration();
        Worker previous = newestWorkers[index];
        boolean newest = previous == null || newestGenerations[index] < generation;
        if (newest) {
          if (previous != null) {
            previous.retire();
          }
          newestWorkers[index] = worker;
          newestGenerations[index] = generation;
        }
        worker.takeOver(newest);
      } finally {
        workerLock.unlock();
      }
      workers[index] = worker;
      return worker;
    } finally {
      lock.unlock();
    }
  }

  // Callers hold the shared lock, which guards SharedPeerState.counters.
  private WorkerPeerCounters[] counters(Peer[] tier, int worker) {
    WorkerPeerCounters[] counters = new WorkerPeerCounters[tier.length];
    for (int i = 0; i < tier.length; i++) {
      SharedPeerState state = tier[i].state;
      WorkerPeerCounters[] all = tier[i].counters;
      if (all[worker] == null) {
        all[worker] = new WorkerPeerCounters(tier[i].spec(), state.checkDown, clock, state.rampStartNanos);
      }
      counters[i] = all[worker];
    }
    return counters;
  }

  /**
   * Builds the peers of {@code definition}.
   *
   * @param previous the group this one replaces, whose unchanged servers keep their state, or {@code null}
   * @param clock the clock of failure windows, in nanoseconds of wall-clock time since the epoch
   */
  static PeerGroup create(UpstreamBlock definition, @Nullable PeerGroup previous, Ticker clock) {
    return create(definition, previous, clock, DEFAULT_WORKERS);
  }

  /**
   * Builds the peers of {@code definition} with {@code workers} balancing states (rounded up to a power of two;
   * one when the upstream has {@code zone}).
   *
   * @param previous the group this one replaces, whose unchanged servers keep their state, or {@code null}
   * @param clock the clock of failure windows, in nanoseconds of wall-clock time since the epoch
   */
  static PeerGroup create(UpstreamBlock definition, @Nullable PeerGroup previous, Ticker clock,
      int workers) {
    requireNonNull(definition, "definition");
    List<Endpoint> endpoints = new ArrayList<>(definition.servers().size());
    for (ServerSpec server : definition.servers()) {
      Address address = server.address();
      // Without a HostTable a name stays a name: one peer, whose address is not looked up (balancing tests).
      SocketAddress socket = address.kind() == Address.Kind.HOST
          ? InetSocketAddress.createUnresolved(address.host(), address.port()) : HostTable.literal(address);
      endpoints.add(new Endpoint(server, socket, null, false));
    }
    return create(definition, new HostTable.Plan(endpoints, List.of()), previous, clock, workers);
  }

  /**
   * Builds the peers {@code plan} gives for {@code definition}, each address of a host name its own peer, with
   * {@code workers} balancing states.
   *
   * @param previous the group this one replaces, whose peers with an unchanged server line and address keep
   *     their state, or {@code null}
   * @param clock the clock of failure windows, in nanoseconds of wall-clock time since the epoch
   */
  static PeerGroup create(UpstreamBlock definition, HostTable.Plan plan, @Nullable PeerGroup previous,
      Ticker clock, int workers) {
    requireNonNull(definition, "definition");
    requireNonNull(plan, "plan");
    requireNonNull(clock, "clock");
    checkArgument(workers >= 1 && workers <= MAX_WORKERS, "workers must be in 1..%s: %s", MAX_WORKERS, workers);
    return new PeerGroup(definition, plan, previous, clock, powerOfTwo(workers));
  }

  static final int MAX_WORKERS = 1024;

  /** The number of processors, as nginx's {@code worker_processes auto}. */
  static final int DEFAULT_WORKERS = powerOfTwo(Math.min(MAX_WORKERS, Runtime.getRuntime().availableProcessors()));

  static int powerOfTwo(int n) {
    return n <= 1 ? 1 : Integer.highestOneBit(n - 1) << 1;
  }

  /** How many balancing states each upstream without {@code zone} keeps. */
  int workerCount() {
    return workers.length;
  }

  /**
   * Every peer, one for each address of each server: the servers in the order written, except that the addresses
   * of names with {@code resolve} follow the others, as nginx adds them (see {@link Upstream#hosts()}). Immutable.
   */
  public List<Peer> asList() {
    return peers;
  }

  /** The servers written with a host name and the addresses their peers have; immutable. */
  List<HostStatus> hosts() {
    return hosts;
  }

  /**
   * Passed as {@code now} on the request path: the clock is read only where an answer depends on it, which is only
   * for peers with failures. Reading it costs more than the rest of a pick.
   */
  static final long UNREAD = Long.MIN_VALUE;

  /** Whole seconds of wall-clock time, as nginx's ngx_time(); reading it costs more than the rest of a pick. */
  long nowSeconds() {
    return clock.read() / 1_000_000_000L;
  }

  /**
   * The system's wall clock, in nanoseconds since the epoch at a millisecond's precision. Failure windows count
   * whole seconds of it, as nginx counts them: ngx_time() is the second of gettimeofday() (ngx_time_update in
   * src/core/ngx_times.c), so a peer out for {@code fail_timeout=10s} after a failure at 12.9 s comes back at
   * 23.0 s, and one that failed at 12.0 s at 23.0 s too. A clock that counts from another origin (such as
   * {@link System#nanoTime()}) would move that moment by up to a second.
   */
  static final Ticker SYSTEM_CLOCK = new Ticker() {
    @Override
    public long read() {
      return System.currentTimeMillis() * 1_000_000L;
    }
  };

  /** {@code now}, or the clock when {@code now} is {@link #UNREAD}. */
  long seconds(long now) {
    return now == UNREAD ? nowSeconds() : now;
  }

  /** Releases a peer a selection picked: nginx's ngx_http_upstream_free_round_robin_peer, and counts the request. */
  void release(WorkerPeerCounters counters, BalancingLock workerLock, boolean failed) {
    // Only a failure records the time; a success does not need the clock.
    long nanos = failed ? clock.read() : 0;
    workerLock.lock();
    try {
      counters.releases++;
      free(counters, failed, nanos);
    } finally {
      workerLock.unlock();
    }
  }

  /**
   * {@link #release}, with what the peer answered ({@link PeerSelection#succeeded(int, long, long, long, long)}),
   * counted in the worker's figures under the lock the release takes anyway.
   */
  void releaseReported(WorkerPeerCounters counters, BalancingLock workerLock, boolean failed, int status,
      long headerNanos, long responseNanos, long sent, long received) {
    long nanos = failed ? clock.read() : 0;
    workerLock.lock();
    try {
      // The request is counted by its figures (PeerTraffic.reportedReleases), not in releases: one store less
      // before the next pick's compare-and-set, which waits for every store before it.
      counters.traffic().record(status, headerNanos, responseNanos, sent, received);
      free(counters, failed, nanos);
    } finally {
      workerLock.unlock();
    }
  }

  // Under the worker's lock; nanos is the clock's reading when failed.
  private void free(WorkerPeerCounters counters, boolean failed, long nanos) {
    if (failed) {
      PeerTraffic traffic = counters.traffic();
      traffic.selectedMillis = Math.max(traffic.selectedMillis, nanos / 1_000_000L);
    }
    if (single) {
      // nginx never takes the only peer out, but NGINX Plus counts its failures.
      if (failed) {
        counters.traffic().fails++;
      }
      counters.removeConnection();
      return;
    }
    if (failed) {
      counters.failed(nanos / 1_000_000_000L, nanos / 1_000_000L);
    } else {
      counters.succeeded();
    }
    counters.removeConnection();
  }

  /** Epoch milliseconds of the group's clock. */
  long nowMillis() {
    return clock.read() / 1_000_000L;
  }

  /**
   * Forgets every peer's statistics (requests, responses, bytes, failures counted, health checks, downtime), as
   * NGINX Plus's {@code DELETE /api/N/http/upstreams/NAME}: the balancing state (active connections, failures
   * that keep a peer out, health) stays as it is, and so does every peer's {@link Peer#state()}. Statistics live
   * with the peers' state, so the groups before and after an update that kept a server share them. Thread-safe.
   */
  public void resetStatistics() {
    long nowMillis = nowMillis();
    lock.lock();
    try {
      for (Peer peer : peers) {
        peer.state.resetStatistics(nowMillis);
      }
    } finally {
      lock.unlock();
    }
  }
}
