package io.dyups.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dyups.parser.ConfigSyntaxException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code proxy_pass https://} to backends on the JDK's TLS server with certificates made by the test: sessions
 * resumed per peer and freed as upstream changes remove peers, proxy_next_upstream to a backup over TLS,
 * verification in nginx's words, SNI, client certificates and keep-alive over TLS.
 */
class BackendTlsTest {
  @TempDir Path prefix;
  private ProxyServer proxy;
  private int front;
  private int admin;
  private final List<TlsBackend> backends = new ArrayList<>();

  @AfterEach
  void stop() throws IOException {
    if (proxy != null) {
      proxy.close();
    }
    for (TlsBackend backend : backends) {
      backend.close();
    }
  }

  private TlsBackend backend(String name) throws Exception {
    TlsBackend backend = new TlsBackend(TestCertificates.file(name + ".pem"), TestCertificates.file(name + ".key"));
    backends.add(backend);
    return backend;
  }

  /** Writes the configuration: {@code locations} inside the traffic server, {@code http} at the top. */
  private Path config(String http, String locations) throws IOException {
    front = ProxyScenarioTest.freePort();
    admin = ProxyScenarioTest.freePort();
    Files.createDirectories(prefix.resolve("conf"));
    Files.writeString(prefix.resolve("conf/upstream.conf"), "");
    Path config = prefix.resolve("conf/nginx.conf");
    Files.writeString(config, String.join("\n",
        "error_log logs/error.log info;",
        "events {",
        "}",
        "http {",
        "    dyups_upstream_conf upstream.conf;",
        "    proxy_connect_timeout 5s;",
        "    log_format tls \"$host $upstream_addr $upstream_status $status\";",
        "    access_log logs/access.log tls;",
        "    " + http,
        "    server {",
        "        listen 127.0.0.1:" + front + ";",
        "        " + locations,
        "    }",
        "    server {",
        "        listen 127.0.0.1:" + admin + ";",
        "        location / {",
        "            dyups_interface;",
        "        }",
        "    }",
        "}",
        ""));
    return config;
  }

  private void start(String http, String locations) throws IOException {
    Path config = config(http, locations);
    proxy = ProxyServer.start(ProxyConfig.load(prefix, config));
  }

  private void startSimple(String locationDirectives) throws IOException {
    start("", "location / { proxy_pass https://$host; " + locationDirectives + " }");
  }

  private void upstream(String name, String servers) throws IOException {
    RawHttp.Response response = RawHttp.request(admin, "POST", "/upstream/" + name, "127.0.0.1", servers);
    assertThat(response.status()).as(response.body()).isEqualTo(200);
  }

  private RawHttp.Response get(String host, String path) throws IOException {
    return RawHttp.request(front, "GET", path, host, null);
  }

  private String errorLog() throws IOException {
    Path log = prefix.resolve("logs/error.log");
    return Files.exists(log) ? Files.readString(log) : "";
  }

