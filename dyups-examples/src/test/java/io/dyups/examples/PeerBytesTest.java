package io.dyups.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.dyups.core.PeerStatistics;
import io.netty.handler.ssl.JdkSslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bytes the proxy reports for each peer (NGINX Plus's {@code sent} and {@code received}, counted as nginx
 * counts {@code $upstream_bytes_sent} and {@code $upstream_bytes_received}): checked against what a backend that
 * counts every byte it reads and writes saw, over plain HTTP, kept connections, TLS to the backend and HTTP/2 from
 * the client.
 */
class PeerBytesTest {
  @TempDir Path prefix;
  private ProxyServer proxy;
  private int front;
  private int h2;
  private int api;
  private CountingBackend plain;
  private CountingBackend tls;
  private CountingBackend failing;

  @AfterEach
  void stop() throws IOException {
    if (proxy != null) {
      proxy.close();
    }
    for (CountingBackend backend : new CountingBackend[] {plain, tls, failing}) {
      if (backend != null) {
        backend.close();
      }
    }
  }

  /**
   * Starts the backends and a proxy with upstreams {@code plain} and {@code localhost} (the plain backend, kept
   * connections), {@code secure} (TLS to the backend), {@code twice} (a peer answering 500, then the plain
   * backend); a front server, an HTTP/2 server (its client names host localhost) and a read-only NGINX Plus API.
   */
  private void start() throws Exception {
    plain = new CountingBackend(null, 200);
    tls = new CountingBackend(serverTls(), 200);
    failing = new CountingBackend(null, 500);
    front = ProxyScenarioTest.freePort();
    h2 = ProxyScenarioTest.freePort();
    api = ProxyScenarioTest.freePort();
    Files.createDirectories(prefix.resolve("conf"));
    Files.writeString(prefix.resolve("conf/upstream.conf"), String.join("\n",
        "upstream plain { server 127.0.0.1:" + plain.port() + "; keepalive 4; }",
        "upstream secure { server 127.0.0.1:" + tls.port() + "; keepalive 4; }",
        "upstream twice { server 127.0.0.1:" + failing.port() + "; server 127.0.0.1:" + plain.port() + "; }",
        "upstream localhost { server 127.0.0.1:" + plain.port() + "; keepalive 4; }",
        ""));
    String certificate = "ssl_certificate " + TestCertificates.file("rsa.pem") + "; ssl_certificate_key "
        + TestCertificates.file("rsa.key") + ";";
    String locations = "location / { proxy_pass http://$host; proxy_http_version 1.1;"
        + " proxy_set_header Connection \"\"; proxy_next_upstream error http_500; }"
        + " location /tls/ { proxy_pass https://secure; proxy_http_version 1.1; proxy_set_header Connection \"\"; }";
    Path config = prefix.resolve("conf/nginx.conf");
    Files.writeString(config, String.join("\n",
        "error_log logs/error.log info;",
        "events {",
        "}",
        "http {",
        "    dyups_upstream_conf upstream.conf;",
        "    server { listen 127.0.0.1:" + front + "; " + locations + " }",
        "    server { listen 127.0.0.1:" + h2 + " ssl http2; " + certificate + " " + locations + " }",
        "    server { listen 127.0.0.1:" + api + "; location /api { api; } }",
        "}",
        ""));
    proxy = ProxyServer.start(ProxyConfig.load(prefix, config));
  }

  private static SSLContext serverTls() throws Exception {
    JdkSslContext context = (JdkSslContext) SslContextBuilder
        .forServer(PemFiles.privateKey(TestCertificates.file("rsa.key")),
            PemFiles.certificates(TestCertificates.file("rsa.pem")))
        .sslProvider(SslProvider.JDK).build();
    return context.context();
  }

