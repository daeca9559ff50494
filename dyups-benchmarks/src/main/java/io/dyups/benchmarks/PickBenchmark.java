package io.dyups.benchmarks;

import io.dyups.core.Peer;
import io.dyups.core.PeerSelection;
import io.dyups.core.Result;
import io.dyups.core.Upstream;
import io.dyups.core.UpstreamRegistry;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
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
 * The request path: {@code find(name)} then one pick and its release, for every balancing method over 10 peers
 * (and, with {@code -p servers=...}, 100, 1 000 or 10 000, of equal weights or weights 1-5 or 1-100), beside
 * Armeria's weighted round robin over the same 10 weighted endpoints ({@link ArmeriaPickBenchmark}).
 *
 * <p>{@code pick} has every thread pick from the same upstream (they share its balancing state, as nginx's
 * workers share a zone); {@code pickOwnUpstream} gives each thread an upstream of its own with the same servers,
 * which is the case that can scale with threads. Run with {@code -t 1} and {@code -t 2} and {@code -prof gc};
 * {@link CpuTime} adds the CPU time per pick, which other processes on the machine disturb less.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Benchmark)
// The upstreams exist from setUp on, and a null check in the measured code would be measured too.
@SuppressWarnings("NullAway")
public class PickBenchmark {
  @Param({"round_robin", "ip_hash", "hash", "hash_consistent", "least_conn", "random", "random_two"})
  public String method;

  /** How many servers the upstream has. */
  @Param("10")
  public int servers;

  /** Their weights: {@code 1-5} (1, 2, 3, 4, 5, 1, 2, ...), {@code 1-100} (1, 2, ..., 100, 1, ...) or {@code equal}. */
  @Param("1-5")
  public String weights;

  UpstreamRegistry registry;
  final AtomicInteger threads = new AtomicInteger();

  @Setup
  public void setUp() {
    registry = UpstreamRegistry.builder().build();
    String commands = directive(method) + servers(servers, weights);
    check(registry.updateUpstream("bench", commands));
    // One upstream per benchmark thread for pickOwnUpstream (JMH runs at most a few threads here); not for the
    // large upstreams, which pickOwnUpstream does not measure.
    for (int t = 0; t < (servers <= 100 ? 64 : 0); t++) {
      check(registry.updateUpstream("bench" + t, commands));
    }
  }

  @TearDown
  public void tearDown() {
    registry.close();
  }

  static String directive(String method) {
    return switch (method) {
      case "round_robin" -> "";
      case "ip_hash" -> "ip_hash;";
      case "hash" -> "hash $request_uri;";
      case "hash_consistent" -> "hash $request_uri consistent;";
      case "least_conn" -> "least_conn;";
      case "random" -> "random;";
      case "random_two" -> "random two least_conn;";
      default -> throw new IllegalArgumentException(method);
    };
  }

  static int weight(int i, String weights) {
    return switch (weights) {
      case "1-5" -> i % 5 + 1;
      case "1-100" -> i % 100 + 1;
      case "equal" -> 1;
      default -> throw new IllegalArgumentException(weights);
    };
  }

  /**
   * {@code count} servers on 127.0.0.1 from port 8001 (then 10.x.y.z addresses past 50 000). A failure keeps a
   * server out for an hour ({@code fail_timeout}), so that {@code pickWithOneFailed} stays as it starts; nothing
   * else reads it.
   */
  static String servers(int count, String weights) {
    StringBuilder servers = new StringBuilder();
    for (int i = 0; i < count; i++) {
      String address = 8001 + i <= 65535 ? "127.0.0.1:" + (8001 + i)
          : "10." + (i >> 16 & 0xFF) + "." + (i >> 8 & 0xFF) + "." + (i & 0xFF) + ":80";
      servers.append("server ").append(address).append(" weight=").append(weight(i, weights))
          .append(" fail_timeout=3600s;");
    }
    return servers.toString();
  }

  static void check(Result result) {
    if (!result.isSuccess()) {
      throw new IllegalStateException(result.toString());
    }
  }

  /**
   * What one thread carries from request to request: its selection, and the clients and keys it cycles. Padded
   * ({@link PaddedThreadState}): every pick writes {@code next}.
   */
  @State(Scope.Thread)
  public static class Request extends PaddedThreadState {
    final PeerSelection selection = new PeerSelection();
    final InetAddress[] clients = new InetAddress[64];
    final String[] keys = new String[64];
    final byte[][] keyBytes = new byte[64][];
    String ownName;
    int next;

    @Setup
    public void setUp(PickBenchmark benchmark) throws UnknownHostException {
      for (int i = 0; i < clients.length; i++) {
        clients[i] = InetAddress.getByAddress(new byte[] {10, 0, (byte) i, (byte) (7 * i)});
        keys[i] = "/static/item/" + i * 7919;
        keyBytes[i] = keys[i].getBytes(StandardCharsets.UTF_8);
      }
      ownName = "bench" + benchmark.threads.getAndIncrement();
    }
  }

