package io.dyups.examples;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** A small HTTP/1.1 client on a raw socket, so tests control every header (Host included) and reuse. */
final class RawHttp implements AutoCloseable {
  record Response(int status, Map<String, String> headers, String body) {}

  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;

  RawHttp(int port) throws IOException {
    this(port, 20_000);
  }

  /** A connection whose reads fail after {@code timeoutMillis} without a byte. */
  RawHttp(int port, int timeoutMillis) throws IOException {
    this(new Socket("127.0.0.1", port), timeoutMillis);
  }

  /** Over a socket the test opened (a TLS one, say). */
  RawHttp(Socket socket) throws IOException {
    this(socket, 20_000);
  }

  private RawHttp(Socket socket, int timeoutMillis) throws IOException {
    this.socket = socket;
    socket.setSoTimeout(timeoutMillis);
    in = socket.getInputStream();
    out = socket.getOutputStream();
  }

  static Response request(int port, String method, String target, String host, String body) throws IOException {
    try (RawHttp http = new RawHttp(port)) {
      return http.send(method, target, host, body, true);
    }
  }

  Response send(String method, String target, String host, String body, boolean close) throws IOException {
    StringBuilder head = new StringBuilder();
    head.append(method).append(' ').append(target).append(" HTTP/1.1\r\n");
    head.append("Host: ").append(host).append("\r\n");
    if (body != null) {
      head.append("Content-Length: ").append(body.getBytes(StandardCharsets.UTF_8).length).append("\r\n");
    }
    if (close) {
      head.append("Connection: close\r\n");
    }
    head.append("\r\n");
    out.write(head.toString().getBytes(StandardCharsets.UTF_8));
    if (body != null) {
      out.write(body.getBytes(StandardCharsets.UTF_8));
    }
    out.flush();
    return read(method.equals("HEAD"));
  }

  void write(String raw) throws IOException {
    out.write(raw.getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  /** The status line and headers of the next answer; its body is left to read. */
  Response readHead() throws IOException {
    String status = line();
    Map<String, String> headers = new LinkedHashMap<>();
    for (String line = line(); !line.isEmpty(); line = line()) {
      int colon = line.indexOf(':');
      headers.put(line.substring(0, colon).toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
    }
    return new Response(Integer.parseInt(status.split(" ")[1]), headers, "");
  }

  /** Exactly {@code n} bytes, as they come (a read that times out fails). */
  String readBytes(int n) throws IOException {
    byte[] bytes = in.readNBytes(n);
    if (bytes.length < n) {
      throw new java.io.EOFException("connection closed after " + bytes.length + " of " + n + " bytes");
    }
    return new String(bytes, StandardCharsets.ISO_8859_1);
  }

  /** Everything up to the server's close (a read that times out fails). */
  String readToEnd() throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try {
      in.transferTo(bytes);
    } catch (java.net.SocketException e) {
      // A reset after the last bytes: the end all the same.
    }
    return bytes.toString(StandardCharsets.ISO_8859_1);
  }

  Response read(boolean head) throws IOException {
    String status = line();
    Map<String, String> headers = new LinkedHashMap<>();
    for (String line = line(); !line.isEmpty(); line = line()) {
      int colon = line.indexOf(':');
      headers.put(line.substring(0, colon).toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
    }
    int code = Integer.parseInt(status.split(" ")[1]);
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    if (!head && code != 204 && code != 304) {
      if (headers.containsKey("content-length")) {
        body.write(in.readNBytes(Integer.parseInt(headers.get("content-length"))));
      } else if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
        for (int size = Integer.parseInt(line(), 16); size > 0; size = Integer.parseInt(line(), 16)) {
          body.write(in.readNBytes(size));
          line();
        }
        line();
      } else {
        body.write(in.readAllBytes());
      }
    }
    return new Response(code, headers, body.toString(StandardCharsets.UTF_8));
  }

  /** True when the server closed the connection: nothing more to read (within the socket's timeout). */
  boolean closedByServer() throws IOException {
    try {
      return in.read() == -1;
    } catch (java.net.SocketException e) {
      return true;
    }
  }

  private String line() throws IOException {
    StringBuilder line = new StringBuilder();
    int c;
    while ((c = in.read()) != -1 && c != '\n') {
      if (c != '\r') {
        line.append((char) c);
      }
    }
    if (c == -1 && line.length() == 0) {
      throw new java.io.EOFException("connection closed");
    }
    return line.toString();
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
