package io.dyups.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Persistence faults: a full disk, a read-only file system, a write cut part-way. For each, a change (replace,
 * create, delete) the journal cannot take is refused with 500 naming the file, the registry and the persisted state (file and journal, as
 * the next start reads them) stay as they were (a record cut part-way is cut off the journal, so a refused change
 * never comes back at a restart), no temporary file is left, and once the fault is gone the next change succeeds
 * and is persisted.
 *
 * <p>The full-disk variant uses a size-limited tmpfs and runs only where {@code mount} is permitted. The injected
 * variants fail the journal's write the way the file system would, and always run. (A file system cannot be made
 * read-only while the journal is open for writing, and permissions do not stop writes to an open file, so the
 * read-only case is injected.)
 */
class PersistenceFaultTest {
  private static final String SEED = "server 10.0.0.1:80;\nserver 10.0.0.2:80;\n";
  // More than a page of journal: needs space a full disk does not have.
  private static final String LARGE = largeCommands();

  private static String largeCommands() {
    StringBuilder out = new StringBuilder();
    for (int i = 1; i <= 400; i++) {
      out.append("server 10.0.").append(i / 200).append('.').append(i % 200 + 1).append(":8080;\n");
    }
    return out.toString();
  }

  @TempDir Path dir;
  private final TestFileSystems fileSystems = new TestFileSystems();
  private final List<UpstreamRegistry> opened = new CopyOnWriteArrayList<>();

  @AfterEach
  void close() throws IOException {
    opened.forEach(UpstreamRegistry::close);
    fileSystems.unmountAll();
  }

  /**
   * A registry persisting to {@code file} that holds a and b, both acknowledged. Its journal is not folded while
   * the test runs: a fold in the background (a second after the last change, or later on a loaded machine) would
   * write a temporary file the checks would see, and would meet the injected faults at a moment of its choosing.
   */
  private UpstreamRegistry registryWithTwoUpstreams(Path file, AtomicFileWriter writer) {
    UpstreamRegistry registry = UpstreamRegistry.builder().persistenceFile(file).fileWriter(writer)
        .fileOptions(new UpstreamFile.Options(Duration.ofDays(1), Long.MAX_VALUE)).build();
    opened.add(registry);
    assertThat(registry.updateUpstream("a", SEED).status()).isEqualTo(200);
    assertThat(registry.updateUpstream("b", SEED).status()).isEqualTo(200);
    return registry;
  }

  @Test
  void anInjectedReadOnlyFailureRefusesEveryChangeWith500AndTheNextChangeAfterItSucceeds() throws Exception {
    Path file = dir.resolve("upstream.conf");
    FaultyWriter writer = new FaultyWriter();
    UpstreamRegistry registry = registryWithTwoUpstreams(file, writer);
    writer.fault = Fault.READ_ONLY;

    assertEveryChangeRefused(registry, file, "Read-only file system");

    writer.fault = Fault.NONE;
    assertTheNextChangeSucceeds(registry, file);
  }

  @Test
  void aFullFileSystemRefusesEveryChangeWith500AndTheNextChangeAfterSpaceIsFreedSucceeds() throws Exception {
    assumeTrue(TestFileSystems.canMount(dir), "mount is not permitted here; the injected variant covers this");
    Path data = Files.createDirectory(dir.resolve("data"));
    fileSystems.mountTmpfs(data, "64k");
    Path file = data.resolve("upstream.conf");
    UpstreamRegistry registry = registryWithTwoUpstreams(file, new AtomicFileWriter());
    Path filler = fill(data);

    // A record that fits in the journal's last allocated page needs no space and is written (durably, so it is
    // rightly acknowledged); one that needs a new page is refused, whole.
    List<Upstream> before = registry.detail();
    List<StoredUpstream> persisted = UpstreamFile.read(file);
    for (Result result : List.of(registry.updateUpstream("a", LARGE), registry.updateUpstream("c", LARGE))) {
      assertThat(result.status()).as("%s", result).isEqualTo(500);
      assertThat(result.message()).contains("\"" + file + "\"").contains("No space left on device")
          .endsWith("nothing changed");
    }
    assertThat(registry.detail()).containsExactlyElementsOf(before);
    assertThat(UpstreamFile.read(file)).isEqualTo(persisted);
    assertThat(temporaryFiles(file)).isEmpty();

    Files.delete(filler);
    assertTheNextChangeSucceeds(registry, file);
  }

