package io.dyups.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * proxy_next_upstream as nginx 1.22 decides it (ngx_http_upstream_test_next, ngx_http_upstream_next): which answers
 * and failures send the request to the next peer, that a POST already sent needs {@code non_idempotent}, that the
 * last try's answer reaches the client as it is, and how {@code proxy_next_upstream_tries} and
 * {@code proxy_next_upstream_timeout} end the retries. Each case was run against nginx 1.22.1 with the same
 * upstream; the expected answers are nginx's. A primary is tried before backups, so the order of peers is known.
 */
class NextUpstreamTest {
  @TempDir Path prefix;
  private ProxyFixture fixture;
  private final List<ScriptedBackend> backends = new ArrayList<>();

  @AfterEach
  void stop() throws IOException {
    if (fixture != null) {
      fixture.close();
    }
    for (ScriptedBackend backend : backends) {
      backend.close();
    }
  }

  private void start(String locationDirectives) throws IOException {
    fixture = ProxyFixture.start(prefix, "", "proxy_read_timeout 1s;", "", locationDirectives);
  }

  private void startLogging() throws IOException {
    // The traffic server's own log (the admin server's POSTs go to the default logs/access.log).
    fixture = ProxyFixture.start(prefix, "", "log_format up \"$status [$upstream_addr] [$upstream_status] "
        + "[$upstream_connect_time] [$upstream_header_time]\";", "access_log logs/upstream.log up;", "");
  }

  private List<String> accessLog() throws IOException {
    fixture.close();
    return Files.readAllLines(prefix.resolve("logs/upstream.log"));
  }

  /** A block where every server is {@code down}: the one try finds no live peer and is named after the upstream. */
  @Test
  void aTryThatFindsNoLivePeerIsNamedAfterTheUpstreamInUpstreamAddr() throws Exception {
    startLogging();
    fixture.upstream("App", "server 127.0.0.1:" + ProxyScenarioTest.freePort() + " down;");

    assertThat(request("GET").status()).isEqualTo(502);

    // nginx 1.22.1, the same block: 502 [App] [502] [-] [-] (its response time 0.000), and the upstream's name as
    // the block writes it, whatever the case of the Host that found it.
    assertThat(accessLog()).containsExactly("502 [App] [502] [-] [-]");
    fixture.assertLogged("no live upstreams while connecting to upstream, client: 127.0.0.1, request: \"GET / "
        + "HTTP/1.1\", upstream: \"http://App\", host: \"app\"");
  }

  /**
   * Two refusing servers, the second allowed two failures: the first request tries both, the second tries the one
   * still in and then finds none (its second entry names the upstream), the third finds none at once. Each line is
   * what nginx 1.22.1 logged for the same block and requests.
   */
  @Test
  void aTryThatFindsNoLivePeerAfterAFailedPeerIsNamedAfterTheUpstream() throws Exception {
    startLogging();
    String first = "127.0.0.1:" + ProxyScenarioTest.freePort();
    String second = "127.0.0.1:" + ProxyScenarioTest.freePort();
    fixture.upstream("app", "server " + first + " max_fails=1; server " + second + " max_fails=2;");

    for (int i = 0; i < 3; i++) {
      assertThat(request("GET").status()).isEqualTo(502);
    }

    assertThat(accessLog()).containsExactly(
        "502 [" + first + ", " + second + "] [502, 502] [-, -] [-, -]",
        "502 [" + second + ", app] [502, 502] [-, -] [-, -]",
        "502 [app] [502] [-] [-]");
  }

  /** A backend answering every request with {@code status} and the body {@code from NAME}, keeping the connection. */
  private ScriptedBackend answering(int status, String name) throws IOException {
    ScriptedBackend[] self = new ScriptedBackend[1];
    self[0] = new ScriptedBackend((socket, in, out) -> {
      while (self[0].readRequest(in) != null) {
        String body = "from " + name;
        ScriptedBackend.write(out, "HTTP/1.1 " + status + " Status\r\nContent-Length: " + body.length() + "\r\n\r\n"
            + body);
      }
    });
    backends.add(self[0]);
    return self[0];
  }

