package io.dyups.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.dyups.parser.NginxConfig;
import io.dyups.parser.UpstreamBlock;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Persistence faults: a read-only directory, a full disk, the file replaced by a directory. For each, every change
 * (replace, create, delete) is refused with 500 naming the file, the registry and the file on disk stay as they
 * were, no temporary file is left, and once the fault is gone the next change succeeds and is persisted.
 *
 * <p>The real variants use a tmpfs (size-limited, remounted read-only) and run only where {@code mount} is
 * permitted: as root, a directory without write permission does not stop writes, so chmod proves nothing there.
 * The injected variants fail the {@link AtomicFileWriter} the way the file system would, and always run.
 */
class PersistenceFaultTest {
  private static final String SEED = "server 10.0.0.1:80;\nserver 10.0.0.2:80;\n";

  @TempDir Path dir;
  private final TestFileSystems fileSystems = new TestFileSystems();
  private final List<UpstreamRegistry> opened = new CopyOnWriteArrayList<>();

  @AfterEach
  void close() throws IOException {
    opened.forEach(UpstreamRegistry::close);
    fileSystems.unmountAll();
  }

  private UpstreamRegistry registry(UpstreamRegistry.Builder builder) {
    UpstreamRegistry registry = builder.build();
    opened.add(registry);
    return registry;
  }

  /** A registry persisting to {@code file} that holds a and b, both acknowledged. */
  private UpstreamRegistry registryWithTwoUpstreams(Path file, AtomicFileWriter writer) {
    UpstreamRegistry registry = registry(UpstreamRegistry.builder().persistenceFile(file).fileWriter(writer));
    assertThat(registry.updateUpstream("a", SEED).status()).isEqualTo(200);
    assertThat(registry.updateUpstream("b", SEED).status()).isEqualTo(200);
    return registry;
  }

  @Test
  void aReadOnlyFileSystemRefusesEveryChangeWith500AndTheNextChangeAfterItSucceeds() throws Exception {
    assumeTrue(TestFileSystems.canMount(dir), "mount is not permitted here; the injected variant covers this");
    Path data = Files.createDirectory(dir.resolve("data"));
    fileSystems.mountTmpfs(data, "1m");
    Path file = data.resolve("upstream.conf");
    UpstreamRegistry registry = registryWithTwoUpstreams(file, new AtomicFileWriter());
    fileSystems.remount(data, true);

    assertEveryChangeRefused(registry, file, "Read-only file system");

    fileSystems.remount(data, false);
    assertTheNextChangeSucceeds(registry, file);
  }

  @Test
  void aDirectoryWithoutWritePermissionRefusesEveryChangeWith500WhenNotRoot() throws Exception {
    Path data = Files.createDirectory(dir.resolve("data"));
    Path file = data.resolve("upstream.conf");
    UpstreamRegistry registry = registryWithTwoUpstreams(file, new AtomicFileWriter());
    Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("r-xr-xr-x"));
    try {
      assumeTrue(!canCreateFileIn(data), "running as root: permissions do not stop writes");

      assertEveryChangeRefused(registry, file, "Permission denied");
    } finally {
      Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    assertTheNextChangeSucceeds(registry, file);
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

    assertEveryChangeRefused(registry, file, "No space left on device");

    Files.delete(filler);
    assertTheNextChangeSucceeds(registry, file);
  }

  @Test
  void anInjectedDiskFullInTheMiddleOfTheWriteRefusesEveryChangeWith500AndLeavesNoTemporaryFile() throws Exception {
    Path file = dir.resolve("upstream.conf");
    FaultyWriter writer = new FaultyWriter();
    UpstreamRegistry registry = registryWithTwoUpstreams(file, writer);
    writer.fault = Fault.DISK_FULL_AFTER_40_BYTES;

    assertEveryChangeRefused(registry, file, "No space left on device");

    assertThat(writer.partialWrites).as("writes cut after a partial temporary file").isEqualTo(3);
    writer.fault = Fault.NONE;
    assertTheNextChangeSucceeds(registry, file);
  }