  @Test
  void aWriteCutPartWayRefusesEveryChangeWith500AndLeavesNoPartOfItInTheJournal() throws Exception {
    Path file = dir.resolve("upstream.conf");
    FaultyWriter writer = new FaultyWriter();
    UpstreamRegistry registry = registryWithTwoUpstreams(file, writer);
    writer.fault = Fault.DISK_FULL_AFTER_40_BYTES;

    assertEveryChangeRefused(registry, file, "No space left on device");

    assertThat(writer.partialWrites).as("writes cut after part of a record").isEqualTo(3);
    writer.fault = Fault.NONE;
    assertTheNextChangeSucceeds(registry, file);
  }

  /** Replacing a, creating c and deleting b are each refused with 500; registry and persisted state as they were. */
  private static void assertEveryChangeRefused(UpstreamRegistry registry, Path file, String cause)
      throws IOException {
    List<Upstream> before = registry.detail();
    List<StoredUpstream> persisted = UpstreamFile.read(file);

    List<Result> results = List.of(
        registry.updateUpstream("a", "server 10.9.9.9:80;"),
        registry.updateUpstream("c", SEED),
        registry.deleteUpstream("b"));

    for (Result result : results) {
      assertThat(result.status()).as("%s", result).isEqualTo(500);
      assertThat(result.message()).contains("\"" + file + "\"").contains(cause).endsWith("nothing changed");
    }
    assertThat(registry.detail()).as("the very same upstreams").containsExactlyElementsOf(before);
    assertThat(UpstreamFile.read(file)).as("what the next start reads").isEqualTo(persisted);
    assertThat(temporaryFiles(file)).isEmpty();
  }

  /** A good change is acknowledged and persisted with everything acknowledged before it. */
  private static void assertTheNextChangeSucceeds(UpstreamRegistry registry, Path file) throws IOException {
    assertThat(registry.updateUpstream("c", SEED).status()).isEqualTo(200);

    assertThat(registry.list()).containsExactly("a", "b", "c");
    assertThat(UpstreamFile.read(file)).extracting(StoredUpstream::name).containsExactly("a", "b", "c");
    assertThat(temporaryFiles(file)).isEmpty();
  }

  private static List<String> temporaryFiles(Path file) throws IOException {
    try (Stream<Path> entries = Files.list(file.toAbsolutePath().getParent())) {
      return entries.map(p -> p.getFileName().toString()).filter(n -> n.contains(".tmp-")).toList();
    }
  }

  /** Fills the file system of {@code directory} to the last byte; returns the file to delete to free it. */
  private static Path fill(Path directory) throws IOException {
    Path filler = directory.resolve("filler");
    byte[] block = new byte[1024];
    // Bounded, in case the size limit did not take: 64k must be full long before 1 MiB.
    try (OutputStream out = Files.newOutputStream(filler)) {
      for (int i = 0; i < 1024; i++) {
        out.write(block);
      }
    } catch (IOException e) {
      assertThat(e).hasMessageContaining("No space left on device");
      return filler;
    }
    throw new AssertionError("1 MiB fit on a 64k file system");
  }

  private enum Fault { NONE, READ_ONLY, DISK_FULL_AFTER_40_BYTES }

  /** Fails the journal's write as the file system would: before a byte is written, or part-way. */
  private static final class FaultyWriter extends AtomicFileWriter {
    volatile Fault fault = Fault.NONE;
    int partialWrites;

    @Override
    void append(FileChannel journal, byte[] record, boolean force) throws IOException {
      switch (fault) {
        case READ_ONLY -> throw new FileSystemException(journal.toString(), null, "Read-only file system");
        case DISK_FULL_AFTER_40_BYTES -> {
          journal.write(ByteBuffer.wrap(Arrays.copyOf(record, Math.min(40, record.length))));
          partialWrites++;
          throw new IOException("No space left on device");
        }
        case NONE -> super.append(journal, record, force);
      }
    }
  }
}
