package io.dyups.examples;

import io.dyups.examples.ProxyConfig.AccessLogTarget;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The access log files: one open file per path however many {@code access_log} directives name it, and for each
 * event loop a buffer of its own, so that loops never wait for each other. As nginx: without {@code buffer=} each
 * line is written when its request ends; with it, lines are written when the buffer is full, every
 * {@code flush=} interval, and at shutdown. Each write is one {@code write(2)} of whole lines to a file opened
 * for appending, so lines from different loops never interleave within a line.
 */
final class AccessLog implements Closeable {
  private final Map<Path, LogFile> files = new HashMap<>();
  private final int loops;

  AccessLog(int loops) {
    this.loops = loops;
  }

  /** The file for {@code target}, opened once; call before the loops start. */
  LogFile open(AccessLogTarget target) throws IOException {
    LogFile file = files.get(target.path());
    if (file == null) {
      file = new LogFile(target.path(), loops, target.bufferSize(), target.flush().toNanos());
      files.put(target.path(), file);
    }
    return file;
  }

  /** Every file that buffers and wants flushing every so often. */
  List<LogFile> timed() {
    return files.values().stream().filter(f -> f.flushNanos > 0).toList();
  }

  /** Writes what every loop buffered; call once the loops have stopped. */
  @Override
  public void close() {
    for (LogFile file : files.values()) {
      for (int i = 0; i < loops; i++) {
        file.flush(i);
      }
      try {
        file.channel.close();
      } catch (IOException e) {
        // Closing anyway.
      }
    }
  }

  /** One access log file. */
  static final class LogFile {
    final Path path;
    private final FileChannel channel;
    private final ByteBuffer[] buffers;
    private final int bufferSize;
    final long flushNanos;

    LogFile(Path path, int loops, int bufferSize, long flushNanos) throws IOException {
      this.path = path;
      Files.createDirectories(path.toAbsolutePath().getParent());
      this.channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.APPEND,
          StandardOpenOption.WRITE);
      this.bufferSize = bufferSize;
      this.flushNanos = flushNanos;
      this.buffers = new ByteBuffer[loops];
    }

    /** Adds one line (without its newline) from loop {@code loop}; writes it now unless the file buffers. */
    void write(int loop, CharSequence line) {
      ByteBuffer buffer = buffers[loop];
      int needed = line.length() * 3 + 1;
      if (buffer == null || buffer.remaining() < needed) {
        flush(loop);
        buffer = buffers[loop];
        if (buffer == null || buffer.capacity() < needed) {
          buffer = ByteBuffer.allocate(Math.max(Math.max(bufferSize, 4096), needed));
          buffers[loop] = buffer;
        }
      }
      for (int i = 0; i < line.length(); i++) {
        char c = line.charAt(i);
        if (c < 0x80) {
          buffer.put((byte) c);
        } else {
          // Rare: non-ASCII literal text in a format. Encode the rest of the line at once.
          buffer.put(line.subSequence(i, line.length()).toString().getBytes(StandardCharsets.UTF_8));
          break;
        }
      }
      buffer.put((byte) '\n');
      if (bufferSize == 0) {
        flush(loop);
      }
    }

    /** Writes what loop {@code loop} buffered. */
    void flush(int loop) {
      ByteBuffer buffer = buffers[loop];
      if (buffer == null || buffer.position() == 0) {
        return;
      }
      buffer.flip();
      try {
        while (buffer.hasRemaining()) {
          channel.write(buffer);
        }
      } catch (IOException e) {
        // A full disk must not stop the proxy; nginx too carries on when a log write fails.
      } finally {
        buffer.clear();
      }
    }
  }
}