  @Benchmark
  public Peer pick(Request request, CpuTime cpu) {
    cpu.ops++;
    return pickFrom(registry.find("bench"), request);
  }

  /**
   * As {@code pick}, with what a proxy reports of each request for the peer's statistics: the response's status,
   * times and bytes, counted by the release ({@code PeerSelection.succeeded(status, headerNanos, responseNanos, sent,
   * received)}). Issue 16's target: within 10% of {@code pick}, 0 B/op.
   */
  @Benchmark
  public Peer pickReported(Request request, CpuTime cpu) {
    cpu.ops++;
    int i = request.next++ & 63;
    PeerSelection selection = request.selection.start(registry.find("bench").peers(), request.clients[i],
        request.keys[i]);
    Peer peer = selection.next();
    selection.succeeded(200, 1_000_000L + i, 3_000_000L + i, 300, 4000 + i);
    return peer;
  }

  /** As {@code pick}, with the hash key given as bytes ({@code PeerSelection.start(group, client, bytes, 0, n)}). */
  @Benchmark
  public Peer pickWithKeyBytes(Request request, CpuTime cpu) {
    cpu.ops++;
    int i = request.next++ & 63;
    byte[] key = request.keyBytes[i];
    PeerSelection selection = request.selection.start(registry.find("bench").peers(), request.clients[i], key, 0,
        key.length);
    Peer peer = selection.next();
    selection.succeeded();
    return peer;
  }

  /**
   * A request held open on one peer of the shared upstream for the whole run, from the benchmark's thread: with a
   * connection active, least_conn compares counts instead of taking round robin's cycle.
   */
  @State(Scope.Thread)
  public static class BusyPeer {
    final PeerSelection held = new PeerSelection();

    @Setup
    public void setUp(PickBenchmark benchmark) {
      held.start(benchmark.registry.find("bench").peers(), null, "/held");
      held.next();
    }

    @TearDown
    public void tearDown() {
      held.succeeded();
    }
  }

  /**
   * One server of the shared upstream (the first of the largest weight) failed (once: max_fails=1) in the benchmark
   * thread's worker and stays out for the run: round robin and least_conn have a peer that is not clean.
   */
  @State(Scope.Thread)
  public static class FailedPeer {
    @Setup
    public void setUp(PickBenchmark benchmark) throws UnknownHostException {
      PeerSelection selection = new PeerSelection();
      Upstream upstream = benchmark.registry.find("bench");
      // The first server of the largest weight, which smooth round robin picks first.
      int largest = 0;
      for (int i = 1; i < benchmark.servers; i++) {
        if (weight(i, benchmark.weights) > weight(largest, benchmark.weights)) {
          largest = i;
        }
      }
      Peer first = upstream.peers().asList().get(largest);
      for (int i = 0; i < 100_000; i++) {
        InetAddress client = InetAddress.getByAddress(new byte[] {10, (byte) (i >> 16), (byte) (i >> 8), (byte) i});
        selection.start(upstream.peers(), client, "/failed" + i);
        Peer peer = selection.next();
        if (peer == first) {
          selection.failed();
          return;
        }
        selection.succeeded();
      }
      throw new IllegalStateException("the first server was never picked");
    }
  }

  @Benchmark
  public Peer pickWithOneFailed(Request request, FailedPeer failed, CpuTime cpu) {
    cpu.ops++;
    return pickFrom(registry.find("bench"), request);
  }

  @Benchmark
  public Peer pickWithOneBusy(Request request, BusyPeer busy, CpuTime cpu) {
    cpu.ops++;
    return pickFrom(registry.find("bench"), request);
  }

  @Benchmark
  public Peer pickOwnUpstream(Request request, CpuTime cpu) {
    cpu.ops++;
    return pickFrom(registry.find(request.ownName), request);
  }

  /**
   * {@code start} alone, the part of {@code pick} before the lock: for {@code hash} and {@code hash … consistent}
   * it is the CRC-32 of the key, which nginx's hash requires; {@link KeyHashBenchmark} has the JDK's CRC-32 of the
   * same keys beside it.
   */
  @Benchmark
  public PeerSelection start(Request request) {
    int i = request.next++ & 63;
    return request.selection.start(registry.find("bench").peers(), request.clients[i], request.keys[i]);
  }

  private static Peer pickFrom(Upstream upstream, Request request) {
    int i = request.next++ & 63;
    PeerSelection selection = request.selection.start(upstream.peers(), request.clients[i], request.keys[i]);
    Peer peer = selection.next();
    selection.succeeded();
    return peer;
  }
}
