package io.dyups.benchmarks;

import io.dyups.parser.NginxConfig;
import io.dyups.parser.UpstreamBlock;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
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
 * Parsing the same bytes with dyups-parser and with nginxparser (its ANTLR parser, and its JavaCC parser for
 * reference): a generated upstream.conf of 100 000 upstreams of 4 servers, and a realistic mixed nginx.conf.
 * Time per parse of the whole input; MB/s is the input size (printed at setup) over that time.
 *
 * <p>Every parser is handed the same UTF-8 bytes and decodes them itself ({@code NginxConfig.parse(byte[], name)}
 * for dyups). {@code dyups} builds the directive tree;
 * {@code dyupsUpstreams} also builds the typed upstream model from it.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms3g", "-Xmx3g"})
@State(Scope.Benchmark)
public class ParseBenchmark {
  @Param({"upstream_100k", "mixed"})
  public String input;

  byte[] utf8;
  PeerParser peer;

  @Setup
  public void setUp() {
    String text = switch (input) {
      case "upstream_100k" -> Configs.upstreamConf(100_000, 4);
      case "mixed" -> Configs.mixedConf(200);
      default -> throw new IllegalArgumentException(input);
    };
    utf8 = text.getBytes(StandardCharsets.UTF_8);
    System.out.printf("%n# input %s: %d bytes (%.3f MB)%n", input, utf8.length, utf8.length / 1e6);
    peer = new PeerParser();
    peer.checkAccepts(utf8, input);
    NginxConfig.parse(text, input).upstreams();
  }

  @TearDown
  public void tearDown() throws IOException {
    peer.close();
  }

  @Benchmark
  public NginxConfig dyups() {
    return NginxConfig.parse(utf8, input);
  }

  @Benchmark
  public List<UpstreamBlock> dyupsUpstreams() {
    return NginxConfig.parse(utf8, input).upstreams();
  }

  @Benchmark
  public Object nginxparserAntlr() {
    return peer.parseAntlr(utf8);
  }

  @Benchmark
  public Object nginxparserJavaCc() {
    return peer.parseJavaCc(utf8);
  }
}
