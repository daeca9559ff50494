package io.dyups.examples;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * The start line and headers of an HTTP/1.x message. For a request the parts are method, target and version;
 * for a response, version, status and reason.
 */
record HttpHead(String first, String second, String third, List<String[]> headers) {
  private static final int MAX_LINE = 16 * 1024;
  private static final int MAX_HEADERS = 128;

  /** The hop-by-hop headers a proxy must not forward (RFC 9110 7.6.1). */
  private static final List<String> HOP_BY_HOP = List.of(
      "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade");

  /** Reads a request head, or returns null when the connection closed before one began. */
  @Nullable
  static HttpHead readRequest(HttpInput in) throws IOException {
    String line = in.readLine(MAX_LINE);
    while (line != null && line.isEmpty()) {
      // RFC 9112 2.2: ignore empty lines before a request line.
      line = in.readLine(MAX_LINE);
    }
    if (line == null) {
      return null;
    }
    String[] parts = line.split(" ", -1);
    if (parts.length != 3 || parts[0].isEmpty() || parts[1].isEmpty() || !parts[2].startsWith("HTTP/1.")) {
      throw new HttpException(400, "bad request line");
    }
    return new HttpHead(parts[0], parts[1], parts[2], readHeaders(in));
  }

  /** Reads a response head; 1xx interim responses other than 101 are skipped. */
  static HttpHead readResponse(HttpInput in) throws IOException {
    while (true) {
      String line = in.readLine(MAX_LINE);
      if (line == null) {
        throw new java.io.EOFException("upstream closed the connection before a response");
      }
      String[] parts = line.split(" ", 3);
      if (parts.length < 2 || !parts[0].startsWith("HTTP/1.") || !parts[1].matches("[0-9]{3}")) {
        throw new HttpException(502, "upstream sent an invalid status line");
      }
      HttpHead head = new HttpHead(parts[0], parts[1], parts.length == 3 ? parts[2] : "", readHeaders(in));
      int status = head.status();
      if (status >= 100 && status < 200 && status != 101) {
        continue;
      }
      return head;
    }
  }

  private static List<String[]> readHeaders(HttpInput in) throws IOException {
    List<String[]> headers = new ArrayList<>();
    while (true) {
      String line = in.readLine(MAX_LINE);
      if (line == null) {
        throw new java.io.EOFException("end of stream in the headers");
      }
      if (line.isEmpty()) {
        return headers;
      }
      int colon = line.indexOf(':');
      if (colon <= 0 || headers.size() >= MAX_HEADERS || line.charAt(0) == ' ' || line.charAt(0) == '\t') {
        throw new HttpException(400, "bad header line");
      }
      String name = line.substring(0, colon);
      if (name.endsWith(" ") || name.endsWith("\t")) {
        throw new HttpException(400, "whitespace before colon in a header");
      }
      headers.add(new String[] {name, line.substring(colon + 1).trim()});
    }
  }

  int status() {
    return Integer.parseInt(second);
  }

  boolean isHttp10() {
    return third.equals("HTTP/1.0") || first.equals("HTTP/1.0");
  }

  @Nullable
  String header(String name) {
    for (String[] header : headers) {
      if (header[0].equalsIgnoreCase(name)) {
        return header[1];
      }
    }
    return null;
  }

  /** True when a comma-separated header has the token (ignoring case). */
  boolean hasToken(String name, String token) {
    for (String[] header : headers) {
      if (header[0].equalsIgnoreCase(name)) {
        for (String part : header[1].split(",")) {
          if (part.trim().equalsIgnoreCase(token)) {
            return true;
          }
        }
      }
    }
    return false;
  }

  boolean isChunked() {
    String encoding = header("Transfer-Encoding");
    return encoding != null && encoding.toLowerCase(Locale.ROOT).trim().endsWith("chunked");
  }

  /** The Content-Length, -1 when absent. */
  long contentLength() throws HttpException {
    String value = null;
    for (String[] header : headers) {
      if (header[0].equalsIgnoreCase("Content-Length")) {
        if (value != null && !value.equals(header[1])) {
          throw new HttpException(400, "conflicting Content-Length headers");
        }
        value = header[1];
      }
    }
    if (value == null) {
      return -1;
    }
    if (!value.matches("[0-9]{1,18}")) {
      throw new HttpException(400, "invalid Content-Length");
    }
    return Long.parseLong(value);
  }

  /** Whether this message's sender wants the connection kept open afterwards. */
  boolean keepAlive() {
    if (hasToken("Connection", "close")) {
      return false;
    }
    return !isHttp10() || hasToken("Connection", "keep-alive");
  }

  /** True for headers that end at this hop: the standard ones and those the Connection header names. */
  boolean isHopByHop(String name) {
    String lower = name.toLowerCase(Locale.ROOT);
    return HOP_BY_HOP.contains(lower) || hasToken("Connection", lower);
  }
}
