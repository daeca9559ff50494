package io.dyups.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dyups.core.PeerStatistics;
import io.dyups.parser.ConfigSyntaxException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * NGINX Plus's {@code api [write=on];} in the example proxy, on the shipped configuration with a server of two API
 * locations added, and the statistics the proxy reports for each request it passes.
 */
class PlusApiProxyTest {
  @TempDir Path prefix;
  private ProxyServer proxy;
  private int front;
  private int api;
  private int admin;

  @BeforeEach
  void start() throws IOException {
    front = ProxyScenarioTest.freePort();
    admin = ProxyScenarioTest.freePort();
    int echo8088 = ProxyScenarioTest.freePort();
    int echo8089 = ProxyScenarioTest.freePort();
    api = ProxyScenarioTest.freePort();
    ProxyScenarioTest.copyDefaultConfig(prefix, front, admin, echo8088, echo8089);
    ProxyScenarioTest.addHttpDirectives(prefix, "server { listen 127.0.0.1:" + api + ";"
        + " location /api { api write=on; } location /stats/ { api; } }");
    proxy = ProxyServer.start(ProxyConfig.load(prefix, prefix.resolve("conf/nginx.conf")));
  }

  @AfterEach
  void stop() {
    proxy.close();
  }

  private RawHttp.Response call(String method, String target, String body) throws IOException {
    return RawHttp.request(api, method, target, "127.0.0.1", body);
  }

  /** The first peer's statistics once {@code responses} responses are counted (within 10 s). */
  private PeerStatistics awaitStatistics(String upstream, long responses) throws InterruptedException {
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (true) {
      PeerStatistics stats = proxy.registry().find(upstream).peers().asList().get(0).statistics();
      if (stats.responses().total() >= responses || System.nanoTime() > deadline) {
        return stats;
      }
      Thread.sleep(5);
    }
  }

  @Test
  void eachRequestPassedIsCountedWithItsResponse() throws Exception {
    for (int i = 0; i < 3; i++) {
      assertThat(RawHttp.request(front, "GET", "/", "host1", null).status()).isEqualTo(200);
    }

    // The proxy reports a request just after writing its last bytes, so the client may read it first.
    PeerStatistics stats = awaitStatistics("host1", 3);
    assertThat(stats.requests()).isEqualTo(3);
    assertThat(stats.responses().successful()).isEqualTo(3);
    assertThat(stats.responses().total()).isEqualTo(3);
    assertThat(stats.responseTime()).isNotNull();
    assertThat(stats.selected()).isNotNull();
    RawHttp.Response upstream = call("GET", "/api/9/http/upstreams/host1?fields=peers", null);
    assertThat(upstream.status()).isEqualTo(200);
    assertThat(upstream.body()).contains("\"requests\":3,\"responses\":{\"1xx\":0,\"2xx\":3,\"3xx\":0,\"4xx\":0,"
        + "\"5xx\":0,\"codes\":{\"200\":3},\"total\":3}");
  }

  @Test
  void theAdminServerServesThePeersMetersAsPrometheusText() throws Exception {
    for (int i = 0; i < 2; i++) {
      assertThat(RawHttp.request(front, "GET", "/", "host2", null).status()).isEqualTo(200);
    }
    awaitStatistics("host2", 2);

    RawHttp.Response metrics = RawHttp.request(admin, "GET", "/metrics", "127.0.0.1", null);

    assertThat(metrics.status()).isEqualTo(200);
    assertThat(metrics.headers().get("content-type")).startsWith("text/plain; version=0.0.4");
    String server = proxy.registry().find("host2").peers().asList().get(0).toString();
    String id = Integer.toString(proxy.registry().find("host2").servers().get(0).id());
    String labels = "id=\"" + id + "\",server=\"" + server + "\",";
    assertThat(metrics.body()).contains(
        "dyups_peer_requests_total{" + labels + "upstream=\"host2\"} 2.0",
        "dyups_peer_responses_total{" + labels + "status=\"2xx\",upstream=\"host2\"} 2.0",
        "dyups_peer_state{" + labels + "upstream=\"host2\"} 1.0");
    assertThat(RawHttp.request(admin, "GET", "/list", "127.0.0.1", null).body()).isEqualTo("host1\nhost2\n");
  }

  @Test
  void theSeedsDyupsInterfaceLocationAnswersThePlusApiTooWithTheSameUpstreams() throws Exception {
    RawHttp.Response upstreams = RawHttp.request(admin, "GET", "/api/9/http/upstreams?fields=", "127.0.0.1", null);
    RawHttp.Response added = RawHttp.request(admin, "POST", "/api/9/http/upstreams/host2/servers",
        "127.0.0.1", "{\"server\":\"10.0.0.7:80\",\"weight\":3}");

    assertThat(upstreams.status()).isEqualTo(200);
    assertThat(upstreams.body()).isEqualTo("{\"host1\":{},\"host2\":{}}");
    assertThat(added.status()).isEqualTo(201);
    assertThat(RawHttp.request(admin, "GET", "/upstream/host2", "127.0.0.1", null).body())
        .contains("server 10.0.0.7:80\n");
  }

  @Test
  void aWritableApiLocationTakesChangesAndTheDyupsViewSeesThem() throws Exception {
    RawHttp.Response added = call("POST", "/api/9/http/upstreams/host1/servers/", "{\"server\":\"10.0.0.9:80\"}");

    assertThat(added.status()).isEqualTo(201);
    assertThat(proxy.registry().find("host1").definition().servers()).hasSize(2);
    assertThat(call("GET", "/api/", null).body()).isEqualTo("[1,2,3,4,5,6,7,8,9]");
  }

  @Test
  void aReadOnlyApiLocationAnswersBelowItsOwnPathAndRefusesChanges() throws Exception {
    RawHttp.Response servers = call("GET", "/stats/9/http/upstreams/host2/servers", null);
    RawHttp.Response post = call("POST", "/stats/9/http/upstreams/host2/servers", "{\"server\":\"10.0.0.9:80\"}");

    assertThat(servers.status()).isEqualTo(200);
    assertThat(servers.body()).contains("\"server\":\"127.0.0.1:");
    assertThat(post.status()).isEqualTo(405);
    assertThat(post.body()).contains("\"code\":\"MethodDisabled\"");
    assertThat(proxy.registry().find("host2").definition().servers()).hasSize(1);
  }

  @Test
  void aBadApiParameterIsRefusedWithItsPlace() throws Exception {
    Path config = prefix.resolve("conf/nginx.conf");
    Files.writeString(config, Files.readString(config).replace("api write=on;", "api write=yes;"));

    assertThatThrownBy(() -> ProxyConfig.load(prefix, config))
        .isInstanceOf(ConfigSyntaxException.class)
        .hasMessageContaining("invalid parameter \"write=yes\"")
        .hasMessageContaining("nginx.conf:");
  }
}
