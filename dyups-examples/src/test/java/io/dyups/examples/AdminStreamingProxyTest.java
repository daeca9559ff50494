package io.dyups.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.dyups.admin.AdminHandler;
import io.dyups.admin.AdminRequest;
import io.dyups.admin.AdminResponse;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The proxy's admin locations answer a large listing as the admin handler streams it: written while the client
 * takes it, never made whole. 17 000 upstreams, loaded from the persistence file at start: more than the handler's
 * streaming threshold (16 384 names), so each listing here is streamed; {@link AdminStreamingStallTest} holds a
 * stalled client against a listing far larger than the socket buffers.
 */
class AdminStreamingProxyTest {
  private static final int UPSTREAMS = 17_000;

  @TempDir static Path prefix;
  private static ProxyServer proxy;
  private static int admin;

  @BeforeAll
  static void start() throws IOException {
    admin = ProxyScenarioTest.freePort();
    proxy = startWith(prefix, admin, UPSTREAMS);
  }

  /** A proxy on {@code prefix} whose admin port is {@code admin}, with {@code upstreams} upstreams of one server. */
  static ProxyServer startWith(Path prefix, int admin, int upstreams) throws IOException {
    return startWith(prefix, admin, upstreams, "u", "");
  }

  /**
   * A proxy on {@code prefix} whose admin port is {@code admin}, with {@code upstreams} upstreams of one server,
   * named {@code namePrefix} and their number, each with {@code directives} before its server.
   */
  static ProxyServer startWith(Path prefix, int admin, int upstreams, String namePrefix, String directives)
      throws IOException {
    Files.createDirectories(prefix.resolve("conf"));
    try (BufferedWriter out = Files.newBufferedWriter(prefix.resolve("conf/upstream.conf"))) {
      for (int u = 0; u < upstreams; u++) {
        out.write("upstream " + namePrefix + u + " { " + directives + "server 10." + (u >> 16) + '.'
            + ((u >> 8) & 0xff) + '.' + (u & 0xff) + ":8080 weight=2; }\n");
      }
    }
    Files.writeString(prefix.resolve("conf/nginx.conf"), String.join("\n",
        "error_log logs/error.log info;",
        "events {}",
        "http {",
        "    dyups_upstream_conf upstream.conf;",
        "    server {",
        "        listen 127.0.0.1:" + admin + ";",
        "        location / { dyups_interface; }",
        "        location /api { api; }",
        "    }",
        "}",
        ""));
    ProxyServer started = ProxyServer.start(ProxyConfig.load(prefix, prefix.resolve("conf/nginx.conf")));
    assertThat(started.registry().list()).hasSize(upstreams);
    return started;
  }

  @AfterAll
  static void stop() {
    if (proxy != null) {
      proxy.close();
    }
  }

  /** What the admin handler itself answers to {@code target}: the bytes the proxy must send. */
  private static byte[] handlerAnswer(String target) {
    return handlerAnswer(proxy, target);
  }

  static byte[] handlerAnswer(ProxyServer proxy, String target) {
    AdminResponse response = AdminHandler.of(proxy.registry())
        .handle(new AdminRequest("GET", target, Map.of(), InputStream.nullInputStream(), 0));
    assertThat(response.isStreamed()).as("streamed by the handler").isTrue();
    return response.body();
  }

  @ParameterizedTest
  @ValueSource(strings = {"/detail?format=json", "/detail", "/list", "/api/9/http/upstreams"})
  void aLargeListingIsSentChunkedWithTheHandlersBytes(String target) throws Exception {
    HttpResponse<byte[]> response = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin + target)).build(),
        HttpResponse.BodyHandlers.ofByteArray());

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Transfer-Encoding")).hasValue("chunked");
    assertThat(response.headers().firstValue("Content-Length")).isEmpty();
    assertThat(response.body()).isEqualTo(handlerAnswer(target));
  }

  @Test
  void anHttp10ClientGetsTheListingUpToTheClose() throws Exception {
    byte[] answer;
    try (Socket socket = new Socket("127.0.0.1", admin)) {
      socket.getOutputStream().write("GET /api/9/http/upstreams HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      answer = socket.getInputStream().readAllBytes();
    }

    int end = indexOf(answer, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    String head = new String(answer, 0, end, StandardCharsets.ISO_8859_1);
    assertThat(head).startsWith("HTTP/1.1 200 ").containsIgnoringCase("Connection: close")
        .doesNotContainIgnoringCase("Content-Length").doesNotContainIgnoringCase("Transfer-Encoding");
    assertThat(Arrays.copyOfRange(answer, end + 4, answer.length)).isEqualTo(handlerAnswer("/api/9/http/upstreams"));
  }

  private static int indexOf(byte[] bytes, byte[] part) {
    for (int i = 0; i + part.length <= bytes.length; i++) {
      if (Arrays.equals(bytes, i, i + part.length, part, 0, part.length)) {
        return i;
      }
    }
    return -1;
  }
}
