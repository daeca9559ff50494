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
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import org.jspecify.annotations.Nullable;

/**
 * A log file written by its own thread, so that request threads never wait on the disk: the access log (one
 * line per request, nginx's "combined" format) and the error log (nginx's "YYYY/MM/DD HH:MM:SS [level]" lines).
 * Without a file, lines go to standard error.
 */
final class ServerLog implements Closeable {
  private static final DateTimeFormatter ERROR_TIME = DateTimeFormatter.ofPattern("yyyy/MM/dd HH:mm:ss");
  private static final DateTimeFormatter ACCESS_TIME =
      DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.ENGLISH);
  private static final String STOP = new String("stop");

  private final BlockingQueue<String> lines = new LinkedBlockingQueue<>(100_000);
  private final Writer writer;
  private final Thread thread;

  private ServerLog(Writer writer, String name) {
    this.writer = writer;
    this.thread = new Thread(this::drain, name);
    thread.setDaemon(true);
    thread.start();
  }

  static ServerLog open(@Nullable Path file, String name) throws IOException {
    if (file == null) {
      return new ServerLog(new OutputStreamWriter(new PrintStream(System.err, true), StandardCharsets.UTF_8), name);
    }
    Files.createDirectories(file.toAbsolutePath().getParent());
    Writer writer = new BufferedWriter(new OutputStreamWriter(Files.newOutputStream(
        file, StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE),
        StandardCharsets.UTF_8));
    return new ServerLog(writer, name);
  }

  void error(String message) {
    write(ZonedDateTime.now().format(ERROR_TIME) + " [error] " + message);
  }

  void notice(String message) {
    write(ZonedDateTime.now().format(ERROR_TIME) + " [notice] " + message);
  }

  void access(String client, String requestLine, int status, long bytes, String referer, String userAgent) {
    write(client + " - - [" + ZonedDateTime.now().format(ACCESS_TIME) + "] \"" + escape(requestLine) + "\" "
        + status + " " + bytes + " \"" + escape(referer) + "\" \"" + escape(userAgent) + "\"");
  }

  // Log lines must not be forged by what a client sends: quotes and controls are escaped as nginx does.
  private static String escape(String text) {
    StringBuilder out = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < 0x20 || c == '"' || c == '\\' || c >= 0x7f) {
        out.append(String.format("\\x%02X", (int) c & 0xFF));
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  private void write(String line) {
    // A full queue means the disk cannot keep up; dropping a log line beats stalling requests.
    lines.offer(line);
  }

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
