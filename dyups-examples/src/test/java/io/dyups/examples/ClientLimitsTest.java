package io.dyups.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One client cannot hold the proxy: idle and slow clients are closed on nginx's timeouts (client_header_timeout,
 * client_body_timeout, keepalive_timeout), and a traffic port full up to worker_connections leaves the admin port
 * answering, since the admin interface has its own event loop and its own count.
 */
class ClientLimitsTest {
  @TempDir Path prefix;
  private ProxyFixture fixture;
  private TestBackend backend;
  private final List<Socket> sockets = new ArrayList<>();

  private void start(String main, String events, String http) throws IOException {
    fixture = ProxyFixture.start(prefix, main, events, http, "", "");
    backend = new TestBackend();
    fixture.upstream("app", "server 127.0.0.1:" + backend.port() + ";");
  }

  @AfterEach
  void stop() throws IOException {
    for (Socket socket : sockets) {
      socket.close();
    }
    if (fixture != null) {
      fixture.close();
    }
    if (backend != null) {
      backend.close();
    }
  }

  @Test
  void aClientThatSendsAHeaderLineNowAndThenIsClosedAfterClientHeaderTimeout() throws Exception {
    start("", "", "client_header_timeout 1s;");
    try (RawHttp http = new RawHttp(fixture.front, 10_000)) {
      long started = System.nanoTime();
      http.write("GET / HTTP/1.1\r\nHost: app\r\n");
      boolean closed = false;
      // A header line every 300 ms: each is progress, but the head as a whole must come within 1 s.
      for (int i = 0; i < 30 && !closed; i++) {
        Thread.sleep(300);
        try {
          http.write("X-Slow-" + i + ": 1\r\n");
        } catch (IOException e) {
          closed = true;
        }
      }
      closed = closed || http.closedByServer();
      long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);

      assertThat(closed).isTrue();
      assertThat(millis).isBetween(900L, 5_000L);
    }
    assertThat(backend.seen).isEmpty();
    fixture.assertLogged("client timed out (110: Connection timed out) while reading client "
        + "request headers");
  }

  /**
   * A client that said its request was its last (Connection: close) sends nothing more (RFC 9112 9.6): it is closed
   * with its answer, as nginx closes it, not held for a lingering close of a few seconds while its side stays open.
   */
  @Test
  void aClientThatAskedToCloseIsClosedWithItsAnswerThoughItKeepsItsSideOpen() throws Exception {
    start("", "", "");
    try (RawHttp http = new RawHttp(fixture.front, 10_000)) {
      assertThat(http.send("GET", "/", "app", null, true).status()).isEqualTo(200);
      assertThat(http.closedByServer()).isTrue();
      // The proxy's side goes as soon as its loop has run the close; a lingering close would hold it for 5 s.
      int open = fixture.proxy.openConnections();
      for (int tries = 0; open > 0 && tries < 100; tries++) {
        Thread.sleep(20);
        open = fixture.proxy.openConnections();
      }
      assertThat(open).isZero();
    }
  }

  @Test
  void aConnectionThatNeverSendsIsClosedAfterClientHeaderTimeout() throws Exception {
    start("", "", "client_header_timeout 1s;");
    try (RawHttp http = new RawHttp(fixture.front, 10_000)) {
      assertThat(http.closedByServer()).isTrue();
    }
  }

  @Test
  void anIdleKeepAliveConnectionIsClosedAfterKeepaliveTimeout() throws Exception {
    start("", "", "keepalive_timeout 1s;");
    try (RawHttp http = new RawHttp(fixture.front, 10_000)) {
      assertThat(http.send("GET", "/", "app", null, false).status()).isEqualTo(200);
      long started = System.nanoTime();
      assertThat(http.closedByServer()).isTrue();
      assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started)).isBetween(900L, 5_000L);
    }
  }

  @Test
  void aBodyThatStopsComingIsClosedAfterClientBodyTimeout() throws Exception {
    start("", "", "client_body_timeout 1s;");
    try (RawHttp http = new RawHttp(fixture.front, 10_000)) {
      http.write("POST / HTTP/1.1\r\nHost: app\r\nContent-Length: 100\r\n\r\nonly part of it");
      assertThat(http.closedByServer()).isTrue();
    }
    fixture.assertLogged("client timed out (110: Connection timed out) while reading client "
        + "request body");
  }

  @Test
  void theAdminPortAnswersWhileTheTrafficPortIsFull() throws Exception {
    start("worker_processes 1;", "worker_connections 32;", "");
    // Three times the traffic port's limit, each sending half a request head and then nothing.
    for (int i = 0; i < 96; i++) {
      Socket socket = new Socket("127.0.0.1", fixture.front);
      socket.getOutputStream().write("GET / HTTP/1.1\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      sockets.add(socket);
    }
    RawHttp.Response list = RawHttp.request(fixture.admin, "GET", "/list", "127.0.0.1", null);

    assertThat(list.status()).isEqualTo(200);
    assertThat(list.body()).contains("app");
    fixture.assertLogged("32 worker_connections are not enough");
  }

  @Test
  void trafficIsServedAgainOnceTheSlowClientsAreTimedOut() throws Exception {
    start("worker_processes 1;", "worker_connections 32;", "client_header_timeout 1s;");
    for (int i = 0; i < 64; i++) {
      Socket socket = new Socket("127.0.0.1", fixture.front);
      socket.getOutputStream().write("GET / HTTP/1.1\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      sockets.add(socket);
    }

    // Each slow client's second is counted from when the proxy accepted it, later for the last ones on a loaded
    // machine: until they are all closed, a new connection may still be closed at once for want of room.
    assertThat(servedWithin(10)).isEqualTo(200);
  }

  /** The status of the first request the traffic port serves within {@code seconds}; -1 if none was. */
  private int servedWithin(int seconds) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (System.nanoTime() < deadline) {
      try {
        return RawHttp.request(fixture.front, "GET", "/", "app", null).status();
      } catch (IOException e) {
        Thread.sleep(100);
      }
    }
    return -1;
  }
}
