package io.dyups.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.dyups.admin.AdminHandler;
import io.dyups.admin.AdminRequest;
import io.dyups.admin.AdminResponse;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
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
 * takes it, never made whole. 100 000 upstreams, loaded from the persistence file at start.
 */
class AdminStreamingProxyTest {
  private static final int UPSTREAMS = 100_000;

  @TempDir static Path prefix;
  private static ProxyServer proxy;
  private static int admin;

  @BeforeAll
  static void start() throws IOException {
    admin = ProxyScenarioTest.freePort();
    Files.createDirectories(prefix.resolve("conf"));
    try (BufferedWriter out = Files.newBufferedWriter(prefix.resolve("conf/upstream.conf"))) {
      for (int u = 0; u < UPSTREAMS; u++) {
        out.write("upstream u" + u + " { server 10." + (u >> 16) + '.' + ((u >> 8) & 0xff) + '.' + (u & 0xff)
            + ":8080 weight=2; }\n");
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
    proxy = ProxyServer.start(ProxyConfig.load(prefix, prefix.resolve("conf/nginx.conf")));
    assertThat(proxy.registry().list()).hasSize(UPSTREAMS);
  }

  @AfterAll
  static void stop() {
    if (proxy != null) {
      proxy.close();
    }
  }

  /** What the admin handler itself answers to {@code target}: the bytes the proxy must send. */
  private static byte[] handlerAnswer(String target) {
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

  /**
   * A client that reads the head and stops: the proxy writes until the connection's buffers are full and then
   * waits, having allocated less than the listing's size (made whole, the listing would be allocated at least
   * twice, the growing buffer and its copy, before its first byte left; streamed, about what the socket buffers
   * took). Then the client goes, and the writer lets go.
   */
  @Test
  void aClientThatStopsReadingHoldsTheWriterNotTheWholeListing() throws Exception {
    int size = handlerAnswer("/detail?format=json").length;
    long before = allocatedByAllThreads();
    try (Socket stalled = new Socket()) {
      stalled.setReceiveBufferSize(4096);
      stalled.connect(new InetSocketAddress("127.0.0.1", admin));
      stalled.getOutputStream().write("GET /detail?format=json HTTP/1.1\r\nHost: x\r\n\r\n"
          .getBytes(StandardCharsets.US_ASCII));
      byte[] first = stalled.getInputStream().readNBytes(1024);
      assertThat(new String(first, StandardCharsets.ISO_8859_1)).startsWith("HTTP/1.1 200 ")
          .containsIgnoringCase("Transfer-Encoding: chunked");

      awaitWriterWaiting();
      long allocated = allocatedByAllThreads() - before;
      System.out.println("listing " + size + " bytes; allocated by the proxy (all threads) while the client stalled: "
          + allocated + " bytes");
      assertThat(allocated).as("bytes allocated, against a listing of %d bytes", size).isLessThan(size);
    }
    awaitNoWriterWaiting();
  }

  /** Waits until an admin stream thread waits for its client to take what it wrote. */
  private static void awaitWriterWaiting() throws InterruptedException {
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (!writerWaiting()) {
      assertThat(System.nanoTime()).as("an admin stream waiting for its client").isLessThan(deadline);
      Thread.sleep(10);
    }
  }

  private static void awaitNoWriterWaiting() throws InterruptedException {
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (writerWaiting()) {
      assertThat(System.nanoTime()).as("the admin stream let go of its client").isLessThan(deadline);
      Thread.sleep(10);
    }
  }

  private static boolean writerWaiting() {
    for (Map.Entry<Thread, StackTraceElement[]> thread : Thread.getAllStackTraces().entrySet()) {
      if (thread.getKey().getName().startsWith("dyups-admin-stream-")
          && Arrays.stream(thread.getValue()).anyMatch(frame -> frame.getClassName().equals(
              AdminBodyStream.class.getName()) && frame.getMethodName().equals("send"))
          && thread.getKey().getState() == Thread.State.TIMED_WAITING) {
        return true;
      }
    }
    return false;
  }

  /** Bytes allocated so far by the threads alive now (HotSpot counts them per thread). */
  private static long allocatedByAllThreads() {
    com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long total = 0;
    for (long bytes : threads.getThreadAllocatedBytes(threads.getAllThreadIds())) {
      total += Math.max(0, bytes);
    }
    return total;
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
