package io.dyups.core;

import static java.util.Objects.requireNonNull;

import io.dyups.parser.NginxConfig;
import io.dyups.parser.UpstreamBlock;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * dyups's {@code dyups_upstream_conf}: the registry's state kept as nginx configuration in one file. {@link #load()}
 * reads it at start; {@link #write} replaces it, atomically and durably, with the state after a change, before
 * that change becomes visible.
 *
 * <p>Only the registry's writer calls {@link #write}, one change at a time, under the registry's lock.
 */
final class PersistenceFile {
  private static final System.Logger LOG = System.getLogger(PersistenceFile.class.getName());

  private final Path file;
  private final AtomicFileWriter writer;

  PersistenceFile(Path file, AtomicFileWriter writer) {
    this.file = requireNonNull(file, "file");
    this.writer = requireNonNull(writer, "writer");
  }

  /** Where the state is kept. */
  Path path() {
    return file;
  }

  /**
   * The upstreams the file holds, in its order; none when it does not exist yet. Deletes first the temporary files
   * that a process killed while writing it left beside it (without that, every crash would leave one more);
   * failing to delete one is no reason not to start.
   *
   * @throws io.dyups.parser.ConfigSyntaxException when the file does not parse
   * @throws IllegalStateException when the path is a directory
   * @throws IOException when the file cannot be read
   */
  List<UpstreamBlock> load() throws IOException {
    removeLeftovers();
    if (!Files.exists(file)) {
      return List.of();
    }
    if (Files.isDirectory(file)) {
      throw new IllegalStateException("persistence file " + file + " is a directory");
    }
    return NginxConfig.load(file).upstreams();
  }

  private void removeLeftovers() {
    try {
      int removed = writer.removeLeftovers(file);
      if (removed > 0) {
        LOG.log(Level.INFO, "removed " + removed + " temporary file(s) a crash left beside " + file);
      }
    } catch (IOException | UncheckedIOException | SecurityException e) {
      LOG.log(Level.WARNING, "cannot remove temporary files beside " + file + ": " + e);
    }
  }

  /**
   * Replaces the file with {@code upstreams}, the registry's whole state after a change, in listing order. When
   * this throws, the file holds the state before the change.
   *
   * @throws IOException when the file cannot be written
   */
  void write(Iterable<Upstream> upstreams) throws IOException {
    try {
      writer.replace(file, out -> {
        for (Upstream upstream : upstreams) {
          out.write(upstream.config());
        }
      });
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }
}
