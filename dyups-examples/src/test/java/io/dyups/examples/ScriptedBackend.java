package io.dyups.examples;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A backend whose every connection is handed to the test's script, one at a time, on its own thread: the script
 * reads the request and writes whatever bytes the test wants (half a response, garbage, nothing at all).
 */
final class ScriptedBackend implements AutoCloseable {
  /** What a connection does. */
  @FunctionalInterface
  interface Script {
    void run(Socket socket, InputStream in, OutputStream out) throws Exception;
  }

  private final ServerSocket listener;
  private final Script script;
  final AtomicInteger connections = new AtomicInteger();
  final List<String> requests = new CopyOnWriteArrayList<>();
  final LinkedBlockingQueue<Throwable> failures = new LinkedBlockingQueue<>();
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();

  ScriptedBackend(Script script) throws IOException {
    this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    this.script = script;
    Thread thread = new Thread(this::accept, "scripted-backend");
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
        sockets.add(socket);
        connections.incrementAndGet();
        Thread thread = new Thread(() -> {
          try (socket) {
            script.run(socket, socket.getInputStream(), socket.getOutputStream());
          } catch (Exception e) {
            failures.add(e);
          }
        }, "scripted-backend-connection");
        thread.setDaemon(true);
        thread.start();
      } catch (IOException e) {
        return;
      }
    }
  }

  /** Reads one request head (and a Content-Length body) and records its request line; null at end of stream. */
  String readRequest(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int state = 0;
    int c;
    while (state < 4 && (c = in.read()) != -1) {
      head.write(c);
      state = (c == '\r' && (state == 0 || state == 2)) || (c == '\n' && (state == 1 || state == 3)) ? state + 1
          : c == '\r' ? 1 : 0;
    }
    if (state < 4) {
      return null;
    }
    String text = head.toString(StandardCharsets.ISO_8859_1);
    int length = 0;
    for (String line : text.split("\r\n")) {
      if (line.toLowerCase().startsWith("content-length:")) {
        length = Integer.parseInt(line.substring(15).trim());
      }
    }
    in.readNBytes(length);
    requests.add(text.substring(0, text.indexOf("\r\n")));
    return text;
  }

  static void write(OutputStream out, String text) throws IOException {
    out.write(text.getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
  }

  /** Waits until at least {@code n} connections were accepted. */
  void awaitConnections(int n) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (connections.get() < n && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
  }

  @Override
  public void close() throws IOException {
    listener.close();
    for (Socket socket : sockets) {
      socket.close();
    }
  }
}
