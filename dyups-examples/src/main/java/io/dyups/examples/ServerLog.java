package io.dyups.examples;

import java.io.BufferedWriter;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import org.jspecify.annotations.Nullable;

/**
 * The error log, in nginx's format ({@code 2026/11/27 10:00:00 [error] 4242#31: message}), written by its own
 * thread so that event loops never wait on the disk. Lines below the configured level are dropped where they are
 * made. Without a file, lines go to standard error.
 */
final class ServerLog implements Closeable {
  /** nginx's log levels, most severe last. */
  enum Level {
    DEBUG, INFO, NOTICE, WARN, ERROR, CRIT, ALERT, EMERG;

    /** The level named as in {@code error_log FILE LEVEL}, or null. */
    @Nullable
    static Level parse(String name) {
      for (Level level : values()) {
        if (level.name().equalsIgnoreCase(name)) {
          return level;
        }
      }
      return null;
    }

    String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy/MM/dd HH:mm:ss");
  private static final String STOP = new String("stop");
  private static final long PID = ProcessHandle.current().pid();

  private final BlockingQueue<String> lines = new LinkedBlockingQueue<>(100_000);
  private final Writer writer;
  private final Level level;
  private final Thread thread;

  private ServerLog(Writer writer, Level level, String name) {
    this.writer = writer;
    this.level = level;
    this.thread = new Thread(this::drain, name);
    thread.setDaemon(true);
    thread.start();
  }

  static ServerLog open(@Nullable Path file, Level level, String name) throws IOException {
    if (file == null) {
      return new ServerLog(new OutputStreamWriter(new PrintStream(System.err, true), StandardCharsets.UTF_8), level,
          name);
    }
    Files.createDirectories(file.toAbsolutePath().getParent());
    Writer writer = new BufferedWriter(new OutputStreamWriter(Files.newOutputStream(
        file, StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE),
        StandardCharsets.UTF_8));
    return new ServerLog(writer, level, name);
  }

  boolean enabled(Level wanted) {
    return wanted.compareTo(level) >= 0;
  }

  void log(Level wanted, String message) {
    if (enabled(wanted)) {
      write(ZonedDateTime.now(ZoneId.systemDefault()).format(TIME) + " [" + wanted.label() + "] " + PID + "#"
          + Thread.currentThread().getId() + ": " + message);
    }
  }

  void error(String message) {
    log(Level.ERROR, message);
  }

  void warn(String message) {
    log(Level.WARN, message);
  }

  void notice(String message) {
    log(Level.NOTICE, message);
  }

  void info(String message) {
    log(Level.INFO, message);
  }

  private void write(String line) {
    // A full queue means the disk cannot keep up; dropping a log line beats stalling requests.
    lines.offer(line);
  }

  @SuppressWarnings("ReferenceEquality") // STOP is told apart from every line by identity, on purpose
  private void drain() {
    try {
      while (true) {
        String line = lines.take();
        if (line == STOP) {
          writer.flush();
          return;
        }
        writer.write(line);
        writer.write('\n');
        if (lines.isEmpty()) {
          writer.flush();
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      System.err.println("dyups: cannot write log: " + e.getMessage());
    }
  }

  @Override
  public void close() {
    lines.offer(STOP);
    try {
      thread.join(2000);
      writer.flush();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      // Closing anyway.
    }
  }
}