  /** A backend that reads the request and never answers (the proxy's read timeout ends it). */
  private ScriptedBackend silent() throws IOException {
    ScriptedBackend[] self = new ScriptedBackend[1];
    self[0] = new ScriptedBackend((socket, in, out) -> {
      self[0].readRequest(in);
      while (in.read() != -1) {
        // Until the proxy gives up and closes.
      }
    });
    backends.add(self[0]);
    return self[0];
  }

  private RawHttp.Response request(String method) throws IOException {
    return RawHttp.request(fixture.front, method, "/", "app", method.equals("POST") ? "data" : "");
  }

  @ParameterizedTest
  @ValueSource(ints = {500, 502, 503, 504, 429})
  void anAnswerProxyNextUpstreamNamesGoesToTheNextPeer(int status) throws Exception {
    start("proxy_next_upstream http_" + status + ";");
    ScriptedBackend first = answering(status, "a");
    ScriptedBackend backup = answering(200, "b");
    fixture.upstream("app", "server 127.0.0.1:" + first.port() + "; server 127.0.0.1:" + backup.port() + " backup;");

    RawHttp.Response response = request("GET");

    assertThat(response.status()).isEqualTo(200);
    assertThat(response.body()).isEqualTo("from b");
    assertThat(first.requests).hasSize(1);
  }

  @ParameterizedTest
  @ValueSource(ints = {500, 502, 503, 504, 429})
  void anAnswerProxyNextUpstreamDoesNotNameReachesTheClient(int status) throws Exception {
    start("proxy_next_upstream error timeout;");
    ScriptedBackend first = answering(status, "a");
    ScriptedBackend backup = answering(200, "b");
    fixture.upstream("app", "server 127.0.0.1:" + first.port() + "; server 127.0.0.1:" + backup.port() + " backup;");

    RawHttp.Response response = request("GET");

    assertThat(response.status()).isEqualTo(status);
    assertThat(response.body()).isEqualTo("from a");
    assertThat(backup.requests).isEmpty();
  }

  @Test
  void whenNoTryIsLeftTheLastPeersAnswerReachesTheClientAsItIs() throws Exception {
    start("proxy_next_upstream http_500;");
    ScriptedBackend first = answering(500, "a");
    ScriptedBackend backup = answering(500, "b");
    fixture.upstream("app", "server 127.0.0.1:" + first.port() + "; server 127.0.0.1:" + backup.port() + " backup;");

    RawHttp.Response response = request("GET");

    // nginx passes the backup's own 500 on (ngx_http_upstream_test_next wants u->peer.tries > 1), no 502 page.
    assertThat(response.status()).isEqualTo(500);
    assertThat(response.body()).isEqualTo("from b");
  }

  @Test
  void aServerMarkedDownIsNotATry() throws Exception {
    start("proxy_next_upstream http_500;");
    ScriptedBackend first = answering(500, "a");
    ScriptedBackend down = answering(200, "b");
    fixture.upstream("app", "server 127.0.0.1:" + first.port() + "; server 127.0.0.1:" + down.port() + " down;");

    RawHttp.Response response = request("GET");

    assertThat(response.status()).isEqualTo(500);
    assertThat(response.body()).isEqualTo("from a");
    assertThat(down.requests).isEmpty();
  }

  @Test
  void aPostAlreadySentIsNotSentAgainWithoutNonIdempotent() throws Exception {
    start("proxy_next_upstream http_500;");
    ScriptedBackend first = answering(500, "a");
    ScriptedBackend backup = answering(200, "b");
    fixture.upstream("app", "server 127.0.0.1:" + first.port() + "; server 127.0.0.1:" + backup.port() + " backup;");

    RawHttp.Response response = request("POST");

    assertThat(response.status()).isEqualTo(500);
    assertThat(response.body()).isEqualTo("from a");
    assertThat(backup.requests).isEmpty();
  }

  @Test
  void nonIdempotentSendsAPostToTheNextPeer() throws Exception {
    start("proxy_next_upstream http_500 non_idempotent;");
    ScriptedBackend first = answering(500, "a");
    ScriptedBackend backup = answering(200, "b");
    fixture.upstream("app", "server 127.0.0.1:" + first.port() + "; server 127.0.0.1:" + backup.port() + " backup;");

    RawHttp.Response response = request("POST");

    assertThat(response.status()).isEqualTo(200);
    assertThat(response.body()).isEqualTo("from b");
    assertThat(first.requests).singleElement().asString().startsWith("POST / ");
    assertThat(backup.requests).singleElement().asString().startsWith("POST / ");
  }

