package io.dyups.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bytes a backend receives, written by the proxy without an encoder ({@link BackendRequest}): the request line
 * and headers as nginx's ngx_http_proxy_create_request orders them (proxy_set_header's, then the client's that
 * pass), the body's framing, and a HEAD whose answer has a length but no body leaving the kept connection usable.
 */
class BackendRequestTest {
  @TempDir Path prefix;
  private ProxyFixture fixture;
  private ScriptedBackend backend;
  private final LinkedBlockingQueue<String> received = new LinkedBlockingQueue<>();

  @AfterEach
  void stop() throws IOException {
    if (fixture != null) {
      fixture.close();
    }
    if (backend != null) {
      backend.close();
    }
  }

  private void start(String locationDirectives, ScriptedBackend.Script script) throws IOException {
    fixture = ProxyFixture.start(prefix, "", "proxy_next_upstream off;", "", locationDirectives);
    backend = new ScriptedBackend(script);
    fixture.upstream("app", "server 127.0.0.1:" + backend.port() + ";keepalive 4;");
  }

  /** Reads {@code in} up to and including {@code end}, as text; what was read so far when the stream ends. */
  private static String readThrough(InputStream in, String end) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) != -1) {
      bytes.write(c);
      if (bytes.toString(StandardCharsets.ISO_8859_1).endsWith(end)) {
        break;
      }
    }
    return bytes.toString(StandardCharsets.ISO_8859_1);
  }

  @Test
  void theHeadCarriesTheSetHeadersThenTheClientsOnesThatPassAndTheConnectionStaysInThePool() throws Exception {
    start("proxy_http_version 1.1; proxy_set_header Connection \"\"; proxy_set_header X-Real-IP $remote_addr;",
        (socket, in, out) -> {
          for (int i = 0; i < 2; i++) {
            received.add(readThrough(in, "\r\n\r\n"));
            ScriptedBackend.write(out, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
          }
        });
    try (RawHttp http = new RawHttp(fixture.front, 5_000)) {
      for (int i = 0; i < 2; i++) {
        RawHttp.Response response = http.send("GET", "/a/b?x=1", "app", null, false);
        assertThat(response.body()).isEqualTo("ok");
      }
    }
    String head = received.poll(10, TimeUnit.SECONDS);
    assertThat(head).isEqualTo("GET /a/b?x=1 HTTP/1.1\r\nX-Real-IP: 127.0.0.1\r\nHost: app\r\n\r\n");
    assertThat(received.poll(10, TimeUnit.SECONDS)).isEqualTo(head);
    assertThat(backend.connections.get()).isEqualTo(1);
  }

  @Test
  void aChunkedBodyGoesToAnHttp11BackendInChunksEndedByTheLastChunk() throws Exception {
    start("proxy_http_version 1.1; proxy_set_header Connection \"\";", (socket, in, out) -> {
      received.add(readThrough(in, "\r\n0\r\n\r\n"));
      ScriptedBackend.write(out, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    });
    try (RawHttp http = new RawHttp(fixture.front, 5_000)) {
      http.write("POST /up HTTP/1.1\r\nHost: app\r\nTransfer-Encoding: chunked\r\n\r\n"
          + "5\r\nhello\r\n10\r\n0123456789abcdef\r\n0\r\nX-Trailer: t\r\n\r\n");
      assertThat(http.read(false).body()).isEqualTo("ok");
    }
    String request = received.poll(10, TimeUnit.SECONDS);
    assertThat(request).startsWith("POST /up HTTP/1.1\r\nHost: app\r\nTransfer-Encoding: chunked\r\n\r\n");
    // However the client's chunks were cut on the way, their bytes arrive in order, each chunk framed by its size.
    assertThat(dechunk(request.substring(request.indexOf("\r\n\r\n") + 4))).isEqualTo("hello0123456789abcdef");
  }

  @Test
  void aBodyWithALengthGoesAsItCameWithItsLength() throws Exception {
    start("proxy_http_version 1.1; proxy_set_header Connection \"\";", (socket, in, out) -> {
      received.add(readThrough(in, "hello"));
      ScriptedBackend.write(out, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    });
    try (RawHttp http = new RawHttp(fixture.front, 5_000)) {
      assertThat(http.send("PUT", "/up", "app", "hello", false).body()).isEqualTo("ok");
    }
    assertThat(received.poll(10, TimeUnit.SECONDS))
        .isEqualTo("PUT /up HTTP/1.1\r\nHost: app\r\nContent-Length: 5\r\n\r\nhello");
  }

  @Test
  void theAnswerToAHeadHasNoBodyDespiteItsLengthAndTheKeptConnectionServesTheNextRequest() throws Exception {
    start("proxy_http_version 1.1; proxy_set_header Connection \"\";", (socket, in, out) -> {
      received.add(readThrough(in, "\r\n\r\n"));
      ScriptedBackend.write(out, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n");
      received.add(readThrough(in, "\r\n\r\n"));
      ScriptedBackend.write(out, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
    });
    try (RawHttp http = new RawHttp(fixture.front, 5_000)) {
      RawHttp.Response head = http.send("HEAD", "/", "app", null, false);
      assertThat(head.status()).isEqualTo(200);
      assertThat(head.headers()).containsEntry("content-length", "5");
      assertThat(http.send("GET", "/", "app", null, false).body()).isEqualTo("hello");
    }
    assertThat(received.poll(10, TimeUnit.SECONDS)).startsWith("HEAD / HTTP/1.1\r\n");
    assertThat(received.poll(10, TimeUnit.SECONDS)).startsWith("GET / HTTP/1.1\r\n");
    assertThat(backend.connections.get()).isEqualTo(1);
  }

  /** The data of a chunked body (sizes in hexadecimal, each chunk's data then CRLF, up to the last chunk). */
  private static String dechunk(String body) {
    StringBuilder data = new StringBuilder();
    int at = 0;
    while (true) {
      int lineEnd = body.indexOf("\r\n", at);
      int size = Integer.parseInt(body.substring(at, lineEnd), 16);
      if (size == 0) {
        assertThat(body.substring(lineEnd)).isEqualTo("\r\n\r\n");
        return data.toString();
      }
      data.append(body, lineEnd + 2, lineEnd + 2 + size);
      assertThat(body.substring(lineEnd + 2 + size, lineEnd + 4 + size)).isEqualTo("\r\n");
      at = lineEnd + 4 + size;
    }
  }
}
