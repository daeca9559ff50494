package io.dyups.benchmarks;

import io.dyups.core.HostResolver;
import io.dyups.core.Peer;
import io.dyups.core.PeerSelection;
import io.dyups.core.UpstreamRegistry;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Picks while host names are re-resolved (issue 17): 1 000 upstreams, each one name with {@code resolve} and 4
 * addresses, whose answer has a TTL of 0 and changes at every lookup (one address of the 4 replaced), so each name
 * is looked up again and its upstream republished every second, as nginx's zone resolve handler does. {@code
 * churn=off} has the same upstreams with answers that do not run out. {@code pick} is {@link PickBenchmark}'s
 * round robin over 10 servers (an upstream written with addresses); {@code pickResolved} picks from one of the
 * re-resolved upstreams, whose group is replaced every second under the picks.
 *
 * <p>The resolver answers at once from memory, so what is measured is the registry's side: lookups scheduled,
 * groups rebuilt under the write lock, peers' state carried, all on the registry's own threads beside the picks.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Benchmark)
// The upstreams exist from setUp on, and a null check in the measured code would be measured too.
@SuppressWarnings("NullAway")
public class ReResolutionBenchmark {
  static final int NAMES = 1000;

  @Param({"off", "on"})
  public String churn;

  UpstreamRegistry registry;
  ChangingAnswers resolver;

  /** Answers from memory: 4 addresses per name, one of them replaced at each lookup when {@code churn=on}. */
  static final class ChangingAnswers implements HostResolver {
    final boolean churn;
    final ConcurrentHashMap<String, AtomicInteger> lookups = new ConcurrentHashMap<>();
    final AtomicLong total = new AtomicLong();

    ChangingAnswers(boolean churn) {
      this.churn = churn;
    }

    @Override
    public CompletableFuture<Answer> lookUpAddresses(Query query) {
      int n = lookups.computeIfAbsent(query.name(), name -> new AtomicInteger()).getAndIncrement();
      total.incrementAndGet();
      int id = Integer.parseInt(query.name().substring(4, query.name().indexOf('.')));
      try {
        // Addresses n..n+3 of the name's own range: each lookup drops the oldest and adds a new one.
        InetAddress[] addresses = new InetAddress[4];
        for (int i = 0; i < 4; i++) {
          int k = (churn ? n : 0) + i;
          addresses[i] = InetAddress.getByAddress(new byte[] {10, (byte) (id >> 8), (byte) id, (byte) (k & 0xFF)});
        }
        return CompletableFuture.completedFuture(
            Answer.addresses(List.of(addresses), churn ? Duration.ZERO : Duration.ofHours(1)));
      } catch (UnknownHostException e) {
        return CompletableFuture.completedFuture(Answer.failed(String.valueOf(e.getMessage())));
      }
    }

    @Override
    public CompletableFuture<Answer> lookUpService(Query query) {
      return CompletableFuture.completedFuture(Answer.failed("no services here"));
    }

    @Override
    public void close() {}
  }

  @Setup
  public void setUp() {
    resolver = new ChangingAnswers(churn.equals("on"));
    registry = UpstreamRegistry.builder().hostResolver(resolver).build();
    PickBenchmark.check(registry.updateUpstream("bench", PickBenchmark.servers(10, "1-5")));
    for (int i = 0; i < NAMES; i++) {
      PickBenchmark.check(registry.updateUpstream("dns" + i,
          "zone z 64k; resolver 10.0.0.53; server name" + i + ".bench resolve weight=" + (i % 5 + 1) + ";"));
    }
  }

  @TearDown
  public void tearDown() {
    registry.close();
    System.out.println("\nlookups answered: " + resolver.total.get());
  }

  /** What one thread carries from request to request. */
  @State(Scope.Thread)
  public static class Request {
    final PeerSelection selection = new PeerSelection();
  }

  /** Lookups answered per measured iteration, to show the churn ran (about 1 000 a second when on). */
  @AuxCounters(AuxCounters.Type.EVENTS)
  @State(Scope.Thread)
  public static class Lookups {
    public long lookups;
    long before;

    @Setup(Level.Iteration)
    public void start(ReResolutionBenchmark benchmark) {
      before = benchmark.resolver.total.get();
    }

    @TearDown(Level.Iteration)
    public void end(ReResolutionBenchmark benchmark) {
      lookups = benchmark.resolver.total.get() - before;
    }
  }

  @Benchmark
  public Peer pick(Request request, Lookups lookups) {
    PeerSelection selection = request.selection.start(registry.find("bench").peers(), null, null);
    Peer peer = selection.next();
    selection.succeeded();
    return peer;
  }

  @Benchmark
  public Peer pickResolved(Request request) {
    PeerSelection selection = request.selection.start(registry.find("dns7").peers(), null, null);
    Peer peer = selection.next();
    selection.succeeded();
    return peer;
  }
}
