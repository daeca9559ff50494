package io.dyups.core;

import static com.google.common.base.Preconditions.checkArgument;
import static java.util.Objects.requireNonNull;

import com.google.common.base.Ticker;
import com.google.common.util.concurrent.MoreExecutors;
import io.dyups.parser.HealthCheck;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Active health checks for the upstreams of a registry that carry Tengine's {@code check} directive: every
 * {@code interval} each server is probed (a TCP connect, or an HTTP request whose status must be one of
 * {@code check_http_expect_alive}); after {@code fall} failures in a row it is marked down and no balancing
 * method picks it, after {@code rise} successes it is marked up again.
 *
 * <p>This is what dyups could not do: the checks follow the registry as upstreams are created, replaced and
 * deleted, and a server whose line did not change in an update keeps its health and its place in the schedule.
 * New servers of a {@code default_down=true} check start down until they pass {@code rise} checks.
 *
 * <p>Each server has at most one check in flight; checks run on a small pool of daemon threads, so a server
 * that hangs until {@code timeout} does not delay the others. Types Tengine also knows ({@code ssl_hello},
 * {@code mysql}, {@code ajp}, {@code fastcgi}) are checked with a TCP connect; every check opens its own
 * connection ({@code check_keepalive_requests} is accepted and not used).
 *
 * <pre>{@code
 * HealthChecker checker = HealthChecker.builder(registry).start();
 * ...
 * checker.close();
 * }</pre>
 *
 * <p>Thread-safe. Health can also be set by the application's own checks with {@link Peer#setHealthy}.
 */