  @Test
  void aPostThatCouldNotBeSentGoesToTheNextPeerWithoutNonIdempotent() throws Exception {
    start("proxy_next_upstream error;");
    int closed = ProxyScenarioTest.freePort();
    ScriptedBackend backup = answering(200, "b");
    fixture.upstream("app", "server 127.0.0.1:" + closed + "; server 127.0.0.1:" + backup.port() + " backup;");

    RawHttp.Response response = request("POST");

    // Nothing was sent to the refused peer (u->request_sent is 0): retrying cannot repeat the request.
    assertThat(response.status()).isEqualTo(200);
    assertThat(response.body()).isEqualTo("from b");
  }

  @Test
  void offAnswersTheFirstFailureWithoutAskingAnotherPeer() throws Exception {
    start("proxy_next_upstream off;");
    int closed = ProxyScenarioTest.freePort();
    ScriptedBackend backup = answering(200, "b");
    fixture.upstream("app", "server 127.0.0.1:" + closed + "; server 127.0.0.1:" + backup.port() + " backup;");

    RawHttp.Response response = request("GET");

    assertThat(response.status()).isEqualTo(502);
    assertThat(backup.requests).isEmpty();
  }

  @Test
  void proxyNextUpstreamTriesCountsTheFirstTry() throws Exception {
    start("proxy_next_upstream http_500; proxy_next_upstream_tries 2;");
    ScriptedBackend first = answering(500, "a");
    ScriptedBackend second = answering(500, "a");
    ScriptedBackend backup = answering(200, "b");
    fixture.upstream("app", "server 127.0.0.1:" + first.port() + "; server 127.0.0.1:" + second.port()
        + "; server 127.0.0.1:" + backup.port() + " backup;");

    RawHttp.Response response = request("GET");

    assertThat(response.status()).isEqualTo(500);
    assertThat(first.requests.size() + second.requests.size()).isEqualTo(2);
    assertThat(backup.requests).isEmpty();
  }

  @Test
  void withoutATriesLimitEveryPeerIsTried() throws Exception {
    start("proxy_next_upstream http_500;");
    ScriptedBackend first = answering(500, "a");
    ScriptedBackend second = answering(500, "a");
    ScriptedBackend backup = answering(200, "b");
    fixture.upstream("app", "server 127.0.0.1:" + first.port() + "; server 127.0.0.1:" + second.port()
        + "; server 127.0.0.1:" + backup.port() + " backup;");

    RawHttp.Response response = request("GET");

    assertThat(response.status()).isEqualTo(200);
    assertThat(response.body()).isEqualTo("from b");
  }

  @Test
  void proxyNextUpstreamTimeoutEndsTheRetriesOnceItHasPassed() throws Exception {
    // The first peer's read timeout (1 s) is past the retry window (500 ms) when it ends: 504, as nginx.
    start("proxy_next_upstream timeout; proxy_next_upstream_timeout 500ms;");
    ScriptedBackend slow = silent();
    ScriptedBackend backup = answering(200, "b");
    fixture.upstream("app", "server 127.0.0.1:" + slow.port() + "; server 127.0.0.1:" + backup.port() + " backup;");

    RawHttp.Response response = request("GET");

    assertThat(response.status()).isEqualTo(504);
    assertThat(backup.requests).isEmpty();
    fixture.assertLogged("upstream timed out (110: Connection timed out) while reading response header from upstream");
  }

  @Test
  void aTimeoutGoesToTheNextPeerWithinTheRetryWindow() throws Exception {
    start("proxy_next_upstream timeout; proxy_next_upstream_timeout 60s;");
    ScriptedBackend slow = silent();
    ScriptedBackend backup = answering(200, "b");
    fixture.upstream("app", "server 127.0.0.1:" + slow.port() + "; server 127.0.0.1:" + backup.port() + " backup;");

    RawHttp.Response response = request("GET");

    assertThat(response.status()).isEqualTo(200);
    assertThat(response.body()).isEqualTo("from b");
  }
}