  /** The error log once it holds {@code text} (the proxy writes it on its own thread), or as it is after 10 s. */
  private String errorLogOnceItHas(String text) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    String log = errorLog();
    while (!log.contains(text) && System.nanoTime() < deadline) {
      Thread.sleep(5);
      log = errorLog();
    }
    return log;
  }

  /** Waits until the registry's notification freed every saved session (it runs on its own thread). */
  private void awaitSessionsFreed() throws InterruptedException {
    BackendTls context = proxy.config().backendTls().get(0);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (context.savedSessions() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertThat(context.savedSessions()).isZero();
  }

  private static List<Boolean> resumed(List<TlsBackend.Handshake> handshakes) {
    return handshakes.stream().map(TlsBackend.Handshake::resumed).toList();
  }

  @Test
  void theFirstRequestToAPeerMakesAFullHandshakeAndTheNextOnesResume() throws Exception {
    TlsBackend backend = backend("rsa");
    startSimple("");
    upstream("secure", "server 127.0.0.1:" + backend.port() + ";");

    for (int i = 0; i < 3; i++) {
      RawHttp.Response response = get("secure", "/");
      assertThat(response.status()).isEqualTo(200);
      assertThat(response.body()).isEqualTo("tls backend " + backend.port() + " 200\n");
    }

    assertThat(resumed(backend.awaitHandshakes(3))).containsExactly(false, true, true);
  }

  @Test
  void proxySslSessionReuseOffMakesEveryHandshakeFull() throws Exception {
    TlsBackend backend = backend("rsa");
    startSimple("proxy_ssl_session_reuse off;");
    upstream("secure", "server 127.0.0.1:" + backend.port() + ";");

    get("secure", "/");
    get("secure", "/");

    assertThat(resumed(backend.awaitHandshakes(2))).containsExactly(false, false);
  }

  @Test
  void anUpdateThatKeepsThePeerKeepsItsSessionAndOneThatDropsItFreesIt() throws Exception {
    TlsBackend kept = backend("rsa");
    TlsBackend other = backend("ec");
    startSimple("");
    upstream("secure", "server 127.0.0.1:" + kept.port() + ";");
    get("secure", "/");

    upstream("secure", "server 127.0.0.1:" + kept.port() + "; server 127.0.0.1:" + other.port() + " backup;");
    get("secure", "/");
    assertThat(resumed(kept.awaitHandshakes(2))).containsExactly(false, true);

    upstream("secure", "server 127.0.0.1:" + other.port() + ";");
    awaitSessionsFreed();
    upstream("secure", "server 127.0.0.1:" + kept.port() + ";");
    get("secure", "/");

    assertThat(resumed(kept.awaitHandshakes(3))).containsExactly(false, true, false);
  }

  @Test
  void deletingTheUpstreamFreesItsSessions() throws Exception {
    TlsBackend backend = backend("rsa");
    startSimple("");
    upstream("secure", "server 127.0.0.1:" + backend.port() + ";");
    get("secure", "/");
    get("secure", "/");

    assertThat(RawHttp.request(admin, "DELETE", "/upstream/secure", "127.0.0.1", null).status()).isEqualTo(200);
    awaitSessionsFreed();
    upstream("secure", "server 127.0.0.1:" + backend.port() + ";");
    get("secure", "/");

    assertThat(resumed(backend.awaitHandshakes(3))).containsExactly(false, true, false);
  }

  @Test
  void twoUpstreamsNamingOneAddressHaveASessionEach() throws Exception {
    TlsBackend backend = backend("rsa");
    startSimple("");
    upstream("one", "server 127.0.0.1:" + backend.port() + ";");
    upstream("two", "server 127.0.0.1:" + backend.port() + ";");

    get("one", "/");
    get("two", "/");
    get("one", "/");

    assertThat(resumed(backend.awaitHandshakes(3))).containsExactly(false, false, true);
  }

  @Test
  void http500MovesToTheBackupOverTlsAndTheBackupsSessionIsReused() throws Exception {
    TlsBackend primary = backend("rsa");
    TlsBackend backup = backend("ec");
    primary.status = 500;
    startSimple("proxy_next_upstream error timeout http_500;");
    upstream("secure", "server 127.0.0.1:" + primary.port() + "; server 127.0.0.1:" + backup.port() + " backup;");

    RawHttp.Response first = get("secure", "/");
    RawHttp.Response second = get("secure", "/");

    assertThat(first.status()).isEqualTo(200);
    assertThat(first.body()).isEqualTo("tls backend " + backup.port() + " 200\n");
    assertThat(second.body()).isEqualTo("tls backend " + backup.port() + " 200\n");
    assertThat(resumed(backup.awaitHandshakes(2))).containsExactly(false, true);
    proxy.close();
    // The admin server's POST is logged there too: the first line of the traffic server is the one.
    assertThat(Files.readAllLines(prefix.resolve("logs/access.log")).stream().filter(l -> l.startsWith("secure "))
        .findFirst()).hasValue("secure 127.0.0.1:"
        + primary.port() + ", 127.0.0.1:" + backup.port() + " 500, 200 200");
  }

  /**
   * The session sequence for a backup reached through {@code proxy_next_upstream http_500}: a full handshake,
   * then resumed; still resumed after an update that keeps the backup; full again after one that dropped it.
   */
  @Test
  void aBackupReachedThroughHttp500KeepsItsSessionAcrossAnUpdateThatKeepsIt() throws Exception {
    TlsBackend primary = backend("rsa");
    TlsBackend backup = backend("ec");
    primary.status = 500;
    startSimple("proxy_next_upstream error timeout http_500;");
    String servers = "server 127.0.0.1:" + primary.port() + "; server 127.0.0.1:" + backup.port() + " backup;";
    upstream("secure", servers);
    assertThat(get("secure", "/").body()).isEqualTo("tls backend " + backup.port() + " 200\n");
    assertThat(get("secure", "/").body()).isEqualTo("tls backend " + backup.port() + " 200\n");

    upstream("secure", servers + " server 127.0.0.1:" + ProxyScenarioTest.freePort() + " down;");
    assertThat(get("secure", "/").body()).isEqualTo("tls backend " + backup.port() + " 200\n");
    upstream("secure", "server 127.0.0.1:" + ProxyScenarioTest.freePort() + ";");
    awaitSessionsFreed();
    upstream("secure", servers);
    assertThat(get("secure", "/").body()).isEqualTo("tls backend " + backup.port() + " 200\n");

    assertThat(resumed(backup.awaitHandshakes(4))).containsExactly(false, true, true, false);
  }

  @Test
  void aVerifiedBackendIsServedAndTheNameIsSentAsSni() throws Exception {
    TlsBackend backend = backend("rsa");
    startSimple("proxy_ssl_verify on; proxy_ssl_trusted_certificate " + TestCertificates.file("ca.pem")
        + "; proxy_ssl_name backend.test; proxy_ssl_server_name on;");
    upstream("secure", "server 127.0.0.1:" + backend.port() + ";");

    assertThat(get("secure", "/").status()).isEqualTo(200);
    assertThat(get("secure", "/").status()).isEqualTo(200);

    List<TlsBackend.Handshake> handshakes = backend.awaitHandshakes(2);
    assertThat(handshakes.get(0).serverName()).isEqualTo("backend.test");
    assertThat(resumed(handshakes)).containsExactly(false, true);
  }

  @Test
  void withoutProxySslServerNameNoSniIsSent() throws Exception {
    TlsBackend backend = backend("rsa");
    startSimple("proxy_ssl_name backend.test;");
    upstream("secure", "server 127.0.0.1:" + backend.port() + ";");

    assertThat(get("secure", "/").status()).isEqualTo(200);

    assertThat(backend.awaitHandshakes(1).get(0).serverName()).isEmpty();
  }

  @Test
  void aCertificateForAnotherNameIsRefusedWith502AndNginxsMessage() throws Exception {
    TlsBackend backend = backend("rsa");
    startSimple("proxy_ssl_verify on; proxy_ssl_trusted_certificate " + TestCertificates.file("ca.pem")
        + "; proxy_ssl_name wrong.test;");
    upstream("secure", "server 127.0.0.1:" + backend.port() + ";");

    assertThat(get("secure", "/").status()).isEqualTo(502);

    assertThat(errorLogOnceItHas("upstream SSL certificate does not match")).contains("upstream SSL certificate does not match \"wrong.test\" while SSL handshaking "
        + "to upstream, client: 127.0.0.1, request: \"GET / HTTP/1.1\", upstream: \"https://127.0.0.1:"
        + backend.port() + "\"");
    assertThat(backend.requests).isEmpty();
  }

  @Test
  void aSelfSignedCertificateIsRefusedWithOpenSslsCode() throws Exception {
    TlsBackend rogue = backend("rogue");
    startSimple("proxy_ssl_verify on; proxy_ssl_trusted_certificate " + TestCertificates.file("ca.pem")
        + "; proxy_ssl_name localhost;");
    upstream("secure", "server 127.0.0.1:" + rogue.port() + ";");

    assertThat(get("secure", "/").status()).isEqualTo(502);
    assertThat(get("secure", "/").status()).isEqualTo(502);

    assertThat(errorLogOnceItHas("upstream SSL certificate verify error")).contains("upstream SSL certificate verify error: (18:self-signed certificate) while SSL "
        + "handshaking to upstream");
    assertThat(rogue.requests).isEmpty();
  }

  @Test
  void proxySslVerifyDepthLimitsTheChain() throws Exception {
    TlsBackend backend = backend("rsa");
    // The leaf is signed by the trusted CA: a chain of depth 1, too long for 0 (only a trusted leaf would pass).
    startSimple("proxy_ssl_verify on; proxy_ssl_trusted_certificate " + TestCertificates.file("ca.pem")
        + "; proxy_ssl_name localhost; proxy_ssl_verify_depth 0;");
    upstream("secure", "server 127.0.0.1:" + backend.port() + ";");

    assertThat(get("secure", "/").status()).isEqualTo(502);

    assertThat(errorLogOnceItHas("certificate chain too long"))
        .contains("upstream SSL certificate verify error: (22:certificate chain too long) while "
            + "SSL handshaking to upstream");
    assertThat(backend.requests).isEmpty();
  }

  @Test
  void proxySslProtocolsLimitsWhatTheProxyOffers() throws Exception {
    TlsBackend backend = backend("rsa");
    backend.protocols("TLSv1.3");
    startSimple("proxy_ssl_protocols TLSv1.2;");
    upstream("secure", "server 127.0.0.1:" + backend.port() + ";");

    assertThat(get("secure", "/").status()).isEqualTo(502);

    assertThat(errorLogOnceItHas("while SSL handshaking to upstream"))
        .contains("SSL_do_handshake() failed (SSL: ").contains("while SSL handshaking to upstream");
    assertThat(backend.requests).isEmpty();
  }

  @Test
  void proxySslCiphersLimitsTheSuitesOffered() throws Exception {
    TlsBackend backend = backend("rsa");
    backend.protocols("TLSv1.2");
    startSimple("proxy_ssl_protocols TLSv1.2; proxy_ssl_ciphers ECDHE-RSA-AES256-GCM-SHA384;");
    upstream("secure", "server 127.0.0.1:" + backend.port() + ";");

    assertThat(get("secure", "/").status()).isEqualTo(200);

    assertThat(backend.awaitHandshakes(1).get(0).cipherSuite()).isEqualTo("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384");
  }

  @Test
  void withoutVerificationAnyCertificateIsAccepted() throws Exception {
    TlsBackend rogue = backend("rogue");
    startSimple("proxy_ssl_name wrong.test;");
    upstream("secure", "server 127.0.0.1:" + rogue.port() + ";");

    assertThat(get("secure", "/").status()).isEqualTo(200);
  }

  @Test
  void aClientCertificateIsPresented() throws Exception {
    TlsBackend backend = backend("rsa");
    startSimple("proxy_ssl_certificate " + TestCertificates.file("client.pem") + "; proxy_ssl_certificate_key "
        + TestCertificates.file("client.key") + ";");
    upstream("secure", "server 127.0.0.1:" + backend.port() + ";");

    assertThat(get("secure", "/").status()).isEqualTo(200);

    assertThat(backend.awaitHandshakes(1).get(0).clientSubject()).isEqualTo("CN=dyups test client");
  }

  @Test
  void keepAliveConnectionsAreReusedOverTls() throws Exception {
    TlsBackend backend = backend("rsa");
    startSimple("proxy_http_version 1.1; proxy_set_header Connection \"\";");
    upstream("secure", "server 127.0.0.1:" + backend.port() + "; keepalive 4;");

    for (int i = 0; i < 3; i++) {
      assertThat(get("secure", "/").status()).isEqualTo(200);
    }

    assertThat(backend.requests).hasSize(3);
    assertThat(backend.handshakes).hasSize(1);
  }

  @Test
  void verificationWithoutTrustedCertificatesStopsStartUp() throws Exception {
    Path config = config("", "location / { proxy_pass https://$host; proxy_ssl_verify on; }");

    assertThatThrownBy(() -> ProxyConfig.load(prefix, config))
        .isInstanceOf(ConfigSyntaxException.class)
        .hasMessageContaining("no proxy_ssl_trusted_certificate for proxy_ssl_verify");
  }

  @Test
  void aMissingClientCertificateStopsStartUpNamingTheFile() throws Exception {
    Path missing = prefix.resolve("missing.pem");
    Path config = config("", "location / { proxy_pass https://$host; proxy_ssl_certificate " + missing
        + "; proxy_ssl_certificate_key " + missing + "; }");

    assertThatThrownBy(() -> ProxyConfig.load(prefix, config))
        .isInstanceOf(ConfigSyntaxException.class)
        .hasMessageContaining("cannot load certificate \"" + missing + "\": BIO_new_file() failed (2: No such file "
            + "or directory)");
  }
}
