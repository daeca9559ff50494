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
import java.util.SplittableRandom;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Crash safety of persistence: a child JVM applies changes in a loop with a persistence file, its journal folded
 * into it in the background all the time (small fold thresholds, so a fold is running at most moments); the test
 * kills it with SIGKILL ({@link ProcessHandle#destroyForcibly()}) at random moments and checks, after every kill:
 * <ul>
 *   <li>the file alone (what an nginx that includes it reads) is valid nginx configuration holding exactly the
 *       state after the change its first line names: never a torn file, never a half-folded one;
 *   <li>the file and its journal, read as the next start reads them, hold exactly the state after the last
 *       acknowledged change or the one in flight: never a lost acknowledged change.
 * </ul>
 * Each next child starts from what the last one left (and folds it), so every kill also tests a restart.
 *
 * <p>{@code -Ddyups.crash.kills=N} sets the kills per workload (four workloads): 8 in the default build (the parent
 * POM says what they still catch), 500 in the soak profile; the {@code crash-long} Maven profile raises it. {@code -Ddyups.crash.seed=S} repeats the random choices of a run
 * (the kill moments still depend on timing).
 */
class PersistenceCrashTest {
  private static final int KILLS = Integer.getInteger("dyups.crash.kills", 8);
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
      stats.foldedFiles += assertTheFileAloneHoldsTheStateItsHeaderNames(file, workload, kill) ? 1 : 0;
      List<UpstreamBlock> state = stateAsTheNextStartReadsIt(file, kill);
      Model inFlight = model.next();
      if (state.equals(model.blocks())) {
        stats.withJournal += journals(file) > 0 ? 1 : 0;
      } else if (state.equals(inFlight.blocks())) {
        model = inFlight;
        stats.inFlightLanded++;
      } else {
        fail("kill %d of %s (seed %d): file and journal hold neither the state after acknowledged change %d nor"
            + " after change %d: %s", kill, workload, SEED, acknowledged, acknowledged + 1,
            state.stream().map(UpstreamBlock::name).toList());
      }
    }
    System.out.printf("%s: %d kills survived, %d changes acknowledged, in-flight change landed %d times,"
        + " temporary file left by %d kills, journal left by %d, a folded file by %d, %.1f ms per change"
        + " (seed %d)%n", workload, KILLS, stats.acknowledged, stats.inFlightLanded, stats.leftTemporaryFiles,
        stats.withJournal, stats.foldedFiles, timing.changeNanos / 1e6, SEED);
  }

  /** Starts a child from change {@code start}, kills it at a random moment; returns its last acknowledged change. */
  private long runAndKill(
      Path file, CrashWorkload workload, long start, SplittableRandom random, Timing timing, int kill)
      throws IOException, InterruptedException {
    Path stderr = dir.resolve("child-" + kill + ".err");
    Process child = new ProcessBuilder(childCommand(file, workload, start, random))
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

  private static List<String> childCommand(
      Path file, CrashWorkload workload, long start, SplittableRandom random) {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    // Fold after 0 to 5 ms of quiet, or at once past 512 bytes to 16 KiB of journal: folds all the time.
    return List.of(java, "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-XX:+UseSerialGC", "-Xmx128m",
        "-XX:-UsePerfData", "-cp", System.getProperty("java.class.path"),
        PersistenceCrashChild.class.getName(), file.toString(), workload.name(), Long.toString(start),
        Long.toString(random.nextInt(6)), Long.toString(512L << random.nextInt(6)));
  }

  /**
   * The file alone parses as nginx configuration and holds exactly the model's state after the change its header
   * names (the registry's first change is the first record after the empty state it starts from, numbered 1).
   * Returns whether there was a file.
   */
  private static boolean assertTheFileAloneHoldsTheStateItsHeaderNames(Path file, CrashWorkload workload, int kill)
      throws IOException {
    if (!Files.exists(file)) {
      return false;
    }
    String text = Files.readString(file);
    List<UpstreamBlock> inFile = NginxConfig.load(file).upstreams();
    java.util.regex.Matcher header = java.util.regex.Pattern.compile("# dyups: upstreams after change (\\d+);")
        .matcher(text);
    assertThat(header.lookingAt()).as("kill %d: the file's first line %s", kill, text.lines().findFirst())
        .isTrue();
    long change = Long.parseLong(header.group(1)) - 1;
    Model atHeader = new Model(workload);
    atHeader.advanceTo(change);
    assertThat(inFile).as("kill %d of %s (seed %d): the file alone, after change %d", kill, workload, SEED, change)
        .isEqualTo(atHeader.blocks());
    return true;
  }

  /** What the next start reads: the file and its journals, from a copy (opening folds, and this must not). */
  private List<UpstreamBlock> stateAsTheNextStartReadsIt(Path file, int kill) throws IOException {
    Path copy = Files.createDirectory(dir.resolve("read-" + kill));
    try {
      try (Stream<Path> entries = Files.list(file.getParent())) {
        for (Path entry : entries.toList()) {
          String name = entry.getFileName().toString();
          if (Files.isRegularFile(entry) && name.startsWith(file.getFileName().toString())) {
            Files.copy(entry, copy.resolve(name));
          }
        }
      }
      try (UpstreamFile read = UpstreamFile.open(copy.resolve(file.getFileName()), false,
          UpstreamFile.Options.DEFAULT)) {
        return read.upstreams().stream().map(StoredUpstream::definition).toList();
      }
    } finally {
      try (Stream<Path> entries = Files.list(copy)) {
        for (Path entry : entries.toList()) {
          Files.delete(entry);
        }
      }
      Files.delete(copy);
    }
  }

  private static long journals(Path file) throws IOException {
    try (Stream<Path> entries = Files.list(file.getParent())) {
      return entries.filter(p -> p.getFileName().toString().startsWith(file.getFileName() + ".journal-")).count();
    }
  }

  private static String readQuietly(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      return "(unreadable: " + e + ")";
    }
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

    List<UpstreamBlock> blocks() {
      return List.copyOf(upstreams.values());
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
    int withJournal;
    int foldedFiles;
  }
}
