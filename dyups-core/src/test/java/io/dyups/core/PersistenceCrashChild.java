package io.dyups.core;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;

/**
 * The process {@link PersistenceCrashTest} kills: opens a registry on the persistence file (the state after change
 * {@code start}), then applies changes {@code start+1, start+2, ...} of a {@link CrashWorkload} until killed.
 * Prints {@code ready N} once built (N: temporary files of the persistence file present after the build), then
 * the sequence number of every change after it returned 200, flushed at once. Exits when its standard input
 * closes, so it cannot outlive a parent that died.
 *
 * <p>Arguments: persistence file, workload name, start, fold delay in milliseconds, journal size that folds at
 * once (small values keep a fold running most of the time, so kills land in folds too).
 */
final class PersistenceCrashChild {
  private PersistenceCrashChild() {}

  public static void main(String[] args) throws IOException {
    Path file = Path.of(args[0]);
    CrashWorkload workload = CrashWorkload.valueOf(args[1]);
    long seq = Long.parseLong(args[2]);
    UpstreamFile.Options options = new UpstreamFile.Options(Duration.ofMillis(Long.parseLong(args[3])),
        Long.parseLong(args[4]));
    Thread watchdog = new Thread(() -> {
      try {
        while (System.in.read() >= 0) {
          // Nothing is sent; end of input means the parent is gone.
        }
      } catch (IOException e) {
        // Same as end of input.
      }
      Runtime.getRuntime().halt(2);
    }, "parent-watchdog");
    watchdog.setDaemon(true);
    watchdog.start();

    // Unbuffered: each line goes out in one write, so a kill never cuts a line.
    FileOutputStream out = new FileOutputStream(FileDescriptor.out);
    UpstreamRegistry registry = UpstreamRegistry.builder().persistenceFile(file).fileOptions(options).build();
    print(out, "ready " + temporaryFiles(file));
    while (true) {
      seq++;
      CrashWorkload.Change change = workload.change(seq, name -> registry.find(name) != null);
      Result result = change.applyTo(registry);
      if (!result.isSuccess()) {
        print(out, "refused " + seq + " " + result);
        Runtime.getRuntime().halt(3);
      }
      print(out, Long.toString(seq));
    }
  }

  private static void print(FileOutputStream out, String line) throws IOException {
    out.write((line + "\n").getBytes(StandardCharsets.US_ASCII));
  }

  /** The number of temporary files AtomicFileWriter would make for {@code file} that exist now. */
  static long temporaryFiles(Path file) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    String prefix = "." + file.getFileName() + ".tmp-";
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.filter(p -> p.getFileName().toString().startsWith(prefix)).count();
    }
  }
}
