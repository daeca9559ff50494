package io.dyups.examples;

import io.dyups.parser.Address;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.Deque;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import org.jspecify.annotations.Nullable;

/**
 * Keep-alive connections to backends, a small idle pool per address. A pooled connection may have been closed by
 * the backend meanwhile; the caller retries such a one once on a fresh connection.
 */
final class BackendPool implements Closeable {
  private static final int MAX_IDLE_PER_ADDRESS = 64;
  private static final long IDLE_NANOS = 50_000_000_000L;

  private final ConcurrentHashMap<Address, Deque<BackendConnection>> idle = new ConcurrentHashMap<>();
  private final int connectTimeoutMillis;
  private final int readTimeoutMillis;
  private volatile boolean closed;

  BackendPool(int connectTimeoutMillis, int readTimeoutMillis) {
    this.connectTimeoutMillis = connectTimeoutMillis;
    this.readTimeoutMillis = readTimeoutMillis;
  }

  /** An idle connection to {@code address}, or null. */
  @Nullable BackendConnection pooled(Address address) {
    Deque<BackendConnection> connections = idle.get(address);
    if (connections == null) {
      return null;
    }
    long now = System.nanoTime();
    BackendConnection connection;
    while ((connection = connections.pollFirst()) != null) {
      if (now - connection.idleSince < IDLE_NANOS && !connection.socket.isClosed()) {
        connection.reused = true;
        return connection;
      }
      connection.close();
    }
    return null;
  }

  /** A new connection to {@code address}. */
  BackendConnection connect(Address address) throws IOException {
    if (address.kind() == Address.Kind.UNIX) {
      throw new IOException("unix domain sockets are not supported by the example proxy");
    }
    Socket socket = new Socket();
    try {
      socket.setTcpNoDelay(true);
      socket.connect(new InetSocketAddress(InetAddress.getByName(address.host()), address.port()),
          connectTimeoutMillis);
      socket.setSoTimeout(readTimeoutMillis);
      return new BackendConnection(address, socket);
    } catch (IOException e) {
      socket.close();
      throw e;
    }
  }

  /** Returns a connection whose last exchange ended cleanly. */
  void release(BackendConnection connection) {
    if (closed) {
      connection.close();
      return;
    }
    Deque<BackendConnection> connections =
        idle.computeIfAbsent(connection.address, key -> new ConcurrentLinkedDeque<>());
    if (connections.size() >= MAX_IDLE_PER_ADDRESS) {
      connection.close();
      return;
    }
    connection.idleSince = System.nanoTime();
    connections.addFirst(connection);
  }

  @Override
  public void close() {
    closed = true;
    for (Deque<BackendConnection> connections : idle.values()) {
      BackendConnection connection;
      while ((connection = connections.pollFirst()) != null) {
        connection.close();
      }
    }
  }

  /** One connection to a backend. */
  static final class BackendConnection implements Closeable {
    final Address address;
    final Socket socket;
    final HttpInput in;
    final OutputStream out;
    boolean reused;
    long idleSince;

    BackendConnection(Address address, Socket socket) throws IOException {
      this.address = address;
      this.socket = socket;
      this.in = new HttpInput(socket.getInputStream());
      this.out = new BufferedOutputStream(socket.getOutputStream(), 16 * 1024);
    }

    @Override
    public void close() {
      try {
        socket.close();
      } catch (IOException e) {
        // Nothing to do: the connection is gone either way.
      }
    }
  }
}
