package io.dyups.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.dyups.core.Peer;
import io.dyups.core.StoredUpstream;
import io.dyups.core.UpstreamFile;
import io.dyups.parser.NginxConfig;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The example proxy on the shipped default configuration (a copy with free ports), driven over real sockets on
 * 127.0.0.1: the seed's curl session, failover, 502s, pass-through and keep-alive.
 */
class ProxyScenarioTest {
  @TempDir Path prefix;
  private ProxyServer proxy;
  private int front;
  private int admin;
  private int echo8088;
  private int echo8089;
  private final List<TestBackend> backends = new ArrayList<>();

  /** A port for a listener the configuration names before the proxy binds it: see {@link FreePorts}. */
  static int freePort() throws IOException {
    return FreePorts.next();
  }

  /** Copies the shipped config into {@code prefix} with the seed's ports replaced by free ones. */
  static void copyDefaultConfig(Path prefix, int front, int admin, int echo8088, int echo8089) throws IOException {
    Files.createDirectories(prefix.resolve("conf/conf"));
    String nginx = Files.readString(Path.of("conf/nginx.conf"))
        .replace("listen 8080;", "listen 127.0.0.1:" + front + ";")
        .replace("listen 8081;", "listen 127.0.0.1:" + admin + ";")
        .replace("listen 8088;", "listen 127.0.0.1:" + echo8088 + ";")
        .replace("listen 8089;", "listen 127.0.0.1:" + echo8089 + ";");
    Files.writeString(prefix.resolve("conf/nginx.conf"), nginx);
    String upstreams = Files.readString(Path.of("conf/conf/upstream.conf"))
        .replace("127.0.0.1:8088", "127.0.0.1:" + echo8088)
        .replace("127.0.0.1:8089", "127.0.0.1:" + echo8089);
    Files.writeString(prefix.resolve("conf/conf/upstream.conf"), upstreams);
  }

  /** Adds directives at the top of the copied configuration's http block. */
  static void addHttpDirectives(Path prefix, String directives) throws IOException {
    Path config = prefix.resolve("conf/nginx.conf");
    Files.writeString(config, Files.readString(config).replaceFirst("http \\{\n",
        java.util.regex.Matcher.quoteReplacement("http {\n    " + directives + "\n")));
  }

  @BeforeEach
  void start() throws IOException {
    front = freePort();
    admin = freePort();
    echo8088 = freePort();
    echo8089 = freePort();
    copyDefaultConfig(prefix, front, admin, echo8088, echo8089);
    addHttpDirectives(prefix, "proxy_connect_timeout 2s; proxy_read_timeout 5s;");
    proxy = ProxyServer.start(ProxyConfig.load(prefix, prefix.resolve("conf/nginx.conf")));
  }

  /** Restarts the proxy on the shipped configuration with {@code directives} (only) added to its http block. */
  private void restart(String directives) throws IOException {
    proxy.close();
    Path upstreams = prefix.resolve("conf/conf/upstream.conf");
    String persisted = Files.readString(upstreams);
    copyDefaultConfig(prefix, front, admin, echo8088, echo8089);
    Files.writeString(upstreams, persisted);
    addHttpDirectives(prefix, directives);
    proxy = ProxyServer.start(ProxyConfig.load(prefix, prefix.resolve("conf/nginx.conf")));
  }

  @AfterEach
  void stop() throws IOException {
    proxy.close();
    for (TestBackend backend : backends) {
      backend.close();
    }
  }

  private RawHttp.Response get(String host) throws IOException {
    return RawHttp.request(front, "GET", "/", host, null);
  }

  private RawHttp.Response adminCall(String method, String path, String body) throws IOException {
    return RawHttp.request(admin, method, path, "127.0.0.1", body);
  }

  private TestBackend backend() throws IOException {
    TestBackend backend = new TestBackend();
    backends.add(backend);
    return backend;
  }

  @Test
  void shippedConfigIsTheSeedsUnchanged() throws Exception {
    Path seed = Path.of(getClass().getResource("/seed/nginx.conf").toURI());
    Path seedUpstreams = Path.of(getClass().getResource("/seed/upstream.conf").toURI());

    assertThat(NginxConfig.write(NginxConfig.parse(Files.readString(Path.of("conf/nginx.conf")), "a").directives()))
        .isEqualTo(NginxConfig.write(NginxConfig.parse(Files.readString(seed), "b").directives()));
    assertThat(NginxConfig.load(Path.of("conf/conf/upstream.conf")).upstreams())
        .isEqualTo(NginxConfig.load(seedUpstreams).upstreams());
  }

