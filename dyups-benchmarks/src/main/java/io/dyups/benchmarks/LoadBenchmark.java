package io.dyups.benchmarks;

import io.dyups.core.Upstream;
import io.dyups.core.UpstreamRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Start-up with a large file: building a registry from an upstream.conf of 100 000 upstreams of 4 servers (read,
 * parse, build the model, build every upstream's peers). Each operation is one whole load.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3)
@Measurement(iterations = 5)
@Fork(value = 1, jvmArgsAppend = {"-Xms3g", "-Xmx3g"})
@State(Scope.Benchmark)
public class LoadBenchmark {
  Path file;

  @Setup
  public void setUp() throws IOException {
    file = Files.createTempFile("dyups-load-", ".conf");
    Files.writeString(file, Configs.upstreamConf(100_000, 4));
  }

  @TearDown
  public void tearDown() throws IOException {
    Files.delete(file);
  }

  @Benchmark
  public UpstreamRegistry load() {
    UpstreamRegistry registry = UpstreamRegistry.builder().load(file).build();
    if (registry.size() != 100_000) {
      throw new IllegalStateException("loaded " + registry.size() + " upstreams");
    }
    return registry;
  }

  /**
   * A load, then every upstream's peers made ({@code Upstream.peers()}, as a first pick makes them): what a start
   * costs when every upstream is used soon after it.
   */
  @Benchmark
  public UpstreamRegistry loadThenPeers() {
    UpstreamRegistry registry = load();
    int peers = 0;
    for (Upstream upstream : registry.detail()) {
      peers += upstream.peers().asList().size();
    }
    if (peers != 400_000) {
      throw new IllegalStateException("made " + peers + " peers");
    }
    return registry;
  }
}
