package io.dyups.examples;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/** Buffered reading of HTTP/1.1 messages from a socket: lines, fixed-length and chunked bodies. */
final class HttpInput {
  private final InputStream in;
  private final byte[] buffer = new byte[16 * 1024];
  private int position;
  private int limit;

  HttpInput(InputStream in) {
    this.in = in;
  }

  /** True when buffered bytes are waiting (a pipelined request or an unexpected response byte). */
  boolean hasBuffered() {
    return position < limit;
  }

  private boolean fill() throws IOException {
    if (position < limit) {
      return true;
    }
    int n = in.read(buffer, 0, buffer.length);
    if (n <= 0) {
      return false;
    }
    position = 0;
    limit = n;
    return true;
  }

  /**
   * One line without its CRLF (a bare LF is accepted, as nginx accepts it), or null at end of stream before
   * any byte.
   *
   * @throws HttpException 400-class when the line is longer than {@code max}
   */
  @Nullable
  String readLine(int max) throws IOException {
    StringBuilder line = null;
    while (true) {
      if (!fill()) {
        if (line == null) {
          return null;
        }
        throw new EOFException("end of stream in the middle of a line");
      }
      if (line == null) {
        line = new StringBuilder(64);
      }
      while (position < limit) {
        byte b = buffer[position++];
        if (b == '\n') {
          int length = line.length();
          if (length > 0 && line.charAt(length - 1) == '\r') {
            line.setLength(length - 1);
          }
          return line.toString();
        }
        if (line.length() >= max) {
          throw new HttpException(400, "line too long");
        }
        line.append((char) (b & 0xFF));
      }
    }
  }

  /** Reads exactly {@code n} bytes. */
  byte[] readFixed(int n) throws IOException {
    byte[] out = new byte[n];
    int done = 0;
    while (done < n) {
      if (!fill()) {
        throw new EOFException("end of stream after " + done + " of " + n + " body bytes");
      }
      int chunk = Math.min(n - done, limit - position);
      System.arraycopy(buffer, position, out, done, chunk);
      position += chunk;
      done += chunk;
    }
    return out;
  }

  /** Copies exactly {@code n} bytes to {@code out}. */
  void copyFixed(OutputStream out, long n) throws IOException {
    long left = n;
    while (left > 0) {
      if (!fill()) {
        throw new EOFException("end of stream with " + left + " body bytes to go");
      }
      int chunk = (int) Math.min(left, limit - position);
      out.write(buffer, position, chunk);
      position += chunk;
      left -= chunk;
    }
  }

  /** Copies until the end of the stream; returns the number of bytes. */
  long copyToEnd(OutputStream out) throws IOException {
    long total = 0;
    while (fill()) {
      int chunk = limit - position;
      out.write(buffer, position, chunk);
      position = limit;
      total += chunk;
    }
    return total;
  }

  /** Reads a whole chunked body (and its trailer) into memory, refusing more than {@code max} bytes. */
  byte[] readChunked(int max) throws IOException {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    while (true) {
      long size = chunkSize();
      if (size == 0) {
        skipTrailer();
        return body.toByteArray();
      }
      if (body.size() + size > max) {
        throw new HttpException(413, "request body too large");
      }
      body.write(readFixed((int) size));
      expectCrlf();
    }
  }

  /**
   * Copies a chunked body to {@code out}: re-chunked when {@code chunked} (the chunk boundaries kept), plain
   * otherwise. Returns the number of payload bytes.
   */
  long copyChunked(OutputStream out, boolean chunked) throws IOException {
    long total = 0;
    while (true) {
      long size = chunkSize();
      if (size == 0) {
        skipTrailer();
        if (chunked) {
          out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        return total;
      }
      if (chunked) {
        out.write((Long.toHexString(size) + "\r\n").getBytes(StandardCharsets.US_ASCII));
      }
      copyFixed(out, size);
      expectCrlf();
      if (chunked) {
        out.write('\r');
        out.write('\n');
      }
      total += size;
    }
  }

  private long chunkSize() throws IOException {
    String line = readLine(4096);
    if (line == null) {
      throw new EOFException("end of stream before a chunk");
    }
    int semicolon = line.indexOf(';');
    String hex = (semicolon < 0 ? line : line.substring(0, semicolon)).trim();
    if (hex.isEmpty() || hex.length() > 15) {
      throw new HttpException(400, "invalid chunk size");
    }
    try {
      return Long.parseLong(hex, 16);
    } catch (NumberFormatException e) {
      throw new HttpException(400, "invalid chunk size");
    }
  }

  private void expectCrlf() throws IOException {
    String line = readLine(2);
    if (line == null || !line.isEmpty()) {
      throw new HttpException(400, "missing CRLF after a chunk");
    }
  }

  private void skipTrailer() throws IOException {
    while (true) {
      String line = readLine(8192);
      if (line == null || line.isEmpty()) {
        return;
      }
    }
  }
}
