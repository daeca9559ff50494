package io.dyups.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dyups.parser.ConfigSyntaxException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code listen ... ssl http2}: HTTP/2 chosen by ALPN, each stream proxied as a request of its own, the admin
 * interface over HTTP/2 too, and HTTP/1.1 still served on the same socket to clients that ask for it. The client is
 * the JDK's HttpClient, which speaks HTTP/2 over TLS only when the server's ALPN offers {@code h2}.
 */
class Http2Test {
  @TempDir Path prefix;
  private ProxyServer proxy;
  private TestBackend backend;
  private int front;

  @AfterEach
  void stop() throws Exception {
    if (proxy != null) {
      proxy.close();
    }
    if (backend != null) {
      backend.close();
    }
  }

  private void start(String listenOptions) throws Exception {
    front = ProxyScenarioTest.freePort();
    backend = new TestBackend();
    Files.createDirectories(prefix.resolve("conf"));
    Files.writeString(prefix.resolve("conf/upstream.conf"),
        "upstream localhost {\n    server 127.0.0.1:" + backend.port() + ";\n}\n");
    Path config = prefix.resolve("conf/nginx.conf");
    Files.writeString(config, String.join("\n",
        "error_log logs/error.log info;",
        "events {",
        "}",
        "http {",
        "    dyups_upstream_conf upstream.conf;",
        "    log_format h2 \"$connection $request $status $https $bytes_sent\";",
        "    access_log logs/access.log h2;",
        "    server {",
        "        listen 127.0.0.1:" + front + " " + listenOptions + ";",
        "        ssl_certificate " + TestCertificates.file("rsa.pem") + ";",
        "        ssl_certificate_key " + TestCertificates.file("rsa.key") + ";",
        "        location /upstream/ {",
        "            dyups_interface;",
        "        }",
        "        location = /list {",
        "            dyups_interface;",
        "        }",
        "        location / {",
        "            proxy_pass http://$host;",
        "        }",
        "    }",
        "}",
        ""));
    proxy = ProxyServer.start(ProxyConfig.load(prefix, config));
  }

