package io.dyups.core;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.dyups.parser.NginxConfig;
import io.dyups.parser.UpstreamBlock;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Crash safety of persistence: a child JVM applies changes in a loop with a persistence file; the test kills it
 * with SIGKILL ({@link ProcessHandle#destroyForcibly()}) at random moments and checks, after every kill, that the file
 * parses and holds exactly the state after the last acknowledged change or the one in flight: never a torn
 * file, never a lost acknowledged change. Each next child starts from the file the last one left, so every kill
 * also tests a restart.
 *
 * <p>{@code -Ddyups.crash.kills=N} sets the kills per workload (default 20 in the default build, 500 in the soak profile; four workloads); the
 * {@code crash-long} Maven profile raises it. {@code -Ddyups.crash.seed=S} repeats the random choices of a run
 * (the kill moments still depend on timing).
 */
class PersistenceCrashTest {
  private static final int KILLS = Integer.getInteger("dyups.crash.kills", 20);
  private static final long SEED = Long.getLong("dyups.crash.seed", System.nanoTime());

  @TempDir Path dir;

  @ParameterizedTest
  @EnumSource(CrashWorkload.class)
  void everyKillLeavesTheStateOfTheLastAcknowledgedChangeOrTheOneInFlight(CrashWorkload workload) throws Exception {
    Path file = dir.resolve("upstream.conf");
    SplittableRandom random = new SplittableRandom(SEED ^ workload.ordinal());
    Model model = new Model(workload);
    Stats stats = new Stats();
    Timing timing = new Timing();

    for (int kill = 1; kill <= KILLS; kill++) {
      long start = model.seq;
      long acknowledged = runAndKill(file, workload, start, random, timing, kill);
      stats.acknowledged += acknowledged - start;
      stats.leftTemporaryFiles += PersistenceCrashChild.temporaryFiles(file) > 0 ? 1 : 0;

      model.advanceTo(acknowledged);
      String onDisk = Files.exists(file) ? Files.readString(file) : "";
      Model inFlight = model.next();
      if (onDisk.equals(model.text())) {
        assertParsesTo(file, model);
      } else if (onDisk.equals(inFlight.text())) {
        assertParsesTo(file, inFlight);
        model = inFlight;
        stats.inFlightLanded++;
      } else {
        fail("kill %d of %s (seed %d): the file holds neither the state after acknowledged change %d nor after"
            + " change %d; %d bytes, expected %d or %d bytes", kill, workload, SEED, acknowledged,
            acknowledged + 1, onDisk.length(), model.text().length(), inFlight.text().length());
      }
    }
    System.out.printf("%s: %d kills survived, %d changes acknowledged, in-flight change landed %d times,"
        + " temporary file left by %d kills, %.1f ms per change (seed %d)%n", workload, KILLS, stats.acknowledged,
        stats.inFlightLanded, stats.leftTemporaryFiles, timing.changeNanos / 1e6, SEED);
  }

  /** Starts a child from change {@code start}, kills it at a random moment; returns its last acknowledged change. */
  private long runAndKill(
      Path file, CrashWorkload workload, long start, SplittableRandom random, Timing timing, int kill)
      throws IOException, InterruptedException {
    Path stderr = dir.resolve("child-" + kill + ".err");
    Process child = new ProcessBuilder(childCommand(file, workload, start))
        .redirectError(stderr.toFile())
        .start();
    long last = start;
    try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), US_ASCII))) {
      String ready = out.readLine();
      assertThat(ready).as("child %d's first line; stderr: %s", kill, readQuietly(stderr)).startsWith("ready ");
      assertThat(ready).as("temporary files left after the restart of kill %d", kill).isEqualTo("ready 0");
      // Kill after a random number of acknowledged changes (0 included: during the first write), then after a
      // random pause within the time one change takes, so kills land anywhere in a change: in the parse, in the
      // write of the temporary file, at the rename.
      int acksBeforeKill = random.nextInt(7);
      long previous = System.nanoTime();
      for (int i = 0; i < acksBeforeKill; i++) {
        last = parseAck(out.readLine(), kill, stderr);
        long now = System.nanoTime();
        if (i > 0) {
          timing.changeNanos += (now - previous - timing.changeNanos) / 8;
        }
        previous = now;
      }
      LockSupport.parkNanos(random.nextLong(Math.max(timing.changeNanos * 5 / 4, 1)));
      // SIGKILL through the handle: Process.destroyForcibly() would also close the pipe we still read.
      child.toHandle().destroyForcibly();
      child.waitFor();
      // Everything the child printed before it died is still in the pipe.
      for (String line = out.readLine(); line != null; line = out.readLine()) {
        last = parseAck(line, kill, stderr);
      }
    } finally {
      child.destroyForcibly();
      child.waitFor();
    }
    return last;
  }

  private static long parseAck(String line, int kill, Path stderr) {
    if (line == null || line.startsWith("refused")) {
      fail("child %d stopped before it was killed: %s; stderr: %s", kill, line, readQuietly(stderr));
    }
    return Long.parseLong(line);
  }

  private static List<String> childCommand(Path file, CrashWorkload workload, long start) {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    return List.of(java, "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-XX:+UseSerialGC", "-Xmx128m",
        "-XX:-UsePerfData", "-cp", System.getProperty("java.class.path"),
        PersistenceCrashChild.class.getName(), file.toString(), workload.name(), Long.toString(start));
  }

  private static String readQuietly(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      return "(unreadable: " + e + ")";
    }
  }

  private static void assertParsesTo(Path file, Model model) throws IOException {
    if (!Files.exists(file)) {
      assertThat(model.upstreams).isEmpty();
      return;
    }
    assertThat(NginxConfig.load(file).upstreams()).containsExactlyElementsOf(model.upstreams.values());
  }

  /** What the registry holds after change {@code seq}: the same changes replayed without a file. */
  private static final class Model {
    final CrashWorkload workload;
    long seq;
    final LinkedHashMap<String, UpstreamBlock> upstreams;

    Model(CrashWorkload workload) {
      this(workload, 0, new LinkedHashMap<>());
    }

    private Model(CrashWorkload workload, long seq, LinkedHashMap<String, UpstreamBlock> upstreams) {
      this.workload = workload;
      this.seq = seq;
      this.upstreams = upstreams;
    }

    void advanceTo(long target) {
      while (seq < target) {
        apply();
      }
    }

    Model next() {
      Model next = new Model(workload, seq, new LinkedHashMap<>(upstreams));
      next.apply();
      return next;
    }

    private void apply() {
      seq++;
      CrashWorkload.Change change = workload.change(seq, upstreams::containsKey);
      if (change.isDelete()) {
        upstreams.remove(change.name());
      } else {
        // Replacing keeps the place; a new name goes last, as in the registry's listing.
        upstreams.put(change.name(), UpstreamBlock.fromCommands(change.name(), change.commands()));
      }
    }

    String text() {
      StringBuilder out = new StringBuilder();
      for (Map.Entry<String, UpstreamBlock> entry : upstreams.entrySet()) {
        out.append(entry.getValue().toConfig());
      }
      return out.toString();
    }
  }

  /** A running mean of the time one change takes in the child, to spread the kills over a whole change. */
  private static final class Timing {
    long changeNanos = 2_000_000;
  }

  private static final class Stats {
    long acknowledged;
    int inFlightLanded;
    int leftTemporaryFiles;
  }
}
