package io.dyups.benchmarks;

import static java.util.Objects.requireNonNull;

import io.dyups.core.Peer;
import io.dyups.core.PeerSelection;
import io.dyups.core.Result;
import io.dyups.core.UpstreamRegistry;
import java.util.concurrent.TimeUnit;
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
 * {@code updateUpstream} replacing one server of an upstream of {@code servers} servers and keeping the rest (two
 * definitions that differ in the last server's port alternate), with every worker of the registry having picked
 * from it: the writer parses the commands, builds the new group with the state of every unchanged server carried
 * over (failures, connections, current weights, health), and makes each worker's state for the new generation (for
 * a large upstream, its lanes) before it publishes. No persistence file.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "-Xmx2g")
@State(Scope.Benchmark)
public class LargeUpdateBenchmark {
  @Param({"1000", "10000"})
  public int servers;

  @Param({"round_robin", "least_conn"})
  public String method;

  UpstreamRegistry registry;
  final String[] commands = new String[2];
  int next;

  @Setup
  public void setUp() throws InterruptedException {
    registry = UpstreamRegistry.builder().build();
    String others = PickBenchmark.servers(servers - 1, "1-5");
    for (int version = 0; version < 2; version++) {
      commands[version] = PickBenchmark.directive(method) + others + "server 10.255.255." + (1 + version)
          + ":80 weight=3;";
    }
    check(registry.updateUpstream("big", commands[0]));
    // A pick from threads of both parities of id, so that each of the (by default) two workers has its state.
    boolean[] picked = new boolean[2];
    while (!picked[0] || !picked[1]) {
      Thread thread = new Thread(() -> {
        PeerSelection selection = new PeerSelection().start(requireNonNull(registry.find("big")).peers(), null, null);
        Peer peer = selection.next();
        if (peer != null) {
          selection.succeeded();
        }
      });
      picked[(int) (thread.getId() & 1)] = true;
      thread.start();
      thread.join();
    }
  }

  @TearDown
  public void tearDown() {
    registry.close();
  }

  private static void check(Result result) {
    if (!result.isSuccess()) {
      throw new IllegalStateException(result.toString());
    }
  }

  @Benchmark
  public Result replaceOneServer() {
    next ^= 1;
    return registry.updateUpstream("big", commands[next]);
  }
}
