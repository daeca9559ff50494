package io.dyups.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.dyups.parser.Address;
import io.dyups.parser.HealthCheck;
import io.dyups.parser.UpstreamBlock;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The socket probe and the running checker against real servers on 127.0.0.1. */
class SocketHealthProbeTest {
  private final SocketHealthProbe probe = new SocketHealthProbe();
  private final List<AutoCloseable> closeables = new CopyOnWriteArrayList<>();
  private final List<String> requests = new CopyOnWriteArrayList<>();

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable closeable : closeables) {
      closeable.close();
    }
  }

  private static HealthCheck check(String directives) {
    return UpstreamBlock.fromCommands("u", "server 127.0.0.1:1; " + directives).healthCheck();
  }

  private static Address local(int port) {
    return new Address(Address.Kind.IPV4, "127.0.0.1", port);
  }

  private static int closedPort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  /** A server that reads one request head and answers {@code answer} (or nothing, when null) on every connection. */
  private int server(String answer) throws IOException {
    ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    closeables.add(listener);
    Thread thread = new Thread(() -> {
      while (!listener.isClosed()) {
        try {
          Socket socket = listener.accept();
          closeables.add(socket);
          requests.add(readHead(socket.getInputStream()));
          if (answer != null) {
            OutputStream out = socket.getOutputStream();
            out.write(answer.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            socket.close();
          }
        } catch (IOException e) {
          return;
        }
      }
    }, "probe-test-server");
    thread.setDaemon(true);
    thread.start();
    return listener.getLocalPort();
  }

  private static String readHead(InputStream in) throws IOException {
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int c = in.read();
      if (c < 0) {
        break;
      }
      head.append((char) c);
    }
    return head.toString();
  }

  @Test
  void tcpIsAliveWhenTheServerAcceptsAndDeadWhenNothingListens() throws IOException {
    HealthCheck tcp = check("check interval=1000 timeout=1000;");

    assertThat(probe.isAlive(local(server(null)), tcp)).isTrue();
    assertThat(probe.isAlive(local(closedPort()), tcp)).isFalse();
  }

  @Test
  void httpSendsTheRequestAndJudgesTheStatus() throws IOException {
    HealthCheck http = check("check interval=1000 timeout=2000 type=http;"
        + " check_http_send \"HEAD /health HTTP/1.0\\r\\nHost: app\\r\\n\\r\\n\";");

    assertThat(probe.isAlive(local(server("HTTP/1.1 204 No Content\r\n\r\n")), http)).isTrue();
    assertThat(probe.isAlive(local(server("HTTP/1.0 302 Found\r\nLocation: /\r\n\r\n")), http)).isTrue();
    assertThat(probe.isAlive(local(server("HTTP/1.1 503 Service Unavailable\r\n\r\n")), http)).isFalse();
    assertThat(probe.isAlive(local(server("SSH-2.0-OpenSSH_9.2\r\n")), http)).isFalse();
    assertThat(probe.isAlive(local(server("")), http)).isFalse();
    assertThat(requests).first().isEqualTo("HEAD /health HTTP/1.0\r\nHost: app\r\n\r\n");
  }

  @Test
  void expectAliveDecidesWhichStatusesPass() throws IOException {
    HealthCheck onlyErrors = check("check interval=1000 type=http; check_http_expect_alive http_5xx;");

    assertThat(probe.isAlive(local(server("HTTP/1.1 500 Oops\r\n\r\n")), onlyErrors)).isTrue();
    assertThat(probe.isAlive(local(server("HTTP/1.1 200 OK\r\n\r\n")), onlyErrors)).isFalse();
  }

  @Test
  void aServerThatNeverAnswersFailsAfterTheTimeout() throws IOException {
    HealthCheck http = check("check interval=1000 timeout=200 type=http;");

    assertThat(probe.isAlive(local(server(null)), http)).isFalse();
  }

  @Test
  void thePortParameterChecksAnotherPort() throws IOException {
    int checkPort = server("HTTP/1.1 200 OK\r\n\r\n");
    HealthCheck http = check("check interval=1000 type=http port=" + checkPort + ";");

    assertThat(probe.isAlive(local(closedPort()), http)).isTrue();
  }

  @Test
  void unixSocketsAreCheckedToo(@TempDir Path dir) throws IOException {
    Path path = dir.resolve("backend.sock");
    ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    listener.bind(UnixDomainSocketAddress.of(path));
    closeables.add(listener);
    Thread thread = new Thread(() -> {
      try (SocketChannel channel = listener.accept()) {
        channel.read(ByteBuffer.allocate(1024));
        channel.write(ByteBuffer.wrap("HTTP/1.1 200 OK\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1)));
      } catch (IOException e) {
        // The test's assertion reports it.
      }
    }, "unix-test-server");
    thread.setDaemon(true);
    thread.start();
    Address address = new Address(Address.Kind.UNIX, path.toString(), 0);

    assertThat(probe.isAlive(address, check("check interval=1000 type=http;"))).isTrue();
    assertThat(probe.isAlive(new Address(Address.Kind.UNIX, dir.resolve("none.sock").toString(), 0),
        check("check interval=1000;"))).isFalse();
  }

  @Test
  @SuppressWarnings("try") // the checker runs by itself; the try only closes it
  void theRunningCheckerMarksAServerDownWhenItStopsListeningAndUpWhenItIsBack() throws Exception {
    ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    int port = listener.getLocalPort();
    try (UpstreamRegistry registry = UpstreamRegistry.builder().build();
        HealthChecker checker = HealthChecker.builder(registry).tick(Duration.ofMillis(10)).start()) {
      registry.updateUpstream("u", "server 127.0.0.1:" + port + "; server 127.0.0.1:" + closedPort() + ";"
          + " check interval=20 fall=1 rise=1 timeout=500;");
      Peer live = registry.find("u").peers().asList().get(0);
      Peer gone = registry.find("u").peers().asList().get(1);

      awaitHealth(live, true);
      awaitHealth(gone, false);
      listener.close();
      awaitHealth(live, false);
      try (ServerSocket back = new ServerSocket()) {
        back.setReuseAddress(true);
        back.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        awaitHealth(live, true);
      }
    }
  }

  // Waits for the checker, which runs on its own threads; the bound only keeps a broken checker from hanging.
  private static void awaitHealth(Peer peer, boolean healthy) throws InterruptedException {
    long deadline = System.nanoTime() + 20_000_000_000L;
    while (peer.isHealthy() != healthy && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertThat(peer.isHealthy()).as("%s healthy", peer).isEqualTo(healthy);
  }
}
