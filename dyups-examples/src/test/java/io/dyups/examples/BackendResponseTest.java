package io.dyups.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a client sees of a backend's answer, as nginx gives it (ngx_http_upstream_process_non_buffered_request and
 * its timeouts): the head and each piece of the body as they come, a 504 when no head comes within
 * proxy_read_timeout, a 502 for garbage, and a closed connection — nothing invented, nothing of the next answer
 * mixed in — when the backend goes away or goes silent part way through.
 */
class BackendResponseTest {
  @TempDir Path prefix;
  private ProxyFixture fixture;
  private ScriptedBackend backend;

  private void start(ScriptedBackend.Script script) throws IOException {
    fixture = ProxyFixture.start(prefix, "", "proxy_read_timeout 1s; proxy_next_upstream off;", "", "");
    backend = new ScriptedBackend(script);
    fixture.upstream("app", "server 127.0.0.1:" + backend.port() + ";");
  }

  @AfterEach
  void stop() throws IOException {
    if (fixture != null) {
      fixture.close();
    }
    if (backend != null) {
      backend.close();
    }
  }

  @Test
  void theHeadAndTheFirstBytesReachTheClientBeforeTheBackendFinishes() throws Exception {
    CountDownLatch clientHasFirstPart = new CountDownLatch(1);
    start((socket, in, out) -> {
      backend.readRequest(in);
      ScriptedBackend.write(out, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello");
      // The rest only once the client has the first part: a proxy that held the answer back would wait forever.
      if (clientHasFirstPart.await(10, TimeUnit.SECONDS)) {
        ScriptedBackend.write(out, "world");
      }
    });
    try (RawHttp http = new RawHttp(fixture.front, 5_000)) {
      http.write("GET / HTTP/1.1\r\nHost: app\r\n\r\n");
      RawHttp.Response head = http.readHead();
      assertThat(head.status()).isEqualTo(200);
      assertThat(head.headers()).containsEntry("content-length", "10");
      assertThat(http.readBytes(5)).isEqualTo("hello");
      clientHasFirstPart.countDown();
      assertThat(http.readBytes(5)).isEqualTo("world");
    }
  }

  @Test
  void theHeadersTheBackendsConnectionHeaderNamesStopAtTheProxyAndItsOwnServerDateAndConnectionAreWritten()
      throws Exception {
    start((socket, in, out) -> {
      backend.readRequest(in);
      ScriptedBackend.write(out, "HTTP/1.1 200 OK\r\nServer: backend\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\n"
          + "Connection: keep-alive, X-Hop\r\nConnection: close\r\nX-Hop: 1\r\nX-Kept: 2\r\nKeep-Alive: timeout=5\r\n"
          + "Content-Length: 2\r\n\r\nok");
    });
    try (RawHttp http = new RawHttp(fixture.front, 5_000)) {
      http.write("GET / HTTP/1.1\r\nHost: app\r\n\r\n");
      RawHttp.Response head = http.readHead();
      assertThat(head.status()).isEqualTo(200);
      assertThat(head.headers()).containsEntry("x-kept", "2").containsEntry("server", "dyups")
          .containsEntry("connection", "keep-alive").doesNotContainKeys("x-hop", "keep-alive");
      assertThat(head.headers().get("date")).isNotEqualTo("Thu, 01 Jan 1970 00:00:00 GMT");
      assertThat(http.readBytes(2)).isEqualTo("ok");
    }
  }

  @Test
  void aChunkedAnswerIsPassedOnChunkByChunk() throws Exception {
    CountDownLatch clientHasFirstChunk = new CountDownLatch(1);
    start((socket, in, out) -> {
      backend.readRequest(in);
      ScriptedBackend.write(out, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
      if (clientHasFirstChunk.await(10, TimeUnit.SECONDS)) {
        ScriptedBackend.write(out, "5\r\nworld\r\n0\r\n\r\n");
      }
    });
    try (RawHttp http = new RawHttp(fixture.front, 5_000)) {
      http.write("GET / HTTP/1.1\r\nHost: app\r\n\r\n");
      assertThat(http.readHead().headers()).containsEntry("transfer-encoding", "chunked");
      assertThat(http.readBytes(10)).isEqualTo("5\r\nhello\r\n");
      clientHasFirstChunk.countDown();
      assertThat(http.readBytes(15)).isEqualTo("5\r\nworld\r\n0\r\n\r\n");
    }
  }

  @Test
  void aBackendThatClosesMidBodyClosesTheClientConnectionAndTheNextRequestIsNotAnswered() throws Exception {
    start((socket, in, out) -> {
      backend.readRequest(in);
      ScriptedBackend.write(out, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789");
    });
    try (RawHttp http = new RawHttp(fixture.front, 5_000)) {
      http.write("GET /1 HTTP/1.1\r\nHost: app\r\n\r\nGET /2 HTTP/1.1\r\nHost: app\r\n\r\n");
      RawHttp.Response head = http.readHead();
      assertThat(head.status()).isEqualTo(200);
      assertThat(http.readToEnd()).isEqualTo("0123456789");
    }
    assertThat(backend.requests).containsExactly("GET /1 HTTP/1.0");
    fixture.assertLogged("upstream prematurely closed connection while reading upstream");
  }

  @Test
  void aBackendThatClosesMidChunkedBodyGetsNoLastChunkInvented() throws Exception {
    start((socket, in, out) -> {
      backend.readRequest(in);
      ScriptedBackend.write(out, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
    });
    try (RawHttp http = new RawHttp(fixture.front, 5_000)) {
      http.write("GET / HTTP/1.1\r\nHost: app\r\n\r\n");
      http.readHead();
      // The client must be able to tell the answer is cut short: no terminating zero-size chunk.
      assertThat(http.readToEnd()).isEqualTo("5\r\nhello\r\n");
    }
  }

  @Test
  void aBackendThatClosesBeforeAnyAnswerIs502() throws Exception {
    start((socket, in, out) -> backend.readRequest(in));
    try (RawHttp http = new RawHttp(fixture.front, 5_000)) {
      http.write("GET / HTTP/1.1\r\nHost: app\r\n\r\n");
      assertThat(http.read(false).status()).isEqualTo(502);
    }
    fixture.assertLogged("upstream prematurely closed connection while reading response header from upstream");
  }

  @Test
  void aBackendThatNeverAnswersIs504AfterProxyReadTimeout() throws Exception {
    CountDownLatch released = new CountDownLatch(1);
    start((socket, in, out) -> {
      backend.readRequest(in);
      released.await(20, TimeUnit.SECONDS);
    });
    try (RawHttp http = new RawHttp(fixture.front, 10_000)) {
      long started = System.nanoTime();
      http.write("GET / HTTP/1.1\r\nHost: app\r\n\r\n");
      RawHttp.Response response = http.read(false);
      long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);

      assertThat(response.status()).isEqualTo(504);
      assertThat(millis).as("proxy_read_timeout 1s").isGreaterThanOrEqualTo(900);
    } finally {
      released.countDown();
    }
    fixture.assertLogged("upstream timed out (110: Connection timed out) while reading response header from upstream");
  }

  @Test
  void aBackendThatGoesSilentMidBodyIsCutAfterProxyReadTimeout() throws Exception {
    CountDownLatch released = new CountDownLatch(1);
    start((socket, in, out) -> {
      backend.readRequest(in);
      ScriptedBackend.write(out, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc");
      released.await(20, TimeUnit.SECONDS);
    });
    try (RawHttp http = new RawHttp(fixture.front, 10_000)) {
      http.write("GET / HTTP/1.1\r\nHost: app\r\n\r\n");
      http.readHead();
      assertThat(http.readToEnd()).isEqualTo("abc");
    } finally {
      released.countDown();
    }
    fixture.assertLogged("upstream timed out (110: Connection timed out) while reading upstream");
  }

  @Test
  void aBackendThatTricklesWithinProxyReadTimeoutIsServedWhole() throws Exception {
    start((socket, in, out) -> {
      backend.readRequest(in);
      ScriptedBackend.write(out, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n");
      // Five bytes over 2 s, each well within the 1 s proxy_read_timeout of the one before.
      for (char c : "abcde".toCharArray()) {
        Thread.sleep(400);
        ScriptedBackend.write(out, String.valueOf(c));
      }
    });
    try (RawHttp http = new RawHttp(fixture.front, 10_000)) {
      http.write("GET / HTTP/1.1\r\nHost: app\r\nConnection: close\r\n\r\n");
      RawHttp.Response response = http.read(false);
      assertThat(response.status()).isEqualTo(200);
      assertThat(response.body()).isEqualTo("abcde");
    }
  }

  @Test
  void aBackendThatAnswersGarbageIs502() throws Exception {
    start((socket, in, out) -> {
      backend.readRequest(in);
      ScriptedBackend.write(out, "garbage garbage\r\n\r\n");
    });
    try (RawHttp http = new RawHttp(fixture.front, 5_000)) {
      http.write("GET / HTTP/1.1\r\nHost: app\r\n\r\n");
      assertThat(http.read(false).status()).isEqualTo(502);
    }
  }
}
