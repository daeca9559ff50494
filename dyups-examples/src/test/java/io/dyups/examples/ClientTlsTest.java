package io.dyups.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dyups.parser.ConfigSyntaxException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code listen ... ssl} toward clients with certificates made by the test: an RSA and an EC certificate served
 * side by side, sessions resumed ($ssl_session_reused), the admin interface over TLS, nginx's start-up errors,
 * and curl, a client we did not write, over the seed's session.
 */
class ClientTlsTest {
  @TempDir Path prefix;
  private ProxyServer proxy;
  private int front;
  private int admin;

  @AfterEach
  void stop() {
    if (proxy != null) {
      proxy.close();
    }
  }

  private Path config(String frontServer, String adminServer) throws IOException {
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
        "    log_format tls \"$ssl_session_reused $scheme $https $server_port $ssl_protocol\";",
        "    access_log logs/access.log tls;",
        "    server {",
        "        listen 127.0.0.1:" + front + " ssl;",
        "        " + frontServer,
        "        location / {",
        "            return 200 \"hello over tls\";",
        "        }",
        "    }",
        "    server {",
        "        listen 127.0.0.1:" + admin + " " + adminServer,
        "        location / {",
        "            dyups_interface;",
        "        }",
        "    }",
        "}",
        ""));
    return config;
  }

  private static String pairs() throws IOException {
    return "ssl_certificate " + TestCertificates.file("rsa.pem") + "; ssl_certificate_key "
        + TestCertificates.file("rsa.key") + "; ssl_certificate " + TestCertificates.file("ec.pem")
        + "; ssl_certificate_key " + TestCertificates.file("ec.key") + ";";
  }

  private void start(String frontServer, String adminServer) throws IOException {
    proxy = ProxyServer.start(ProxyConfig.load(prefix, config(frontServer, adminServer)));
  }

  /** A client trusting the test CA only; one context, so its sessions can be resumed. */
  private static SSLContext clientContext() throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("ca", PemFiles.certificates(TestCertificates.file("ca.pem")).get(0));
    TrustManagerFactory factory = TrustManagerFactory.getInstance("PKIX");
    factory.init(trust);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, factory.getTrustManagers(), null);
    return context;
  }

  private static SSLSocket connect(SSLContext context, int port, String... suites) throws IOException {
    SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("localhost", port);
    if (suites.length > 0) {
      socket.setEnabledProtocols(new String[] {"TLSv1.2"});
      socket.setEnabledCipherSuites(suites);
    }
    socket.startHandshake();
    return socket;
  }

  private static SSLSocket connectWith(String protocol, SSLContext context, int port) throws IOException {
    SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("localhost", port);
    socket.setEnabledProtocols(new String[] {protocol});
    socket.startHandshake();
    return socket;
  }

  private static RawHttp.Response get(SSLSocket socket, String path) throws IOException {
    try (RawHttp http = new RawHttp(socket)) {
      return http.send("GET", path, "localhost", null, true);
    }
  }

  @Test
  void anRsaAndAnEcCertificateAreServedToTheClientsThatAskForThem() throws Exception {
    start(pairs(), ";");
    SSLContext client = clientContext();

    SSLSocket ec = connect(client, front, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256");
    X509Certificate ecCertificate = (X509Certificate) ec.getSession().getPeerCertificates()[0];
    RawHttp.Response ecAnswer = get(ec, "/");
    SSLSocket rsa = connect(client, front, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
    X509Certificate rsaCertificate = (X509Certificate) rsa.getSession().getPeerCertificates()[0];
    RawHttp.Response rsaAnswer = get(rsa, "/");

    assertThat(ecCertificate.getPublicKey().getAlgorithm()).isEqualTo("EC");
    assertThat(rsaCertificate.getPublicKey().getAlgorithm()).isEqualTo("RSA");
    assertThat(ecAnswer.body()).isEqualTo("hello over tls");
    assertThat(rsaAnswer.body()).isEqualTo("hello over tls");
  }

  @Test
  void aSecondConnectionResumesTheSessionAndTheVariablesSaySo() throws Exception {
    start(pairs(), ";");
    SSLContext client = clientContext();

    assertThat(get(connect(client, front), "/").status()).isEqualTo(200);
    assertThat(get(connect(client, front), "/").status()).isEqualTo(200);
    proxy.close();

    assertThat(Files.readAllLines(prefix.resolve("logs/access.log"))).containsExactly(
        ". https on " + front + " TLSv1.3", "r https on " + front + " TLSv1.3");
  }

  /**
   * {@code ssl_session_timeout 2s}: a session is resumed while it is younger than two seconds and not after. The
   * client is the JDK's, whose cache keeps sessions a day and which offers a session whatever the lifetime the
   * server gave it, so only the listener can refuse the third connection's offer. The wait is for the clock to pass
   * the expiry of the newest session (made by the second handshake at the latest), not a guessed sleep. The tests
   * run as the proxy does (ProxyMain): sessions in the listener's cache, not in stateless tickets.
   */
  @ParameterizedTest
  @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
  void aSessionIsResumedWithinSslSessionTimeoutAndNotAfter(String protocol) throws Exception {
    assertThat(System.getProperty(ServerTls.TICKETS_PROPERTY)).isEqualTo("false");
    start(pairs() + " ssl_session_timeout 2s;", ";");
    SSLContext client = clientContext();
    client.getClientSessionContext().setSessionTimeout(86_400);

    assertThat(get(connectWith(protocol, client, front), "/").status()).isEqualTo(200);
    assertThat(get(connectWith(protocol, client, front), "/").status()).isEqualTo(200);
    long expired = System.currentTimeMillis() + 2_000;
    while (System.currentTimeMillis() <= expired) {
      Thread.sleep(50);
    }
    assertThat(get(connectWith(protocol, client, front), "/").status()).isEqualTo(200);
    proxy.close();

    assertThat(Files.readAllLines(prefix.resolve("logs/access.log"))).containsExactly(
        ". https on " + front + " " + protocol, "r https on " + front + " " + protocol,
        ". https on " + front + " " + protocol);
  }

  /**
   * {@code ssl_session_cache none} (nginx's default, which resumes by tickets alone): the listener's cache stands in
   * for the tickets, so two clients' sessions are both kept and both resumed.
   */
  @Test
  void withoutSslSessionCacheTheSessionsOfSeveralClientsAreResumed() throws Exception {
    start(pairs() + " ssl_session_cache none;", ";");
    SSLContext first = clientContext();
    SSLContext second = clientContext();

    for (SSLContext client : List.of(first, second, first, second)) {
      assertThat(get(connectWith("TLSv1.3", client, front), "/").status()).isEqualTo(200);
    }
    proxy.close();

    assertThat(Files.readAllLines(prefix.resolve("logs/access.log"))).containsExactly(
        ". https on " + front + " TLSv1.3", ". https on " + front + " TLSv1.3", "r https on " + front + " TLSv1.3",
        "r https on " + front + " TLSv1.3");
  }

  @ParameterizedTest
  @ValueSource(strings = {"500ms", "1x", "s"})
  void anSslSessionTimeoutNginxRejectsStopsStartUp(String value) throws Exception {
    Path config = config(pairs() + " ssl_session_timeout " + value + ";", ";");

    assertThatThrownBy(() -> ProxyConfig.load(prefix, config))
        .isInstanceOf(ConfigSyntaxException.class)
        .hasMessageContaining("\"ssl_session_timeout\" directive invalid value");
  }

  @Test
  void sslProtocolsLimitsWhatTheListenerSpeaks() throws Exception {
    start(pairs() + " ssl_protocols TLSv1.3;", ";");
    SSLContext client = clientContext();

    assertThatThrownBy(() -> connect(client, front, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"))
        .isInstanceOf(IOException.class);
    assertThat(get(connect(client, front), "/").status()).isEqualTo(200);
  }

  @Test
  void sslCiphersLimitsTheSuitesTheListenerAccepts() throws Exception {
    start(pairs() + " ssl_protocols TLSv1.2; ssl_ciphers ECDHE-RSA-AES128-GCM-SHA256;", ";");
    SSLContext client = clientContext();

    assertThatThrownBy(() -> connect(client, front, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"))
        .isInstanceOf(IOException.class);
    SSLSocket allowed = connect(client, front, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
    assertThat(allowed.getSession().getCipherSuite()).isEqualTo("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
    assertThat(get(allowed, "/").status()).isEqualTo(200);
  }

  @Test
  void theAdminInterfaceWorksOverTls() throws Exception {
    start(pairs(), "ssl; " + pairs());
    SSLContext client = clientContext();

    RawHttp.Response created;
    try (RawHttp http = new RawHttp(connect(client, admin))) {
      created = http.send("POST", "/upstream/secure", "localhost", "server 127.0.0.1:9;", true);
    }
    RawHttp.Response listed = get(connect(client, admin), "/list");

    assertThat(created.status()).isEqualTo(200);
    assertThat(listed.body()).contains("secure");
  }

  @Test
  void aMissingCertificateStopsStartUpNamingTheFile() throws Exception {
    Path missing = prefix.resolve("conf/missing.pem");
    Path config = config("ssl_certificate missing.pem; ssl_certificate_key missing.key;", ";");

    assertThatThrownBy(() -> ProxyConfig.load(prefix, config))
        .isInstanceOf(ConfigSyntaxException.class)
        .hasMessageContaining("cannot load certificate \"" + missing + "\": BIO_new_file() failed (2: No such file "
            + "or directory)");
  }

  /** A certificate or key file that holds something else stops start-up naming the file, in nginx's words. */
  @ParameterizedTest
  @ValueSource(strings = {"certificate", "key"})
  void aFileThatIsNotACertificateOrKeyStopsStartUpNamingIt(String which) throws Exception {
    Files.createDirectories(prefix.resolve("conf"));
    Path garbage = prefix.resolve("conf/garbage.pem");
    Files.writeString(garbage, "not a PEM file\n");
    String certificate = which.equals("certificate") ? garbage.toString() : TestCertificates.file("rsa.pem").toString();
    String key = which.equals("key") ? garbage.toString() : TestCertificates.file("rsa.key").toString();
    Path config = config("ssl_certificate " + certificate + "; ssl_certificate_key " + key + ";", ";");

    assertThatThrownBy(() -> ProxyConfig.load(prefix, config))
        .isInstanceOf(ConfigSyntaxException.class)
        .hasMessageContaining(which.equals("certificate")
            ? "cannot load certificate \"" + garbage + "\": PEM_read_bio_X509_AUX() failed"
            : "cannot load certificate key \"" + garbage + "\": PEM_read_bio_PrivateKey() failed");
  }

  /** nginx's refusals of ssl_session_cache values (ngx_http_ssl_session_cache). */
  @ParameterizedTest
  @CsvSource(delimiter = '|', textBlock = """
      shared:SSL:10k | session cache "shared:SSL:10k" is too small
      bogus          | invalid session cache "bogus"
      shared:SSL     | invalid session cache "shared:SSL"
      """)
  void anSslSessionCacheNginxRejectsStopsStartUp(String value, String message) throws Exception {
    Path config = config(pairs() + " ssl_session_cache " + value + ";", ";");

    assertThatThrownBy(() -> ProxyConfig.load(prefix, config))
        .isInstanceOf(ConfigSyntaxException.class)
        .hasMessageContaining(message);
  }

  @Test
  void listenSslWithoutACertificateStopsStartUp() throws Exception {
    Path config = config("", ";");

    assertThatThrownBy(() -> ProxyConfig.load(prefix, config))
        .isInstanceOf(ConfigSyntaxException.class)
        .hasMessageContaining("no \"ssl_certificate\" is defined for the \"listen ... ssl\" directive");
  }

  @Test
  void aKeyThatIsNotTheCertificatesStopsStartUp() throws Exception {
    Path config = config("ssl_certificate " + TestCertificates.file("rsa.pem") + "; ssl_certificate_key "
        + TestCertificates.file("ec.key") + ";", ";");

    assertThatThrownBy(() -> ProxyConfig.load(prefix, config))
        .isInstanceOf(ConfigSyntaxException.class)
        .hasMessageContaining("key values mismatch");
  }

  /** The seed's session (proxy_pass http://$host to the echo servers) through listen ssl, with curl --cacert. */
  @Test
  void theSeedsSessionWorksOverTlsWithCurl() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/curl")), "curl not installed");
    int echo8088 = ProxyScenarioTest.freePort();
    int echo8089 = ProxyScenarioTest.freePort();
    int plain = ProxyScenarioTest.freePort();
    admin = ProxyScenarioTest.freePort();
    ProxyScenarioTest.copyDefaultConfig(prefix, plain, admin, echo8088, echo8089);
    front = ProxyScenarioTest.freePort();
    Path config = prefix.resolve("conf/nginx.conf");
    Files.writeString(config, Files.readString(config).replace("listen 127.0.0.1:" + plain + ";",
        "listen 127.0.0.1:" + front + " ssl; ssl_certificate " + TestCertificates.file("rsa.pem")
            + "; ssl_certificate_key " + TestCertificates.file("rsa.key") + ";"));
    proxy = ProxyServer.start(ProxyConfig.load(prefix, config));
    RawHttp.request(admin, "POST", "/upstream/dyhost", "127.0.0.1", "server 127.0.0.1:" + echo8088 + ";");

    String answer = curl("--cacert", TestCertificates.file("ca.pem").toString(), "-H", "Host: dyhost",
        "https://localhost:" + front + "/");

    assertThat(answer).isEqualTo("8088\n");
  }

  private static String curl(String... args) throws Exception {
    List<String> command = new java.util.ArrayList<>(List.of("curl", "-sS", "--max-time", "10"));
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(20, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).as(output).isZero();
    return output;
  }
}
