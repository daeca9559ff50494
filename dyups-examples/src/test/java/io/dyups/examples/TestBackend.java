package io.dyups.examples;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A backend on a raw socket that records what reaches it and answers with what it saw: keep-alive, and a
 * chunked answer for paths starting with /chunked.
 */
final class TestBackend implements AutoCloseable {
  record Seen(String requestLine, List<String> headers, String body) {}

  private final ServerSocket listener;
  final List<Seen> seen = new CopyOnWriteArrayList<>();
  final AtomicInteger connections = new AtomicInteger();

  TestBackend() throws IOException {
    listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread thread = new Thread(this::accept, "test-backend");
    thread.setDaemon(true);
    thread.start();
  }

  int port() {
    return listener.getLocalPort();
  }

  private void accept() {
    while (!listener.isClosed()) {
      try {
        Socket socket = listener.accept();
        connections.incrementAndGet();
        Thread thread = new Thread(() -> serve(socket), "test-backend-connection");
        thread.setDaemon(true);
        thread.start();
      } catch (IOException e) {
        return;
      }
    }
  }

  private void serve(Socket socket) {
    try (socket) {
      InputStream in = socket.getInputStream();
      OutputStream out = socket.getOutputStream();
      while (true) {
        String requestLine = line(in);
        if (requestLine == null) {
          return;
        }
        List<String> headers = new CopyOnWriteArrayList<>();
        int length = 0;
        for (String line = line(in); line != null && !line.isEmpty(); line = line(in)) {
          headers.add(line);
          if (line.toLowerCase().startsWith("content-length:")) {
            length = Integer.parseInt(line.substring(15).trim());
          }
        }
        String body = new String(in.readNBytes(length), StandardCharsets.UTF_8);
        seen.add(new Seen(requestLine, headers, body));
        String answer = "backend " + port() + " " + requestLine + " body=" + body;
        byte[] bytes = answer.getBytes(StandardCharsets.UTF_8);
        if (requestLine.split(" ")[1].startsWith("/chunked")) {
          out.write(("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Backend: " + port() + "\r\n\r\n"
              + Integer.toHexString(5) + "\r\nhello\r\n" + Integer.toHexString(bytes.length) + "\r\n")
              .getBytes(StandardCharsets.UTF_8));
          out.write(bytes);
          out.write("\r\n0\r\n\r\n".getBytes(StandardCharsets.UTF_8));
        } else {
          out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + bytes.length + "\r\nX-Backend: " + port()
              + "\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n\r\n").getBytes(StandardCharsets.UTF_8));
          out.write(bytes);
        }
        out.flush();
      }
    } catch (IOException e) {
      // The proxy closed the connection.
    }
  }

  private static String line(InputStream in) throws IOException {
    StringBuilder line = new StringBuilder();
    int c;
    while ((c = in.read()) != -1 && c != '\n') {
      if (c != '\r') {
        line.append((char) c);
      }
    }
    return c == -1 && line.length() == 0 ? null : line.toString();
  }

  @Override
  public void close() throws IOException {
    listener.close();
  }
}
