package io.dyups.core;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The writes of a persistence file, each in one place so fault tests can fail them as a file system would.
 *
 * <p>{@link #replace} replaces a file so that a crash at any moment leaves either the old or the new content: write
 * a temporary file in the same directory, force it to disk, rename it over the target, force the directory. A
 * process killed in the middle leaves the old content and a temporary file, which {@link #removeLeftovers} deletes
 * at the next start. {@link #append} adds a record at the end of a journal.
 */
class AtomicFileWriter {
  /** Writes the content, UTF-8 encoded, to a stream; called once per replacement. */
  interface Content {
    void writeTo(OutputStream out) throws IOException;
  }

  void replace(Path target, Content content) throws IOException {
    replace(target, content, true);
  }

  /** Writes {@code record} at the end of {@code journal} (opened to append), then forces it when asked. */
  void append(FileChannel journal, byte[] record, boolean force) throws IOException {
    ByteBuffer buffer = ByteBuffer.wrap(record);
    while (buffer.hasRemaining()) {
      journal.write(buffer);
    }
    if (force) {
      journal.force(false);
    }
  }

  /**
   * As {@link #replace(Path, Content)}; without {@code force}, the content and the rename are left to the
   * operating system to write (a process crash still leaves the old or the new content; a power loss may leave
   * either, or an empty file on some file systems).
   */
  void replace(Path target, Content content, boolean force) throws IOException {
    Path dir = directoryOf(target);
    Path temp = dir.resolve(temporaryPrefix(target) + Long.toHexString(ThreadLocalRandom.current().nextLong()));
    boolean moved = false;
    try {
      try (FileChannel channel = FileChannel.open(
          temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        OutputStream out = new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 16);
        content.writeTo(out);
        out.flush();
        if (force) {
          channel.force(true);
        }
      }
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      moved = true;
      if (force) {
        forceDirectory(dir);
      }
    } finally {
      if (!moved) {
        Files.deleteIfExists(temp);
      }
    }
  }

  /**
   * Deletes the temporary files a writer of {@code target} left when its process died in the middle of a
   * {@link #replace}; only the process that owns {@code target} may call it, before it writes. Returns how many
   * it deleted.
   */
  int removeLeftovers(Path target) throws IOException {
    Path dir = directoryOf(target);
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    String prefix = temporaryPrefix(target);
    int removed = 0;
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      for (Path entry : entries) {
        boolean ours = entry.getFileName().toString().startsWith(prefix)
            && Files.isRegularFile(entry, LinkOption.NOFOLLOW_LINKS);
        if (ours && Files.deleteIfExists(entry)) {
          removed++;
        }
      }
    }
    return removed;
  }

  private static Path directoryOf(Path target) {
    Path dir = target.toAbsolutePath().getParent();
    if (dir == null) {
      throw new IllegalArgumentException("not a file: " + target);
    }
    return dir;
  }

  private static String temporaryPrefix(Path target) {
    return "." + target.getFileName() + ".tmp-";
  }

  // The rename is durable only once the directory entry is on disk.
  private static void forceDirectory(Path dir) throws IOException {
    try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
      channel.force(true);
    }
  }
}
