package io.dyups.core;

import com.google.common.net.InetAddresses;
import io.dyups.parser.Address;
import io.dyups.parser.ServerSpec;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.time.Duration;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * One server of an upstream with its live state. The definition ({@link #spec()}) is immutable; the counters
 * change as requests use the peer. Every method is safe to call from any thread. An upstream without
 * {@code zone} counts connections and failures once per worker (see {@link PeerGroup}); the methods here add them
 * up, each worker's figures read consistently.
 */
public final class Peer {
  // The parts of the Endpoint this peer was built from, kept as fields rather than as the Endpoint itself: one
  // object less per server in a registry that holds many (endpoint() makes it again, off the request path).
  // The server line when it is the peer's own (a host name's address, an SRV record's target). Null for a server
  // written as an address or a unix socket: its line is the group's definition's at `index`, read from there when
  // asked, because a definition keeps its servers packed (two longs each) and a record kept here would hold again,
  // in about 120 bytes per server, what the definition already holds.
  private final @Nullable ServerSpec ownSpec;
  private final int index;
  // Where to connect: for a server written with a host name, one of the name's addresses (or the name unresolved),
  // set when built; for one written as an address or a unix socket, made from it when first asked (socketAddress()),
  // so that a registry of many upstreams, most of them idle, keeps no four objects of an InetSocketAddress per
  // server, and a load does not copy them from collection to collection. Volatile, so that a thread that finds it
  // sees it whole (an InetAddress's fields are not final).
  private volatile @Nullable SocketAddress socket;
  private final @Nullable String serviceTarget;
  // The line's flags the peer reads often (written down, drain, backup) and the endpoint's runTime, in one byte.
  private final byte flags;
  private static final int DOWN = 1;
  private static final int DRAIN = 1 << 1;
  private static final int BACKUP = 1 << 2;
  private static final int RUN_TIME = 1 << 3;
  final SharedPeerState state;
  // The counters of each worker, as when this peer was built.
  final WorkerPeerCounters[] counters;
  final PeerGroup group;
  final int weight;

  Peer(Endpoint endpoint, SharedPeerState state, PeerGroup group) {
    // For a server written as an address, the endpoint's address is always HostTable.literal of it.
    this(endpoint.spec(), endpoint.spec(), -1,
        endpoint.spec().address().kind() == Address.Kind.HOST ? endpoint.address() : null,
        endpoint.serviceTarget(), endpoint.runTime(), state, group);
  }

  /**
   * The peer of the server at {@code index} of its group's definition, {@code server}, written as an address or a
   * unix socket: {@code Peer(Endpoint.written(server), ...)}, without keeping the line.
   */
  Peer(ServerSpec server, int index, SharedPeerState state, PeerGroup group) {
    this(server, null, index, null, null, false, state, group);
  }

  private Peer(ServerSpec spec, @Nullable ServerSpec ownSpec, int index, @Nullable SocketAddress resolved,
      @Nullable String serviceTarget, boolean runTime, SharedPeerState state, PeerGroup group) {
    this.ownSpec = ownSpec;
    this.index = index;
    if (resolved != null) {
      this.socket = resolved;
    }
    this.serviceTarget = serviceTarget;
    this.flags = (byte) ((spec.down() ? DOWN : 0) | (spec.drain() ? DRAIN : 0) | (spec.backup() ? BACKUP : 0)
        | (runTime ? RUN_TIME : 0));
    this.state = state;
    this.counters = state.counters;
    this.group = group;
    this.weight = spec.weight();
  }

  /** What this peer was built from: equal to the {@link Endpoint} given to its constructor. */
  Endpoint endpoint() {
    return new Endpoint(spec(), socketAddress(), serviceTarget, (flags & RUN_TIME) != 0);
  }

  /**
   * What {@code hash ... consistent} hashes: the server as written (nginx's {@code peer->server}), or the target
   * of the SRV record. Made when asked (only a consistent hash asks), not kept with every peer.
   */
  String hashName() {
    return serviceTarget != null ? serviceTarget : address().toString();
  }

  /**
   * The server line this peer was built from, with its parameters as the peer uses them: for a server with {@code
   * service=}, the weight (unless written) and the tier of its SRV record.
   */
  public ServerSpec spec() {
    ServerSpec own = ownSpec;
    return own != null ? own : group.definition().servers().get(index);
  }

  /** True for a server written with {@code backup}: it takes requests only when no primary server can. */
  public boolean isBackup() {
    return (flags & BACKUP) != 0;
  }

  /** True for a server written with {@code down}: it takes no request. */
  public boolean isDown() {
    return (flags & DOWN) != 0;
  }

  /** The server's address as written: an address, a unix socket, or the host name this peer is one address of. */
  public Address address() {
    return spec().address();
  }

  /**
   * Where to connect, never looked up again: an {@link InetSocketAddress} with its IP address (for a server written
   * with a host name, one of the name's addresses, given when the peer was built), or a {@link
   * UnixDomainSocketAddress}. For a server written as an address, made from it when first asked and the same
   * object after.
   */
  public SocketAddress socketAddress() {
    SocketAddress address = socket;
    if (address == null) {
      // Two threads may both make it: equal values, either one kept.
      address = HostTable.literal(address());
      socket = address;
    }
    return address;
  }


  /** Requests currently using this peer, over every worker. */
  public int activeConnections() {
    return (int) sumOverWorkers(Counter.CONNECTIONS, 0);
  }

  /**
   * Failures counted since the peer last served a request well (nginx's {@code fails}), over every worker. Each
   * worker takes the peer out when its own count reaches {@code max_fails}, as each nginx worker does.
   */
  public int failures() {
    return (int) sumOverWorkers(Counter.FAILURES, 0);
  }

  /**
   * True while the peer is taken out for failures in some worker: {@code max_fails} failures, the last less than
   * {@code fail_timeout} ago.
   */
  public boolean isOut() {
    return sumOverWorkers(Counter.OUT, group.nowSeconds()) > 0;
  }

  private enum Counter {
    CONNECTIONS,
    FAILURES,
    OUT,
    USABLE
  }

  /**
   * The sum of a counter over the workers that have counters for this peer, each read under its worker's lock; the
   * shared lock keeps workers from being made meanwhile. A worker with no counters yet counts as fresh: 0.
   */
  private long sumOverWorkers(Counter counter, long now) {
    long[] total = new long[1];
    group.lock.lock();
    try {
      SharedPeerState.eachWorker(counters, worker -> total[0] += switch (counter) {
        case CONNECTIONS -> worker.conns;
        case FAILURES -> worker.fails;
        case OUT -> worker.isFailed(now, group) ? 1 : 0;
        case USABLE -> worker.usable(now, group) ? 1 : 0;
      });
    } finally {
      group.lock.unlock();
    }
    return total[0];
  }

  /**
   * The peer's statistics now, as NGINX Plus's API gives them (see {@link PeerStatistics} for what each figure
   * counts). Reads each worker's figures under its lock, off the request path; allocates the record.
   */
  public PeerStatistics statistics() {
    long nowNanos = group.clock.read();
    long nowSeconds = nowNanos / 1_000_000_000L;
    long nowMillis = nowNanos / 1_000_000L;
    PeerTraffic total = new PeerTraffic();
    group.lock.lock();
    try {
      PeerFigures shared = state.figures();
      total.add(shared.retired);
      // What the workers add up to; a holder, since the lambda cannot change locals.
      final class Sums {
        long requests = shared.retiredRequests;
        long active;
        long downtime = shared.retiredDowntimeMillis;
        long downstart = Long.MAX_VALUE;
      }
      Sums sums = new Sums();
      // The state's counters, not this peer's: after a change of the number of workers, those of an older peer
      // are counted in retired.
      SharedPeerState.eachWorker(state.counters, worker -> {
        PeerTraffic traffic = worker.trafficToRead();
        total.add(traffic);
        sums.requests += worker.requests();
        sums.active += worker.conns;
        long workerDowntime = traffic.downtimeMillis;
        long since = traffic.downSinceMillis;
        if (since >= 0) {
          if (worker.isFailed(nowSeconds, group)) {
            workerDowntime += Math.max(0, nowMillis - since);
            sums.downstart = Math.min(sums.downstart, since);
          } else {
            workerDowntime += Math.max(0, Math.min(nowMillis, worker.outEndMillis()) - since);
          }
        }
        sums.downtime = Math.max(sums.downtime, workerDowntime);
      });
      // Releases reported with figures count in the figures, the others in each worker's releases.
      long requests = sums.requests + total.reportedReleases();
      long active = sums.active;
      long downtime = sums.downtime;
      long downstart = sums.downstart;
      long checkDowntime = shared.checkDowntimeMillis;
      if (shared.checkDownSinceMillis >= 0) {
        checkDowntime += Math.max(0, nowMillis - shared.checkDownSinceMillis);
        downstart = Math.min(downstart, shared.checkDownSinceMillis);
      }
      // selected: a request that went well does not read the clock, so a read that finds new requests dates them
      // to itself; a failure brings its own time.
      if (requests != shared.seenRequests) {
        shared.seenRequests = requests;
        shared.seenAtMillis = nowMillis;
      }
      long selected = Math.max(shared.seenAtMillis, total.selectedMillis);
      return new PeerStatistics(
          requests,
          (int) active,
          new PeerStatistics.Responses(total.responsesOfClass(1), total.responsesOfClass(2),
              total.responsesOfClass(3), total.responsesOfClass(4), total.responsesOfClass(5), total.responses(),
              total.responsesByStatus()),
          total.sent,
          total.received,
          total.fails,
          total.unavail,
          new PeerStatistics.HealthChecks(shared.checks, shared.checksFailed, shared.unhealthy,
              shared.lastPassed),
          Duration.ofMillis(downtime + checkDowntime),
          downstart == Long.MAX_VALUE ? null : Instant.ofEpochMilli(downstart),
          selected == 0 ? null : Instant.ofEpochMilli(selected),
          average(total.headerTimeNanos, total.headerTimes()),
          average(total.responseTimeNanos, total.responseTimes()));
    } finally {
      group.lock.unlock();
    }
  }

  // In whole milliseconds, as NGINX Plus reports the times.
  private static @Nullable Duration average(long totalNanos, long count) {
    return count == 0 ? null : Duration.ofMillis(totalNanos / count / 1_000_000L);
  }

  /**
   * False while an active health check has marked the peer down: the {@link HealthChecker} for upstreams with a
   * {@code check} directive, or the application through {@link #setHealthy}. A new server of an upstream whose
   * {@code check} says {@code default_down=true} starts unhealthy; a server whose line did not change in an
   * update keeps its health. Health is one verdict for every worker.
   */
  public boolean isHealthy() {
    group.lock.lock();
    try {
      return !state.checkDown;
    } finally {
      group.lock.unlock();
    }
  }

  /**
   * Marks the peer healthy or not, for an application that runs its own active health checks. An unhealthy peer
   * is never picked, by any balancing method. For upstreams with a {@code check} directive the
   * {@link HealthChecker} sets this itself.
   */
  public void setHealthy(boolean healthy) {
    long nowMillis = group.nowMillis();
    group.lock.lock();
    try {
      state.setCheckDown(!healthy, nowMillis);
    } finally {
      group.lock.unlock();
    }
  }

  /**
   * True when some worker would send a new request to this peer now: not down, healthy, not out, under
   * {@code max_conns}. A worker that has not picked from the upstream yet would, unless it is down or unhealthy.
   */
  public boolean isAvailable() {
    if (sumOverWorkers(Counter.USABLE, group.nowSeconds()) > 0) {
      return true;
    }
    group.lock.lock();
    try {
      boolean fresh = false;
      for (WorkerPeerCounters worker : counters) {
        fresh |= worker == null;
      }
      return fresh && (flags & (DOWN | DRAIN)) == 0 && !state.checkDown;
    } finally {
      group.lock.unlock();
    }
  }

  /** A peer's state as NGINX Plus's API names it ({@code up}, {@code draining}, ...): see {@link #state()}. */
  public enum State {
    /** Takes requests. */
    UP,
    /**
     * Written with {@code drain}: takes no new request, as {@code down}; requests that picked the server before the
     * change finish on the peer they picked (the previous upstream's).
     */
    DRAINING,
    /** Written with {@code down}. */
    DOWN,
    /** Taken out for {@code max_fails} failures within {@code fail_timeout}, in some worker. */
    UNAVAIL,
    /**
     * Down until its first active health check passes: a server of an upstream whose {@code check} says {@code
     * default_down=true} (Tengine's default), not checked yet, as NGINX Plus's {@code mandatory} health checks.
     */
    CHECKING,
    /** Marked down by an active health check ({@link #isHealthy()} false). */
    UNHEALTHY;

    /** The name NGINX Plus's API writes: {@code up}, {@code draining}, {@code down}, {@code unavail}, {@code unhealthy}. */
    public String apiName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /**
   * The peer's state now, in NGINX Plus's order of precedence: {@code down} as written, {@code drain} as written,
   * checking, unhealthy, unavail, up.
   */
  public State state() {
    if ((flags & DOWN) != 0) {
      return State.DOWN;
    }
    if ((flags & DRAIN) != 0) {
      return State.DRAINING;
    }
    group.lock.lock();
    try {
      if (state.checkDown) {
        return state.startedDown && !state.checkedOnce ? State.CHECKING
            : State.UNHEALTHY;
      }
    } finally {
      group.lock.unlock();
    }
    return isOut() ? State.UNAVAIL : State.UP;
  }

  /** The address connected to, as nginx names a peer: {@code 10.0.0.1:8080}, {@code [::1]:80}, {@code unix:/path}. */
  @Override
  public String toString() {
    return addressText(socketAddress());
  }

  /** {@code address} as nginx's ngx_sock_ntop writes a peer's name. */
  static String addressText(SocketAddress address) {
    if (address instanceof InetSocketAddress inet) {
      InetAddress ip = inet.getAddress();
      if (ip == null) {
        return inet.getHostString() + ":" + inet.getPort();
      }
      String host = InetAddresses.toAddrString(ip);
      return (ip instanceof Inet6Address ? "[" + host + "]" : host) + ":" + inet.getPort();
    }
    if (address instanceof UnixDomainSocketAddress unix) {
      return "unix:" + unix.getPath();
    }
    return address.toString();
  }
}
