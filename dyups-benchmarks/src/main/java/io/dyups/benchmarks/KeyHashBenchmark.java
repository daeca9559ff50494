package io.dyups.benchmarks;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The floor under the hash methods' picks: the JDK's CRC-32 (an intrinsic) of the same 17-character keys as
 * {@link PickBenchmark}, from bytes already encoded, so without the encoding dyups does while it hashes.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class KeyHashBenchmark {
  private final byte[][] keys = new byte[64][];
  private final CRC32 crc = new CRC32();
  private int next;

  public KeyHashBenchmark() {
    for (int i = 0; i < keys.length; i++) {
      keys[i] = ("/static/item/" + i * 7919).getBytes(StandardCharsets.UTF_8);
    }
  }

  @Benchmark
  public long jdkCrc32OfEncodedKey() {
    byte[] key = keys[next++ & 63];
    crc.reset();
    crc.update(key, 0, key.length);
    return crc.getValue();
  }
}
