package io.dyups.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.dyups.core.UpstreamRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Listings past {@link AdminHandler#STREAM_SERVERS} servers are streamed: written from the registry's snapshot as
 * the client takes them, chunked to HTTP/1.1 clients and up to the close to HTTP/1.0 ones, the same bytes as the
 * listing made whole.
 */
class AdminStreamingTest {
  private UpstreamRegistry registry;
  private AdminServer server;

  @AfterEach
  void stop() {
    if (server != null) {
      server.stop();
    }
    if (registry != null) {
      registry.close();
    }
  }

  /** {@code upstreams} upstreams of {@code servers} servers each. */
  private void fill(int upstreams, int servers) {
    registry = UpstreamRegistry.builder().build();
    for (int u = 0; u < upstreams; u++) {
      StringBuilder commands = new StringBuilder();
      for (int s = 0; s < servers; s++) {
        commands.append("server 10.").append(u).append('.').append(s >> 8).append('.').append(s & 0xff)
            .append(":8080 weight=2 max_fails=3;");
      }
      assertThat(registry.updateUpstream("backend" + u, commands.toString()).isSuccess()).isTrue();
    }
  }

  private byte[] whole(String target) {
    AdminResponse response = AdminHandler.of(registry)
        .handle(new AdminRequest("GET", target, Map.of(), InputStream.nullInputStream(), 0));
    assertThat(response.isStreamed()).as("streamed").isTrue();
    return response.body();
  }

  @ParameterizedTest
  @ValueSource(strings = {"/detail", "/detail?format=json", "/api/9/http/upstreams",
      "/api/9/http/upstreams?fields=zone"})
  void aLargeListingIsSentChunkedAndReadsAsTheListingMadeWhole(String target) throws Exception {
    fill(40, 150);
    server = AdminServer.builder(AdminHandler.of(registry)).start();

    HttpResponse<byte[]> response = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + target)).build(),
        HttpResponse.BodyHandlers.ofByteArray());

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Transfer-Encoding")).hasValue("chunked");
    assertThat(response.headers().firstValue("Content-Length")).isEmpty();
    assertThat(response.body()).isEqualTo(whole(target));
  }

  @ParameterizedTest
  @ValueSource(strings = {"/upstream/big", "/upstream/big?format=json", "/api/9/http/upstreams/big",
      "/api/9/http/upstreams/big/servers"})
  void oneUpstreamPastTheServerLimitIsStreamedWithItsETag(String target) {
    fill(0, 0);
    StringBuilder commands = new StringBuilder();
    for (int s = 0; s <= AdminHandler.STREAM_SERVERS; s++) {
      commands.append("server 10.1.").append(s >> 8).append('.').append(s & 0xff).append(":80;");
    }
    long version = registry.updateUpstream("big", commands.toString()).version();

    AdminResponse response = get(target);

    assertThat(response.isStreamed()).isTrue();
    assertThat(response.headers()).containsEntry("ETag", "\"" + version + "\"");
    assertThat(response.bodyText()).contains("10.1.16.0:80").doesNotContain("10.1.16.1:80");
  }

  /**
   * 100 000 upstreams in NGINX Plus's listing: the answer goes out in pieces no larger than the JSON writer's
   * buffer, the first of them before a megabyte was allocated (the listing is about 40 MB: made whole, it would
   * have been allocated twice over before the first byte left), and it reads byte for byte as each upstream's own
   * answer, which is small and so made whole, put together.
   */
  @Test
  void thePlusApiListingOf100000UpstreamsGoesOutInSmallPiecesAsItIsMade() throws IOException {
    int count = 100_000;
    fill(0, 0);
    for (int u = 0; u < count; u++) {
      registry.updateUpstream("u" + u, "server 10." + (u >> 16) + '.' + ((u >> 8) & 0xff) + '.' + (u & 0xff)
          + ":8080 weight=2 max_fails=3;");
    }
    AdminResponse response = get("/api/9/http/upstreams");
    assertThat(response.isStreamed()).isTrue();

    PieceCounter out = new PieceCounter();
    response.writeBody(out);

    assertThat(out.bytes.size()).as("bytes in all").isGreaterThan(count * 200);
    assertThat(out.pieces).as("pieces").isGreaterThan(1000);
    assertThat(out.largest).as("the largest piece").isLessThanOrEqualTo(64 * 1024);
    assertThat(out.allocatedBeforeFirst).as("bytes allocated before the first piece").isLessThan(1 << 20);

    ByteArrayOutputStream pieced = new ByteArrayOutputStream();
    pieced.write('{');
    for (int u = 0; u < count; u++) {
      if (u > 0) {
        pieced.write(',');
      }
      pieced.write(("\"u" + u + "\":").getBytes(StandardCharsets.UTF_8));
      AdminResponse one = get("/api/9/http/upstreams/u" + u);
      assertThat(one.isStreamed()).isFalse();
      pieced.write(one.body());
    }
    pieced.write('}');
    assertThat(out.bytes.toByteArray()).isEqualTo(pieced.toByteArray());
  }

  /**
   * Counts what a body is written in: how many pieces, the largest, and how many bytes this thread had allocated
   * (since it was made) when the first piece came.
   */
  private static final class PieceCounter extends OutputStream {
    private static final com.sun.management.ThreadMXBean THREADS =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    final ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 << 20);
    private final long allocatedAtStart = THREADS.getCurrentThreadAllocatedBytes();
    long allocatedBeforeFirst = -1;
    int pieces;
    int largest;

    @Override
    public void write(int b) {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) {
      if (pieces == 0) {
        allocatedBeforeFirst = THREADS.getCurrentThreadAllocatedBytes() - allocatedAtStart;
      }
      pieces++;
      largest = Math.max(largest, len);
      bytes.write(b, off, len);
    }
  }

  private AdminResponse get(String target) {
    return AdminHandler.of(registry).handle(new AdminRequest("GET", target, Map.of(), InputStream.nullInputStream(), 0));
  }

  @Test
  void aLargeListingOfNamesIsStreamedPastTheNameLimit() {
    registry = UpstreamRegistry.builder().build();
    for (int u = 0; u <= AdminHandler.STREAM_NAMES; u++) {
      registry.updateUpstream("u" + u, "server 10.0.0.1:80;");
    }
    assertThat(new String(whole("/list"), StandardCharsets.UTF_8)).startsWith("u0\nu1\n")
        .endsWith("\nu" + AdminHandler.STREAM_NAMES + "\n");
  }

  @Test
  void aSmallListingKeepsItsContentLength() throws Exception {
    fill(2, 3);
    server = AdminServer.builder(AdminHandler.of(registry)).start();

    HttpResponse<String> response = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/detail")).build(),
        HttpResponse.BodyHandlers.ofString());

    assertThat(response.headers().firstValue("Content-Length"))
        .hasValue(Integer.toString(response.body().getBytes(StandardCharsets.UTF_8).length));
    assertThat(response.headers().firstValue("Transfer-Encoding")).isEmpty();
  }

  @Test
  void anHttp10ClientGetsTheStreamedListingUpToTheClose() throws Exception {
    fill(40, 150);
    server = AdminServer.builder(AdminHandler.of(registry)).start();

    byte[] answer;
    try (Socket socket = new Socket("127.0.0.1", server.port())) {
      socket.getOutputStream().write("GET /detail?format=json HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      answer = socket.getInputStream().readAllBytes();
    }

    int end = indexOf(answer, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    String head = new String(answer, 0, end, StandardCharsets.ISO_8859_1);
    assertThat(head).startsWith("HTTP/1.1 200 ").contains("Connection: close")
        .doesNotContain("Content-Length").doesNotContain("Transfer-Encoding");
    assertThat(Arrays.copyOfRange(answer, end + 4, answer.length)).isEqualTo(whole("/detail?format=json"));
  }

  @Test
  void aClientThatStopsReadingAStreamedListingIsClosedAtTheSendTimeoutAndFreesItsThread() throws Exception {
    // About 8 MB of JSON: more than the socket buffers hold, so the server has to wait for the client.
    fill(50, 500);
    server = AdminServer.builder(AdminHandler.of(registry)).threads(1).sendTimeout(Duration.ofSeconds(1)).start();
    byte[] whole = whole("/detail?format=json");

    try (Socket stalled = new Socket()) {
      stalled.setReceiveBufferSize(4096);
      stalled.connect(new InetSocketAddress("127.0.0.1", server.port()));
      stalled.getOutputStream().write("GET /detail?format=json HTTP/1.1\r\nHost: x\r\n\r\n"
          .getBytes(StandardCharsets.US_ASCII));

      // The one handler thread is writing to the stalled client; another request is answered once the send
      // timeout has closed that connection and the thread let go of it.
      HttpResponse<String> other = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/upstream/backend0"))
              .timeout(Duration.ofSeconds(30)).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(other.statusCode()).isEqualTo(200);

      ByteArrayOutputStream received = new ByteArrayOutputStream();
      try {
        stalled.getInputStream().transferTo(received);
      } catch (IOException e) {
        // Reset by the server's close: what arrived before is what counts.
      }
      assertThat(received.size()).as("the stalled client got a cut answer").isLessThan(whole.length);
    }
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