  private static HttpClient client(HttpClient.Version version) throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("ca", PemFiles.certificates(TestCertificates.file("ca.pem")).get(0));
    TrustManagerFactory factory = TrustManagerFactory.getInstance("PKIX");
    factory.init(trust);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, factory.getTrustManagers(), null);
    return HttpClient.newBuilder().version(version).sslContext(context).connectTimeout(Duration.ofSeconds(10))
        .build();
  }

  private HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(URI.create("https://localhost:" + front + path)).timeout(Duration.ofSeconds(20));
  }

  /** The access log's lines, once {@code count} are written (the log is flushed by its own thread). */
  private List<String> accessLog(int count) throws Exception {
    Path log = prefix.resolve("logs/access.log");
    long deadline = System.nanoTime() + 10_000_000_000L;
    List<String> lines = Files.exists(log) ? Files.readAllLines(log) : List.of();
    while (lines.size() < count && System.nanoTime() < deadline) {
      Thread.sleep(10);
      lines = Files.exists(log) ? Files.readAllLines(log) : List.of();
    }
    return lines;
  }

  @Test
  void anHttp2ClientIsAnsweredOverHttp2AndTheRequestLineSaysSo() throws Exception {
    start("ssl http2");

    HttpResponse<String> response = client(HttpClient.Version.HTTP_2)
        .send(request("/hello").build(), HttpResponse.BodyHandlers.ofString());

    assertThat(response.version()).isEqualTo(HttpClient.Version.HTTP_2);
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).isEqualTo("backend " + backend.port() + " GET /hello HTTP/1.0 body=");
    String line = accessLog(1).get(0);
    assertThat(line).contains(" GET /hello HTTP/2.0 200 on ");
    // The answer's DATA frame (its body and frame header) and HEADERS frame were counted.
    assertThat(Long.parseLong(line.substring(line.lastIndexOf(' ') + 1)))
        .isGreaterThan(response.body().length() + 2 * 9);
  }

  @Test
  void aChunkedAnswerAndARequestBodyCrossHttp2() throws Exception {
    start("ssl http2");
    HttpClient client = client(HttpClient.Version.HTTP_2);

    HttpResponse<String> chunked = client.send(request("/chunked").build(), HttpResponse.BodyHandlers.ofString());
    HttpResponse<String> post = client.send(request("/form").POST(HttpRequest.BodyPublishers.ofString("a=1&b=2"))
        .build(), HttpResponse.BodyHandlers.ofString());

    assertThat(chunked.version()).isEqualTo(HttpClient.Version.HTTP_2);
    assertThat(chunked.body()).isEqualTo("hello" + "backend " + backend.port() + " GET /chunked HTTP/1.0 body=");
    assertThat(post.statusCode()).isEqualTo(200);
    assertThat(post.body()).endsWith("POST /form HTTP/1.0 body=a=1&b=2");
  }

  @Test
  void concurrentStreamsOfOneConnectionAreProxiedEachOnItsOwn() throws Exception {
    start("ssl http2");
    HttpClient client = client(HttpClient.Version.HTTP_2);
    // One request first, so that the connection exists and the next ones are streams on it.
    client.send(request("/first").build(), HttpResponse.BodyHandlers.ofString());

    List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      answers.add(client.sendAsync(request("/stream/" + i).build(), HttpResponse.BodyHandlers.ofString()));
    }

    for (int i = 0; i < 20; i++) {
      HttpResponse<String> answer = answers.get(i).get();
      assertThat(answer.version()).isEqualTo(HttpClient.Version.HTTP_2);
      assertThat(answer.body()).contains("GET /stream/" + i + " ");
    }
    List<String> lines = accessLog(21);
    assertThat(lines).hasSize(21);
    String connection = lines.get(0).split(" ")[0];
    assertThat(lines).allSatisfy(line -> assertThat(line).startsWith(connection + " "));
  }

  @Test
  void theAdminInterfaceAnswersOverHttp2() throws Exception {
    start("ssl http2");
    HttpClient client = client(HttpClient.Version.HTTP_2);

    HttpResponse<String> update = client.send(request("/upstream/other")
        .POST(HttpRequest.BodyPublishers.ofString("server 127.0.0.1:" + backend.port() + ";")).build(),
        HttpResponse.BodyHandlers.ofString());
    HttpResponse<String> list = client.send(request("/list").build(), HttpResponse.BodyHandlers.ofString());

    assertThat(update.version()).isEqualTo(HttpClient.Version.HTTP_2);
    assertThat(update.statusCode()).isEqualTo(200);
    assertThat(update.body()).isEqualTo("success");
    assertThat(list.body()).contains("other");
  }

  @Test
  void anHttp11ClientIsStillServedOnTheSameSocket() throws Exception {
    start("ssl http2");

    HttpResponse<String> response = client(HttpClient.Version.HTTP_1_1)
        .send(request("/old").build(), HttpResponse.BodyHandlers.ofString());

    assertThat(response.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
    assertThat(response.body()).endsWith("GET /old HTTP/1.0 body=");
    assertThat(accessLog(1)).singleElement().asString().contains(" GET /old HTTP/1.1 200 on ");
  }

  @Test
  void withoutHttp2TheListenerSpeaksHttp11Only() throws Exception {
    start("ssl");

    HttpResponse<String> response = client(HttpClient.Version.HTTP_2)
        .send(request("/plain").build(), HttpResponse.BodyHandlers.ofString());

    assertThat(response.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
    assertThat(response.statusCode()).isEqualTo(200);
  }

  @Test
  void http2WithoutSslStopsStartUp() {
    assertThatThrownBy(() -> start("http2"))
        .isInstanceOf(ConfigSyntaxException.class)
        .hasMessageContaining("\"http2\" without \"ssl\" (h2c) is not supported by the example proxy");
  }
}