  /** Peer {@code index} of {@code upstream}'s statistics once it counted {@code requests} finished requests. */
  private PeerStatistics settled(String upstream, int index, long requests) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      PeerStatistics stats = proxy.registry().find(upstream).peers().asList().get(index).statistics();
      // The proxy reports a request just after writing its last bytes to the client, who may read them first.
      if ((stats.requests() >= requests && stats.active() == 0) || System.nanoTime() > deadline) {
        return stats;
      }
      Thread.sleep(5);
    }
  }

  @Test
  void sentAndReceivedAreTheBytesTheBackendReadAndWrote() throws Exception {
    start();

    RawHttp.Response response = RawHttp.request(front, "GET", "/index.html", "plain", null);

    assertThat(response.status()).isEqualTo(200);
    PeerStatistics stats = settled("plain", 0, 1);
    assertThat(stats.sent()).isEqualTo(plain.requestBytes.get(0)).isPositive();
    assertThat(stats.received()).isEqualTo(plain.responseBytes.get(0)).isGreaterThan(1000);
  }

  @Test
  void aRequestBodyCountsInSent() throws Exception {
    start();
    String body = "x".repeat(5000);

    assertThat(RawHttp.request(front, "POST", "/upload", "plain", body).status()).isEqualTo(200);

    PeerStatistics stats = settled("plain", 0, 1);
    assertThat(stats.sent()).isEqualTo(plain.requestBytes.get(0)).isGreaterThan(5000);
    assertThat(stats.received()).isEqualTo(plain.responseBytes.get(0));
  }

  @Test
  void eachRequestOnAKeptConnectionCountsItsOwnBytesOnly() throws Exception {
    start();

    try (RawHttp client = new RawHttp(front)) {
      for (int i = 0; i < 3; i++) {
        assertThat(client.send("GET", "/" + "p".repeat(100 * i), "plain", null, false).status()).isEqualTo(200);
      }
    }

    PeerStatistics stats = settled("plain", 0, 3);
    assertThat(plain.connections).hasSize(1);
    assertThat(stats.sent()).isEqualTo(sum(plain.requestBytes));
    assertThat(stats.received()).isEqualTo(sum(plain.responseBytes));
  }

  @Test
  void overTlsTheBytesInsideTheRecordsCountNotTheHandshake() throws Exception {
    start();

    for (int i = 0; i < 2; i++) {
      assertThat(RawHttp.request(front, "GET", "/tls/page", "localhost", null).status()).isEqualTo(200);
    }

    PeerStatistics stats = settled("secure", 0, 2);
    assertThat(tls.connections).hasSize(1);
    assertThat(stats.sent()).isEqualTo(sum(tls.requestBytes));
    assertThat(stats.received()).isEqualTo(sum(tls.responseBytes));
  }

  @Test
  void anHttp2ClientsRequestsCountTheHttp11BytesBetweenProxyAndBackend() throws Exception {
    start();
    HttpClient client = http2Client();

    for (int i = 0; i < 2; i++) {
      HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create("https://localhost:" + h2
          + "/h2/" + i)).timeout(Duration.ofSeconds(20)).POST(HttpRequest.BodyPublishers.ofString("b".repeat(700)))
          .build(), HttpResponse.BodyHandlers.ofString());
      assertThat(response.version()).isEqualTo(HttpClient.Version.HTTP_2);
      assertThat(response.statusCode()).isEqualTo(200);
    }

    PeerStatistics stats = settled("localhost", 0, 2);
    assertThat(plain.requestBytes).hasSize(2);
    assertThat(stats.sent()).isEqualTo(sum(plain.requestBytes)).isGreaterThan(1400);
    assertThat(stats.received()).isEqualTo(sum(plain.responseBytes));
  }

  @Test
  void aPeerPassedOverForIts500CountsTheBytesOfThatAttempt() throws Exception {
    start();

    assertThat(RawHttp.request(front, "GET", "/retried", "twice", null).status()).isEqualTo(200);

    PeerStatistics first = settled("twice", 0, 1);
    PeerStatistics second = settled("twice", 1, 1);
    assertThat(first.sent()).isEqualTo(failing.requestBytes.get(0));
    assertThat(first.received()).isEqualTo(failing.responseBytes.get(0));
    assertThat(second.sent()).isEqualTo(plain.requestBytes.get(0));
    assertThat(second.received()).isEqualTo(plain.responseBytes.get(0));
    RawHttp.Response servers = RawHttp.request(api, "GET", "/api/9/http/upstreams/twice?fields=peers", "127.0.0.1",
        null);
    assertThat(servers.body()).contains("\"sent\":" + failing.requestBytes.get(0) + ",\"received\":"
        + failing.responseBytes.get(0) + ",");
  }

  private static long sum(List<Long> counts) {
    return counts.stream().mapToLong(Long::longValue).sum();
  }

  private static HttpClient http2Client() throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("ca", PemFiles.certificates(TestCertificates.file("ca.pem")).get(0));
    TrustManagerFactory factory = TrustManagerFactory.getInstance("PKIX");
    factory.init(trust);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, factory.getTrustManagers(), null);
    return HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).sslContext(context)
        .connectTimeout(Duration.ofSeconds(10)).build();
  }

  /**
   * A backend that counts the bytes of each request it reads (head and Content-Length body) and of each answer it
   * writes: {@code status} with a 1200-byte body, the connection kept. Over TLS when given a context, counting the
   * bytes inside the records.
   */
  private static final class CountingBackend implements AutoCloseable {
    private final ServerSocket listener;
    private final int status;
    final List<Long> requestBytes = new CopyOnWriteArrayList<>();
    final List<Long> responseBytes = new CopyOnWriteArrayList<>();
    final List<Socket> connections = new CopyOnWriteArrayList<>();

    CountingBackend(SSLContext context, int status) throws IOException {
      InetAddress loopback = InetAddress.getLoopbackAddress();
      this.listener = context == null ? new ServerSocket(0, 50, loopback)
          : context.getServerSocketFactory().createServerSocket(0, 50, loopback);
      this.status = status;
      Thread thread = new Thread(this::accept, "counting-backend");
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
          connections.add(socket);
          Thread thread = new Thread(() -> serve(socket), "counting-backend-connection");
          thread.setDaemon(true);
          thread.start();
        } catch (IOException e) {
          return;
        }
      }
    }

    private void serve(Socket socket) {
      try (socket) {
        InputStream in = new BufferedInputStream(socket.getInputStream());
        OutputStream out = socket.getOutputStream();
        while (true) {
          StringBuilder head = new StringBuilder();
          int c;
          while (!endsWithBlankLine(head) && (c = in.read()) != -1) {
            head.append((char) c);
          }
          if (!endsWithBlankLine(head)) {
            return;
          }
          long length = 0;
          for (String line : head.toString().split("\r\n")) {
            if (line.regionMatches(true, 0, "content-length:", 0, 15)) {
              length = Long.parseLong(line.substring(15).trim());
            }
          }
          if (in.readNBytes((int) length).length != length) {
            return;
          }
          String body = "r".repeat(1200);
          // One write: a proxy that drops an answer after its head (a 500 passed over) has read all of it.
          byte[] answer = ("HTTP/1.1 " + status + " Counted\r\nContent-Length: " + body.length()
              + "\r\nConnection: keep-alive\r\n\r\n" + body).getBytes(StandardCharsets.US_ASCII);
          // Recorded before the answer goes: once the proxy has it, the test may read these.
          requestBytes.add(head.length() + length);
          responseBytes.add((long) answer.length);
          out.write(answer);
          out.flush();
        }
      } catch (IOException e) {
        // The proxy closed the connection.
      }
    }

    private static boolean endsWithBlankLine(StringBuilder head) {
      int n = head.length();
      return n >= 4 && head.charAt(n - 4) == '\r' && head.charAt(n - 3) == '\n' && head.charAt(n - 2) == '\r'
          && head.charAt(n - 1) == '\n';
    }

    @Override
    public void close() throws IOException {
      listener.close();
      for (Socket socket : connections) {
        socket.close();
      }
    }
  }
}