  @Test
  void seedCurlSessionGivesTheSeedsAnswers() throws Exception {
    RawHttp.Response before = get("dyhost");
    assertThat(before.status()).isEqualTo(502);
    assertThat(before.body()).contains("<head><title>502 Bad Gateway</title></head>");

    RawHttp.Response post = adminCall("POST", "/upstream/dyhost",
        "server 127.0.0.1:" + echo8089 + ";server 127.0.0.1:" + echo8088 + ";");
    assertThat(post.status()).isEqualTo(200);
    assertThat(post.body()).isEqualTo("success");

    assertThat(get("dyhost").body()).isEqualTo("8089\n");
    assertThat(get("dyhost").body()).isEqualTo("8088\n");
    assertThat(get("dyhost").body()).isEqualTo("8089\n");
    assertThat(get("host1").body()).isEqualTo("8088\n");
    assertThat(get("HOST2:8080").body()).isEqualTo("8089\n");

    assertThat(adminCall("GET", "/detail", null).body()).isEqualTo(
        "host1\nserver 127.0.0.1:" + echo8088 + "\n\nhost2\nserver 127.0.0.1:" + echo8089 + "\n\n"
            + "dyhost\nserver 127.0.0.1:" + echo8089 + "\nserver 127.0.0.1:" + echo8088 + "\n\n");
    assertThat(UpstreamFile.read(prefix.resolve("conf/conf/upstream.conf"))).extracting(StoredUpstream::name)
        .contains("dyhost");

    RawHttp.Response delete = adminCall("DELETE", "/upstream/dyhost", null);
    assertThat(delete.status()).isEqualTo(200);
    assertThat(delete.body()).isEqualTo("success");
    assertThat(adminCall("GET", "/detail", null).body()).isEqualTo(
        "host1\nserver 127.0.0.1:" + echo8088 + "\n\nhost2\nserver 127.0.0.1:" + echo8089 + "\n\n");
    assertThat(get("dyhost").status()).isEqualTo(502);
    assertThat(Files.readString(prefix.resolve("conf/conf/upstream.conf"))).doesNotContain("dyhost");
  }

  @Test
  void aHostNameIsServedAtTheAddressesTheRegistryResolvedAndAnUnknownOneRefused() throws Exception {
    RawHttp.Response post = adminCall("POST", "/upstream/named", "server localhost:" + echo8089 + ";");
    assertThat(post.status()).isEqualTo(200);

    assertThat(get("named").body()).isEqualTo("8089\n");
    assertThat(proxy.registry().find("named").peers().asList())
        .allSatisfy(peer -> assertThat(peer.socketAddress()).isInstanceOfSatisfying(java.net.InetSocketAddress.class,
            address -> assertThat(address.isUnresolved()).isFalse()));
    RawHttp.Response refused = adminCall("POST", "/upstream/named", "server nothing.invalid:" + echo8088 + ";");
    assertThat(refused.status()).isEqualTo(400);
    assertThat(refused.body()).isEqualTo("host not found in upstream \"nothing.invalid:" + echo8088 + "\"");
  }

  @Test
  void theHttpBlocksResolverServesUpstreamsWithResolve() throws Exception {
    String upstream = "zone z 64k; server localhost:" + echo8089 + " resolve;";
    RawHttp.Response refused = adminCall("POST", "/upstream/dynamic", upstream);
    assertThat(refused.status()).isEqualTo(400);
    assertThat(refused.body())
        .isEqualTo("no resolver defined to resolve names at run time in upstream \"dynamic\"");

    // A resolver that never answers: the name is accepted without peers, as nginx accepts it, and says why.
    restart("resolver 127.0.0.1:" + freePort() + " valid=30s; resolver_timeout 500ms;");
    RawHttp.Response accepted = adminCall("POST", "/upstream/dynamic", upstream);

    assertThat(accepted.status()).isEqualTo(200);
    assertThat(proxy.registry().find("dynamic").hosts()).singleElement().satisfies(host -> {
      assertThat(host.state()).isEqualTo(io.dyups.core.HostStatus.State.FAILED);
      assertThat(host.error()).isEqualTo("Operation timed out");
    });
  }

  @Test
  void restartRestoresTheDynamicUpstreamsFromThePersistedFile() throws Exception {
    adminCall("POST", "/upstream/dyhost", "server 127.0.0.1:" + echo8089 + ";");
    proxy.close();

    proxy = ProxyServer.start(ProxyConfig.load(prefix, prefix.resolve("conf/nginx.conf")));

    assertThat(get("dyhost").body()).isEqualTo("8089\n");
    assertThat(adminCall("GET", "/list", null).body()).isEqualTo("host1\nhost2\ndyhost\n");
  }