  @ParameterizedTest(name = "empty directory: {0}")
  @ValueSource(booleans = {true, false})
  void aFileReplacedByADirectoryRefusesEveryChangeWith500AndTheNextChangeAfterItIsRemovedSucceeds(boolean empty)
      throws Exception {
    Path file = dir.resolve("upstream.conf");
    UpstreamRegistry registry = registryWithTwoUpstreams(file, new AtomicFileWriter());
    Files.delete(file);
    Files.createDirectory(file);
    if (!empty) {
      Files.writeString(file.resolve("inside"), "x");
    }

    assertEveryChangeRefused(registry, file, "");

    assertThat(file).isDirectory();
    try (Stream<Path> inside = Files.list(file)) {
      assertThat(inside.count()).isEqualTo(empty ? 0 : 1);
    }
    if (!empty) {
      Files.delete(file.resolve("inside"));
    }
    Files.delete(file);
    assertTheNextChangeSucceeds(registry, file);
  }

  /** Replacing a, creating c and deleting b are each refused with 500; registry and file stay as they were. */
  private static void assertEveryChangeRefused(UpstreamRegistry registry, Path file, String cause)
      throws IOException {
    List<Upstream> before = registry.detail();
    byte[] onDisk = Files.isRegularFile(file) ? Files.readAllBytes(file) : null;

    List<Result> results = List.of(
        registry.updateUpstream("a", "server 10.9.9.9:80;"),
        registry.updateUpstream("c", SEED),
        registry.deleteUpstream("b"));

    for (Result result : results) {
      assertThat(result.status()).as("%s", result).isEqualTo(500);
      assertThat(result.message()).contains("\"" + file + "\"").contains(cause).endsWith("nothing changed");
    }
    assertThat(registry.detail()).as("the very same upstreams").containsExactlyElementsOf(before);
    if (onDisk != null) {
      assertThat(Files.readAllBytes(file)).as("the file on disk").isEqualTo(onDisk);
    }
    assertThat(temporaryFiles(file)).isEmpty();
  }

  /** A good change is acknowledged and persisted with everything acknowledged before it. */
  private static void assertTheNextChangeSucceeds(UpstreamRegistry registry, Path file) throws IOException {
    assertThat(registry.updateUpstream("c", SEED).status()).isEqualTo(200);

    assertThat(registry.list()).containsExactly("a", "b", "c");
    assertThat(NginxConfig.load(file).upstreams()).extracting(UpstreamBlock::name).containsExactly("a", "b", "c");
    assertThat(temporaryFiles(file)).isEmpty();
  }

  private static List<String> temporaryFiles(Path file) throws IOException {
    try (Stream<Path> entries = Files.list(file.toAbsolutePath().getParent())) {
      return entries.map(p -> p.getFileName().toString()).filter(n -> n.contains(".tmp-")).toList();
    }
  }

  private static boolean canCreateFileIn(Path directory) {
    try {
      Files.delete(Files.createTempFile(directory, "probe", ""));
      return true;
    } catch (IOException e) {
      return false;
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

  /** Fails as the file system would: at creating the temporary file, or part-way through writing it. */
  private static final class FaultyWriter extends AtomicFileWriter {
    volatile Fault fault = Fault.NONE;
    int partialWrites;

    @Override
    void replace(Path target, Content content) throws IOException {
      switch (fault) {
        case READ_ONLY -> throw new FileSystemException(
            target.resolveSibling("." + target.getFileName() + ".tmp-injected").toString(), null,
            "Read-only file system");
        case DISK_FULL_AFTER_40_BYTES -> super.replace(target, out -> {
          content.writeTo(new FullAfter(out, 40));
        });
        case NONE -> super.replace(target, content);
      }
    }

    /** Passes {@code limit} bytes on, then fails as write(2) does with ENOSPC. */
    private final class FullAfter extends OutputStream {
      private final OutputStream out;
      private int left;

      FullAfter(OutputStream out, int limit) {
        this.out = out;
        this.left = limit;
      }

      @Override
      public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] bytes, int offset, int length) throws IOException {
        int now = Math.min(length, left);
        out.write(bytes, offset, now);
        left -= now;
        if (now < length) {
          out.flush();
          partialWrites++;
          throw new IOException("No space left on device");
        }
      }

      @Override
      public void flush() throws IOException {
        out.flush();
      }

      @Override
      public void close() throws IOException {
        out.close();
      }
    }
  }
}