public final class HealthChecker implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(HealthChecker.class.getName());

  private final UpstreamRegistry registry;
  private final HealthProbe probe;
  private final Ticker ticker;
  private final ScheduledExecutorService scheduler;
  private final ExecutorService probes;

  private HealthChecker(Builder builder) {
    this.registry = builder.registry;
    this.probe = builder.probe;
    this.ticker = builder.ticker;
    AtomicInteger count = new AtomicInteger();
    this.scheduler = Executors.newSingleThreadScheduledExecutor(runnable -> daemon(runnable, "dyups-check"));
    this.probes = builder.checkInCaller ? MoreExecutors.newDirectExecutorService()
        : Executors.newFixedThreadPool(builder.threads,
            runnable -> daemon(runnable, "dyups-check-" + count.incrementAndGet()));
  }

  private static Thread daemon(Runnable runnable, String name) {
    Thread thread = new Thread(runnable, name);
    thread.setDaemon(true);
    return thread;
  }

  /** Configures a checker for {@code registry}. */
  public static Builder builder(UpstreamRegistry registry) {
    return new Builder(registry);
  }

  /**
   * Starts the checks of every server that is due, without waiting for them; the scheduler calls this on every
   * tick. Package-private so that tests can drive the schedule with their own ticker.
   */
  void checkDue() {
    long now = ticker.read();
    for (Upstream upstream : registry.healthChecked()) {
      HealthCheck check = upstream.definition().healthCheck();
      if (check == null) {
        continue;
      }
      for (Peer peer : upstream.peers().asList()) {
        if (peer.isDown() || !claim(peer, now, check)) {
          continue;
        }
        try {
          probes.execute(() -> runCheck(peer, check));
        } catch (RejectedExecutionException e) {
          release(peer);
          return;
        }
      }
    }
  }

  // Takes the peer's next check when it is due and no other is running; the peer's state is shared by every
  // generation of its upstream, so a server kept across an update is not checked twice.
  private static boolean claim(Peer peer, long now, HealthCheck check) {
    peer.group.lock.lock();
    try {
      SharedPeerState.CheckProgress progress = peer.state.checkProgress();
      if (progress.inFlight || (progress.scheduled && now - progress.nextNanos < 0)) {
        return false;
      }
      progress.inFlight = true;
      progress.scheduled = true;
      progress.nextNanos = now + check.interval().toNanos();
      return true;
    } finally {
      peer.group.lock.unlock();
    }
  }

  private static void release(Peer peer) {
    peer.group.lock.lock();
    try {
      peer.state.checkProgress().inFlight = false;
    } finally {
      peer.group.lock.unlock();
    }
  }

  private void runCheck(Peer peer, HealthCheck check) {
    boolean alive;
    try {
      alive = probe.isAlive(peer.address(), check);
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "health check of " + peer.address() + " failed unexpectedly", e);
      alive = false;
    }
    record(peer, check, alive);
  }

  /** Counts one check's outcome and marks the peer up or down when {@code rise} or {@code fall} is reached. */
  static void record(Peer peer, HealthCheck check, boolean alive) {
    boolean changed;
    boolean down;
    long nowMillis = peer.group.nowMillis();
    peer.group.lock.lock();
    try {
      SharedPeerState state = peer.state;
      SharedPeerState.CheckProgress progress = state.checkProgress();
      progress.inFlight = false;
      boolean wasDown = state.checkDown;
      PeerFigures figures = state.figures();
      figures.checks++;
      state.checkedOnce = true;
      figures.lastPassed = alive;
      if (alive) {
        progress.failures = 0;
        progress.successes++;
        if (state.checkDown && progress.successes >= check.rise()) {
          state.setCheckDown(false, nowMillis);
        }
      } else {
        figures.checksFailed++;
        progress.successes = 0;
        progress.failures++;
        if (!state.checkDown && progress.failures >= check.fall()) {
          state.setCheckDown(true, nowMillis);
        }
      }
      down = state.checkDown;
      changed = down != wasDown;
    } finally {
      peer.group.lock.unlock();
    }
    if (changed) {
      LOG.log(Level.INFO, "health check: " + peer.address() + (down ? " is down" : " is up"));
    }
  }

  /** Stops checking; checks in flight are abandoned. */
  @Override
  public void close() {
    scheduler.shutdownNow();
    probes.shutdownNow();
  }

  /** Configures a {@link HealthChecker}. */
  public static final class Builder {
    private final UpstreamRegistry registry;
    private int threads = 4;
    private Duration tick = Duration.ofMillis(100);
    private HealthProbe probe = new SocketHealthProbe();
    private Ticker ticker = Ticker.systemTicker();
    private boolean checkInCaller;

    private Builder(UpstreamRegistry registry) {
      this.registry = requireNonNull(registry, "registry");
    }

    /** The threads that run checks (default 4): the most checks waiting on slow servers at once. */
    public Builder threads(int threads) {
      checkArgument(threads > 0, "threads must be > 0: %s", threads);
      this.threads = threads;
      return this;
    }

    /** How often the schedule is looked at (default 100 ms): the resolution of {@code interval}. */
    public Builder tick(Duration tick) {
      checkArgument(tick.toMillis() > 0, "tick must be at least 1 ms: %s", tick);
      this.tick = tick;
      return this;
    }

    // For tests: a probe that answers without sockets, and a ticker they move.
    Builder probe(HealthProbe probe) {
      this.probe = requireNonNull(probe, "probe");
      return this;
    }

    Builder ticker(Ticker ticker) {
      this.ticker = requireNonNull(ticker, "ticker");
      return this;
    }

    // For tests: checkDue() runs the checks itself, so they are done when it returns.
    Builder checkInCaller() {
      this.checkInCaller = true;
      return this;
    }

    /** Creates a checker without starting its schedule (tests call {@link HealthChecker#checkDue}). */
    HealthChecker build() {
      return new HealthChecker(this);
    }

    /** Creates the checker and starts checking. */
    public HealthChecker start() {
      HealthChecker checker = build();
      long millis = tick.toMillis();
      // Never cancelled by itself: close() shuts the scheduler down.
      var unused = checker.scheduler.scheduleWithFixedDelay(() -> {
        try {
          checker.checkDue();
        } catch (RuntimeException e) {
          LOG.log(Level.WARNING, "health check schedule failed", e);
        }
      }, 0, millis, TimeUnit.MILLISECONDS);
      return checker;
    }
  }
}
