package io.dyups.zookeeper;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP forwarder on a loopback port of its own to one ZooKeeper server, which a test can cut (every connection
 * through it closed, new ones refused) and heal: one instance cut off from the ensemble while the others go on.
 */
final class TcpProxy implements AutoCloseable {
  private final ServerSocket listener;
  private final int target;
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private volatile boolean cut;
  private volatile boolean closed;

  TcpProxy(int targetPort) throws IOException {
    this.target = targetPort;
    this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread acceptor = new Thread(this::accept, "tcp-proxy " + listener.getLocalPort() + "->" + targetPort);
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** Sockets open through the proxy now (both sides of each connection). */
  int openConnections() {
    return open.size();
  }

  int port() {
    return listener.getLocalPort();
  }

  String connectString() {
    return "127.0.0.1:" + port();
  }

  /** Closes every connection through the proxy and refuses new ones until {@link #heal()}. */
  void cut() {
    cut = true;
    for (Socket socket : open) {
      closeQuietly(socket);
    }
  }

  void heal() {
    cut = false;
  }

  private void accept() {
    while (!closed) {
      Socket client;
      try {
        client = listener.accept();
      } catch (IOException e) {
        return;
      }
      // Registered before the flag is read, so a cut() that runs meanwhile either sees it or is seen.
      open.add(client);
      if (cut) {
        closeQuietly(client);
        open.remove(client);
        continue;
      }
      try {
        Socket server = new Socket();
        open.add(server);
        server.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), target), 2_000);
        if (cut) {
          closeQuietly(server);
          closeQuietly(client);
          open.remove(server);
          open.remove(client);
          continue;
        }
        pump(client, server);
        pump(server, client);
      } catch (IOException e) {
        closeQuietly(client);
        open.remove(client);
      }
    }
  }

  private void pump(Socket from, Socket to) {
    Thread thread = new Thread(() -> {
      byte[] buffer = new byte[64 * 1024];
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        for (int n = in.read(buffer); n >= 0 && !cut; n = in.read(buffer)) {
          out.write(buffer, 0, n);
          out.flush();
        }
      } catch (IOException e) {
        // The other side or cut() closed it.
      } finally {
        closeQuietly(from);
        closeQuietly(to);
        open.remove(from);
        open.remove(to);
      }
    }, "tcp-proxy pump");
    thread.setDaemon(true);
    thread.start();
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException e) {
      // Closing.
    }
  }

  @Override
  public void close() {
    closed = true;
    cut();
    try {
      listener.close();
    } catch (IOException e) {
      // Closing.
    }
  }
}
