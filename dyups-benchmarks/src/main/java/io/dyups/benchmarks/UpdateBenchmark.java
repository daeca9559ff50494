package io.dyups.benchmarks;

import io.dyups.core.Result;
import io.dyups.core.UpstreamRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
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
 * {@code updateUpstream} replacing a 10-server upstream while {@code others} other upstreams are present, without
 * and with the persistence file; and, as the floor of the persisted case, appending one journal record's bytes to
 * a file and forcing it ({@code bareAppend}: what the registry does per change since the journal), and the floors of
 * rewriting the whole file per change (what it did before): writing and fsyncing a file of the persistence file's
 * size ({@code bareFsync}), and that plus the rename and directory fsync ({@code bareReplace}), on the same file
 * system.
 *
 * <p>The persistence file goes under {@code -Ddyups.bench.dir} (default: the JVM's temporary directory); say in
 * the results which file system that is.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "-Xmx2g")
@State(Scope.Benchmark)
public class UpdateBenchmark {
  @Param({"100", "10000", "100000"})
  public int others;

  @Param({"false", "true"})
  public boolean persist;

  Path dir;
  Path file;
  UpstreamRegistry registry;
  // Two definitions of the same 10 servers that differ in one weight, so every update is a real replacement.
  final String[] commands = new String[2];
  int next;
  byte[] fileSizedBytes;
  Path bareFile;
  FileChannel bareJournal;
  // The size of the journal record of one update of "target" (10 servers): header, name, text.
  final byte[] recordBytes = new byte[420];

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    dir = Files.createTempDirectory(Path.of(System.getProperty("dyups.bench.dir",
        System.getProperty("java.io.tmpdir"))), "dyups-update-");
    file = dir.resolve("upstream.conf");
    if (persist) {
      // Loading the others from the persistence file itself is the quickest way to have them present.
      Files.writeString(file, Configs.upstreamConf(others, 2));
    }
    UpstreamRegistry.Builder builder = UpstreamRegistry.builder();
    if (persist) {
      builder.persistenceFile(file);
    }
    registry = builder.build();
    if (!persist) {
      String two = "server 10.0.0.1:80;server 10.0.0.2:80;";
      for (int i = 0; i < others; i++) {
        check(registry.updateUpstream(Configs.upstreamName(i), two));
      }
    }
    StringBuilder servers = new StringBuilder();
    for (int i = 1; i < 10; i++) {
      servers.append("server 10.1.0.").append(i).append(":8080;");
    }
    commands[0] = servers + "server 10.1.0.10:8080;";
    commands[1] = servers + "server 10.1.0.10:8080 weight=2;";
    check(registry.updateUpstream("target", commands[0]));
    if (registry.size() != others + 1) {
      throw new IllegalStateException("expected " + (others + 1) + " upstreams, have " + registry.size());
    }
    long size = persist ? Files.size(file) : 0;
    fileSizedBytes = new byte[(int) size];
    Arrays.fill(fileSizedBytes, (byte) 'x');
    bareFile = dir.resolve("bare.conf");
    java.util.Arrays.fill(recordBytes, (byte) 'x');
    bareJournal = FileChannel.open(dir.resolve("bare.journal"), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.APPEND);
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    registry.close();
    bareJournal.close();
    try (var files = Files.list(dir)) {
      for (Path path : (Iterable<Path>) files::iterator) {
        Files.delete(path);
      }
    }
    Files.delete(dir);
  }

  static void check(Result result) {
    if (!result.isSuccess()) {
      throw new IllegalStateException(result.toString());
    }
  }

  @Benchmark
  public Result update() {
    Result result = registry.updateUpstream("target", commands[next++ & 1]);
    if (!result.isSuccess()) {
      throw new IllegalStateException(result.toString());
    }
    return result;
  }

  /** The floor of a persisted update since the journal: append one record's bytes and force them to disk. */
  @Benchmark
  public long bareAppend() {
    try {
      ByteBuffer buffer = ByteBuffer.wrap(recordBytes);
      while (buffer.hasRemaining()) {
        bareJournal.write(buffer);
      }
      bareJournal.force(false);
      return bareJournal.position();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The floor of rewriting the whole file per update: write as many bytes as the persistence file holds to a new file and force
   * it to disk (only meaningful with {@code persist=true}; with {@code false} it writes an empty file).
   */
  @Benchmark
  public long bareFsync() {
    try (FileChannel channel = FileChannel.open(bareFile,
        StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
      ByteBuffer buffer = ByteBuffer.wrap(fileSizedBytes);
      while (buffer.hasRemaining()) {
        channel.write(buffer);
      }
      channel.force(true);
      return channel.size();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The floor of a persisted update with everything that makes it atomic and durable, as the registry does it:
   * write a new temporary file of the persistence file's size, fsync it, rename it over the target, fsync the
   * directory.
   */
  @Benchmark
  public Path bareReplace() {
    try {
      Path temp = dir.resolve(".bare.conf.tmp");
      try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        ByteBuffer buffer = ByteBuffer.wrap(fileSizedBytes);
        while (buffer.hasRemaining()) {
          channel.write(buffer);
        }
        channel.force(true);
      }
      Files.move(temp, bareFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      try (FileChannel directory = FileChannel.open(dir, StandardOpenOption.READ)) {
        directory.force(true);
      }
      return bareFile;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