  @Test
  void aPeerThatRefusesConnectionsIsSkippedAndCounted() throws Exception {
    int closed = freePort();
    adminCall("POST", "/upstream/flaky", "server 127.0.0.1:" + closed + " max_fails=1; server 127.0.0.1:" + echo8088 + ";");

    for (int i = 0; i < 6; i++) {
      RawHttp.Response response = get("flaky");
      assertThat(response.status()).isEqualTo(200);
      assertThat(response.body()).isEqualTo("8088\n");
    }
    Peer dead = proxy.registry().find("flaky").peers().asList().get(0);
    assertThat(dead.failures()).isGreaterThanOrEqualTo(1);
    assertThat(dead.isOut()).isTrue();
    assertThat(dead.activeConnections()).isZero();
  }

  @Test
  void aPeerThatNeverAnswersTimesOutAndTheNextPeerServes() throws Exception {
    restart("proxy_read_timeout 300ms;");
    // Accepts connections (the backlog does it) and never reads or answers.
    try (ServerSocket silent = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
      adminCall("POST", "/upstream/slow",
          "server 127.0.0.1:" + silent.getLocalPort() + " max_fails=1; server 127.0.0.1:" + echo8088 + ";");

      RawHttp.Response response = get("slow");

      assertThat(response.status()).isEqualTo(200);
      assertThat(response.body()).isEqualTo("8088\n");
      Peer silentPeer = proxy.registry().find("slow").peers().asList().get(0);
      assertThat(silentPeer.failures()).isEqualTo(1);
      assertThat(silentPeer.isOut()).isTrue();
      assertThat(silentPeer.activeConnections()).isZero();
    }
  }

  @Test
  void aPeerThatFailsItsActiveHealthChecksGetsNoRequests() throws Exception {
    int closed = freePort();
    RawHttp.Response post = adminCall("POST", "/upstream/checked", "server 127.0.0.1:" + closed + ";"
        + " server 127.0.0.1:" + echo8088 + ";"
        + " check interval=20 fall=1 rise=1 timeout=1000 default_down=false type=http;"
        + " check_http_send \"GET / HTTP/1.0\\r\\n\\r\\n\";");
    assertThat(post.status()).isEqualTo(200);
    Peer dead = proxy.registry().find("checked").peers().asList().get(0);
    Peer live = proxy.registry().find("checked").peers().asList().get(1);
    // The checker runs on its own threads; the bound only keeps a broken checker from hanging the test.
    long deadline = System.nanoTime() + 20_000_000_000L;
    while (dead.isHealthy() && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertThat(dead.isHealthy()).isFalse();

    for (int i = 0; i < 6; i++) {
      RawHttp.Response response = get("checked");
      assertThat(response.status()).isEqualTo(200);
      assertThat(response.body()).isEqualTo("8088\n");
    }
    assertThat(dead.failures()).isZero();
    assertThat(live.isHealthy()).isTrue();
  }

  @Test
  void unknownUpstreamAndAllPeersDownAre502() throws Exception {
    adminCall("POST", "/upstream/dead", "server 127.0.0.1:" + freePort() + "; server 127.0.0.1:" + freePort() + ";");

    assertThat(get("nosuch").status()).isEqualTo(502);
    RawHttp.Response dead = get("dead");
    assertThat(dead.status()).isEqualTo(502);
    assertThat(dead.headers().get("content-type")).isEqualTo("text/html");
  }

  @Test
  void methodPathQueryHeadersAndBodyPassThrough() throws Exception {
    TestBackend backend = backend();
    adminCall("POST", "/upstream/app", "server 127.0.0.1:" + backend.port() + ";");

    RawHttp.Response response;
    try (RawHttp http = new RawHttp(front)) {
      http.write("PUT /a/b?x=1&y=2 HTTP/1.1\r\nHost: app\r\nX-Custom: yes\r\nConnection: close, X-Secret\r\n"
          + "X-Secret: hop\r\nContent-Length: 5\r\n\r\nhello");
      response = http.read(false);
    }

    assertThat(response.status()).isEqualTo(200);
    assertThat(response.headers()).containsEntry("x-backend", String.valueOf(backend.port()));
    TestBackend.Seen seen = backend.seen.get(0);
    // nginx's defaults: HTTP/1.0 to the backend, Connection: close, no X-Forwarded-For unless configured.
    assertThat(seen.requestLine()).isEqualTo("PUT /a/b?x=1&y=2 HTTP/1.0");
    assertThat(seen.headers()).contains("Host: app", "X-Custom: yes", "Content-Length: 5", "Connection: close")
        .noneMatch(h -> h.startsWith("X-Forwarded-For"))
        .noneMatch(h -> h.startsWith("X-Secret"));
    assertThat(seen.body()).isEqualTo("hello");
  }

  @Test
  void chunkedRequestAndResponseBodiesPassThrough() throws Exception {
    TestBackend backend = backend();
    adminCall("POST", "/upstream/app", "server 127.0.0.1:" + backend.port() + ";");

    RawHttp.Response response;
    try (RawHttp http = new RawHttp(front)) {
      http.write("POST /chunked HTTP/1.1\r\nHost: app\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
          + "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
      response = http.read(false);
    }

    assertThat(response.headers()).containsEntry("transfer-encoding", "chunked");
    // HTTP/1.0 to the backend (nginx's default) cannot carry chunks: the body goes whole, with its length.
    assertThat(response.body()).isEqualTo("hellobackend " + backend.port() + " POST /chunked HTTP/1.0 body=abcde");
    assertThat(backend.seen.get(0).headers()).contains("Content-Length: 5").noneMatch(h -> h.startsWith("Transfer"));
  }

  @Test
  void xForwardedForIsSentWhenConfigured() throws Exception {
    restart("proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;");
    TestBackend backend = backend();
    adminCall("POST", "/upstream/app", "server 127.0.0.1:" + backend.port() + ";");

    try (RawHttp http = new RawHttp(front)) {
      http.write("GET / HTTP/1.1\r\nHost: app\r\nX-Forwarded-For: 10.1.2.3\r\nConnection: close\r\n\r\n");
      assertThat(http.read(false).status()).isEqualTo(200);
    }

    assertThat(backend.seen.get(0).headers()).contains("X-Forwarded-For: 10.1.2.3, 127.0.0.1");
  }

  @Test
  void keepAliveToClientsAndBackends() throws Exception {
    restart("proxy_http_version 1.1; proxy_set_header Connection \"\";");
    TestBackend backend = backend();
    adminCall("POST", "/upstream/app", "server 127.0.0.1:" + backend.port() + "; keepalive 4;");

    try (RawHttp http = new RawHttp(front)) {
      for (int i = 0; i < 5; i++) {
        RawHttp.Response response = http.send("GET", "/n" + i, "app", null, false);
        assertThat(response.status()).isEqualTo(200);
        assertThat(response.body()).contains("GET /n" + i);
      }
    }

    assertThat(backend.seen).hasSize(5);
    assertThat(backend.connections.get()).isEqualTo(1);
  }

  @Test
  void withoutUpstreamKeepaliveEachRequestHasItsOwnBackendConnection() throws Exception {
    TestBackend backend = backend();
    adminCall("POST", "/upstream/app", "server 127.0.0.1:" + backend.port() + ";");

    try (RawHttp http = new RawHttp(front)) {
      for (int i = 0; i < 3; i++) {
        assertThat(http.send("GET", "/n" + i, "app", null, false).status()).isEqualTo(200);
      }
    }

    assertThat(backend.connections.get()).isEqualTo(3);
  }

  @Test
  void headAnswersWithoutABody() throws Exception {
    RawHttp.Response response = RawHttp.request(front, "HEAD", "/", "host1", null);

    assertThat(response.status()).isEqualTo(200);
    assertThat(response.body()).isEmpty();
  }

  @Test
  void adminInterfaceIsServedOnItsLocation() throws Exception {
    assertThat(adminCall("GET", "/list", null).body()).isEqualTo("host1\nhost2\n");
    assertThat(adminCall("POST", "/upstream/x", "server 1.2.3.4:0;").body())
        .isEqualTo("invalid port in upstream \"1.2.3.4:0\" in commands:1:8");
    assertThat(adminCall("PUT", "/upstream/x", "server 1.2.3.4;").status()).isEqualTo(405);
  }

  @Test
  void writesOneAccessLogLinePerRequest() throws Exception {
    get("host1");
    get("nosuch");
    proxy.close();

    List<String> lines = Files.readAllLines(prefix.resolve("logs/access.log"), StandardCharsets.UTF_8);
    assertThat(lines).anyMatch(l -> l.contains("\"GET / HTTP/1.1\" 502"))
        .anyMatch(l -> l.contains("\"GET / HTTP/1.1\" 200 5"));
    proxy = ProxyServer.start(ProxyConfig.load(prefix, prefix.resolve("conf/nginx.conf")));
  }
}
