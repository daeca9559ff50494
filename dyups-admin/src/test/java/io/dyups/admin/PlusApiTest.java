package io.dyups.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.dyups.core.PeerSelection;
import io.dyups.core.Upstream;
import io.dyups.core.UpstreamRegistry;
import io.dyups.core.UpstreamServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * NGINX Plus's upstream API through real HTTP. The expected JSON follows the reference of nginx.org's {@code
 * yaml/nginx_api.yaml} (API version 9): the {@code NginxHTTPUpstreamConfServerMap} example gives the server fields
 * and their order, {@code NginxError} the error object, and the paths' responses the status codes and error codes.
 * The request sequences are the ones nginx-plus-go-client (the NGINX Ingress Controller's client) sends: trailing
 * slashes on POST, PATCH and DELETE, the whole server with {@code server} in a PATCH, no {@code id} in the body.
 */
class PlusApiTest {
  private final HttpClient client = HttpClient.newHttpClient();
  // 2026-11-30T22:00:00.250Z, moved by the tests.
  private final AtomicLong millis = new AtomicLong(1_796_076_000_250L);
  private final InstantSource clock = () -> Instant.ofEpochMilli(millis.get());
  private UpstreamRegistry registry;
  private AdminServer server;

  @BeforeEach
  void start() {
    registry = UpstreamRegistry.builder().clock(clock).build();
    registry.updateUpstream("backend", "zone backend 64k; server 10.0.0.1:8088; server 10.0.0.1:8089 weight=4 backup;");
    server = AdminServer.builder(AdminHandler.of(registry)).port(0).start();
  }

  @AfterEach
  void stop() {
    server.stop();
    registry.close();
  }

  private HttpResponse<String> send(String method, String path, String body) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
    if (body != null) {
      request.header("Content-Type", "application/json");
    }
    return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(String path) throws Exception {
    return send("GET", path, null);
  }

  private int id(int index) {
    return registry.find("backend").servers().get(index).id();
  }

  // The request_id is random; everything else of the error object is compared as text.
  private static String withoutRequestId(String body) {
    return body.replaceAll("\"request_id\":\"[0-9a-f]{32}\"", "\"request_id\":\"ID\"");
  }

  private static String error(int status, String text, String code) {
    return "{\"error\":{\"status\":" + status + ",\"text\":\"" + text.replace("\"", "\\\"") + "\",\"code\":\""
        + code + "\"},\"request_id\":\"ID\",\"href\":\"https://nginx.org/en/docs/http/ngx_http_api_module.html\"}";
  }

  private static String confServer(int id, String server, int weight, boolean backup, boolean down) {
    return "{\"id\":" + id + ",\"server\":\"" + server + "\",\"weight\":" + weight
        + ",\"max_conns\":0,\"max_fails\":1,\"fail_timeout\":\"10s\",\"slow_start\":\"0s\",\"route\":\"\",\"backup\":"
        + backup + ",\"down\":" + down + "}";
  }

  @Test
  void theVersionListNamesOneToNine() throws Exception {
    HttpResponse<String> response = get("/api/");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
    assertThat(response.body()).isEqualTo("[1,2,3,4,5,6,7,8,9]");
  }

  @Test
  void theEndpointListsNameHttpAndUpstreams() throws Exception {
    assertThat(get("/api/9/").body()).isEqualTo("[\"http\"]");
    assertThat(get("/api/9/http/").body()).isEqualTo("[\"upstreams\"]");
  }

  @Test
  void serversListTheConfigurationWithIds() throws Exception {
    HttpResponse<String> response = get("/api/9/http/upstreams/backend/servers");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).isEqualTo("[" + confServer(id(0), "10.0.0.1:8088", 1, false, false) + ","
        + confServer(id(1), "10.0.0.1:8089", 4, true, false) + "]");
  }

  @Test
  void anUpstreamListsItsPeersWithTheirState() throws Exception {
    HttpResponse<String> response = get("/api/9/http/upstreams/backend");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).isEqualTo("{\"peers\":["
        + "{\"id\":" + id(0) + ",\"server\":\"10.0.0.1:8088\",\"name\":\"10.0.0.1:8088\",\"backup\":false,"
        + "\"weight\":1,\"state\":\"up\",\"active\":0," + NO_TRAFFIC + "},"
        + "{\"id\":" + id(1) + ",\"server\":\"10.0.0.1:8089\",\"name\":\"10.0.0.1:8089\",\"backup\":true,"
        + "\"weight\":4,\"state\":\"up\",\"active\":0," + NO_TRAFFIC + "}],\"zone\":\"backend\"}");
    assertThat(get("/api/9/http/upstreams").body()).isEqualTo("{\"backend\":" + response.body() + "}");
  }

  @Test
  void postAddsAServerAs201WithItsId() throws Exception {
    HttpResponse<String> response = send("POST", "/api/9/http/upstreams/backend/servers/",
        "{\"server\":\"10.0.0.2:80\",\"weight\":3,\"max_fails\":2,\"fail_timeout\":\"5s\",\"down\":true}");

    Upstream after = registry.find("backend");
    UpstreamServer added = after.servers().get(2);
    assertThat(response.statusCode()).isEqualTo(201);
    assertThat(response.body()).isEqualTo("{\"id\":" + added.id() + ",\"server\":\"10.0.0.2:80\",\"weight\":3,"
        + "\"max_conns\":0,\"max_fails\":2,\"fail_timeout\":\"5s\",\"slow_start\":\"0s\",\"route\":\"\","
        + "\"backup\":false,\"down\":true}");
    assertThat(added.spec().toConfig()).isEqualTo("server 10.0.0.2:80 weight=3 max_fails=2 fail_timeout=5s down;");
    assertThat(after.definition().zone()).isNotNull();
  }

  @Test
  void patchChangesParametersKeepsTheIdAndAnswersTheServer() throws Exception {
    int id = id(0);

    HttpResponse<String> response = send("PATCH", "/api/9/http/upstreams/backend/servers/" + id + "/",
        "{\"server\":\"10.0.0.1:8088\",\"weight\":7,\"drain\":true}");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).isEqualTo("{\"id\":" + id + ",\"server\":\"10.0.0.1:8088\",\"weight\":7,"
        + "\"max_conns\":0,\"max_fails\":1,\"fail_timeout\":\"10s\",\"slow_start\":\"0s\",\"route\":\"\","
        + "\"backup\":false,\"down\":false,\"drain\":true}");
    assertThat(get("/api/9/http/upstreams/backend").body()).contains("\"state\":\"draining\"");
  }

  @Test
  void deleteRemovesTheServerAndAnswersTheServersLeft() throws Exception {
    int kept = id(0);

    HttpResponse<String> response = send("DELETE", "/api/9/http/upstreams/backend/servers/" + id(1) + "/", null);

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).isEqualTo("[" + confServer(kept, "10.0.0.1:8088", 1, false, false) + "]");
  }

  @Test
  void removingTheLastPrimaryIsRefusedInNginxWords() throws Exception {
    HttpResponse<String> response = send("DELETE", "/api/9/http/upstreams/backend/servers/" + id(0) + "/", null);

    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(withoutRequestId(response.body()))
        .isEqualTo(error(400, "no servers in upstream \"backend\"", "UpstreamConfFormatError"));
    assertThat(registry.find("backend").servers()).hasSize(2);
  }

  @Test
  void theDyupsInterfaceSeesAChangeMadeThroughThePlusApi() throws Exception {
    send("POST", "/api/9/http/upstreams/backend/servers/", "{\"server\":\"10.0.0.3:80\"}");

    assertThat(get("/upstream/backend").body())
        .isEqualTo("server 10.0.0.1:8088\nserver 10.0.0.1:8089\nserver 10.0.0.3:80\n");
  }

  // The statistics of a peer nothing was sent to, in NginxHTTPUpstreamPeer's order.
  private static final String NO_TRAFFIC = "\"requests\":0,\"responses\":{\"1xx\":0,\"2xx\":0,\"3xx\":0,"
      + "\"4xx\":0,\"5xx\":0,\"codes\":{},\"total\":0},\"sent\":0,\"received\":0,\"fails\":0,\"unavail\":0,"
      + "\"health_checks\":{\"checks\":0,\"fails\":0,\"unhealthy\":0},\"downtime\":0";

  /** One request on the first server: picked, answered {@code status} after 12 ms (header) and 30 ms. */
  private void request(int status) {
    PeerSelection selection = new PeerSelection();
    selection.start(registry.find("backend").peers(), null, null);
    assertThat(selection.next().address().toString()).isEqualTo("10.0.0.1:8088");
    selection.succeeded(status, 12_000_000L, 30_000_000L, 150, 2000);
  }

  @Test
  void aPeerShowsItsStatisticsWithNginxPlusNamesAndTimes() throws Exception {
    request(200);
    request(404);
    millis.addAndGet(1000);
    request(200);

    String peer = get("/api/9/http/upstreams/backend").body();

    assertThat(peer).startsWith("{\"peers\":[{\"id\":" + id(0) + ",\"server\":\"10.0.0.1:8088\","
        + "\"name\":\"10.0.0.1:8088\",\"backup\":false,\"weight\":1,\"state\":\"up\",\"active\":0,"
        + "\"requests\":3,\"responses\":{\"1xx\":0,\"2xx\":2,\"3xx\":0,\"4xx\":1,\"5xx\":0,"
        + "\"codes\":{\"200\":2,\"404\":1},\"total\":3},"
        + "\"sent\":450,\"received\":6000,\"fails\":0,\"unavail\":0,"
        + "\"health_checks\":{\"checks\":0,\"fails\":0,\"unhealthy\":0},\"downtime\":0,"
        + "\"selected\":\"2026-11-30T22:00:01.250Z\",\"header_time\":12,\"response_time\":30},");
  }

  @Test
  void codesAreInTheResponsesFromApiVersion7AsNginxPlusR25Added() throws Exception {
    request(503);
    request(200);
    request(503);

    for (int version = 1; version <= 9; version++) {
      String upstream = get("/api/" + version + "/http/upstreams/backend").body();
      String listing = get("/api/" + version + "/http/upstreams").body();
      if (version >= 7) {
        assertThat(upstream).as("version %d", version)
            .contains("\"5xx\":2,\"codes\":{\"200\":1,\"503\":2},\"total\":3}");
        assertThat(listing).isEqualTo("{\"backend\":" + upstream + "}");
      } else {
        assertThat(upstream).as("version %d", version).contains("\"5xx\":2,\"total\":3}").doesNotContain("codes");
        assertThat(listing).isEqualTo("{\"backend\":" + upstream + "}");
      }
    }
  }

  @Test
  void aPeerOutForFailuresIsUnavailWithItsDownstart() throws Exception {
    registry.updateUpstream("flaky", "zone flaky 64k; server 10.0.0.5:80 max_fails=1; server 10.0.0.6:80;");
    PeerSelection selection = new PeerSelection();
    selection.start(registry.find("flaky").peers(), null, null);
    assertThat(selection.next().address().toString()).isEqualTo("10.0.0.5:80");
    selection.failed();
    millis.addAndGet(2500);

    String body = get("/api/9/http/upstreams/flaky").body();

    assertThat(body).contains("\"state\":\"unavail\"", "\"fails\":1,\"unavail\":1,",
        "\"downtime\":2500,\"downstart\":\"2026-11-30T22:00:00.250Z\",\"selected\":\"2026-11-30T22:00:02.750Z\"");
  }

  @Test
  void fieldsLimitsTheUpstreamsFieldsAndEmptyLeavesOnlyTheNames() throws Exception {
    assertThat(get("/api/9/http/upstreams/backend?fields=zone").body()).isEqualTo("{\"zone\":\"backend\"}");
    assertThat(get("/api/9/http/upstreams?fields=").body()).isEqualTo("{\"backend\":{}}");
    assertThat(get("/api/9/http/upstreams?fields=peers,zone").body())
        .isEqualTo(get("/api/9/http/upstreams").body());
    assertThat(get("/api/9/http/upstreams/backend?fields=peers").body()).startsWith("{\"peers\":[{\"id\":")
        .doesNotContain("zone");
  }

  @Test
  void deletingAnUpstreamResetsStatisticsWith204() throws Exception {
    request(200);
    request(500);

    HttpResponse<String> response = send("DELETE", "/api/9/http/upstreams/backend/", null);

    assertThat(response.statusCode()).isEqualTo(204);
    assertThat(registry.find("backend")).isNotNull();
    assertThat(get("/api/9/http/upstreams/backend").body()).contains("\"active\":0," + NO_TRAFFIC + "}");
  }

  @Test
  void aReadOnlyApiAtAnotherPathAnswersBelowItAndRefusesChanges() {
    AdminHandler handler = AdminHandler.builder(registry).plusApiOnly("/stats/", false).build();

    AdminResponse servers = handler.handle(new AdminRequest("GET", "/stats/9/http/upstreams/backend/servers",
        java.util.Map.of(), java.io.InputStream.nullInputStream(), -1));
    AdminResponse versions = handler.handle(new AdminRequest("GET", "/stats/", java.util.Map.of(),
        java.io.InputStream.nullInputStream(), -1));
    AdminResponse dyups = handler.handle(new AdminRequest("GET", "/list", java.util.Map.of(),
        java.io.InputStream.nullInputStream(), -1));
    AdminResponse delete = handler.handle(new AdminRequest("DELETE", "/stats/9/http/upstreams/backend",
        java.util.Map.of(), java.io.InputStream.nullInputStream(), -1));

    assertThat(servers.status()).isEqualTo(200);
    assertThat(servers.bodyText()).startsWith("[{\"id\":" + id(0));
    assertThat(versions.bodyText()).isEqualTo("[1,2,3,4,5,6,7,8,9]");
    assertThat(dyups.status()).isEqualTo(404);
    assertThat(withoutRequestId(delete.bodyText())).isEqualTo(error(405, "method disabled", "MethodDisabled"));
  }

  @ParameterizedTest(name = "{0} {1} {2}")
  @CsvSource(delimiter = '|', value = {
      "GET    | /api/10/                                        |                        | 404 | unknown version | UnknownVersion",
      "GET    | /api/9/stream/                                  |                        | 404 | path not found | PathNotFound",
      "GET    | /api/9/http/upstreams/nope                      |                        | 404 | upstream not found | UpstreamNotFound",
      "POST   | /api/9/http/upstreams/nope/servers/             | {\"server\":\"1.1.1.1\"} | 404 | upstream not found | UpstreamNotFound",
      "GET    | /api/9/http/upstreams/backend/servers/x         |                        | 400 | invalid server ID | UpstreamBadServerId",
      "GET    | /api/9/http/upstreams/backend/servers/7         |                        | 404 | server with ID \"7\" does not exist | UpstreamServerNotFound",
      "PUT    | /api/9/http/upstreams/backend/servers/          | {}                     | 405 | method not supported | MethodNotSupported",
      "POST   | /api/9/http/upstreams/backend/servers/          | {\"weight\":2}         | 400 | missing \"server\" argument | UpstreamConfFormatError",
      "POST   | /api/9/http/upstreams/backend/servers/          | {\"server\":\"1.1.1.1\",\"id\":3} | 400 | unknown parameter \"id\" | UpstreamConfFormatError",
      "POST   | /api/9/http/upstreams/backend/servers/          | {\"server\":\"1.1.1.1\",\"weight\":\"2\"} | 400 | invalid \"weight\" value | UpstreamConfFormatError",
      "POST   | /api/9/http/upstreams/backend/servers/          | {\"server\":[\"1.1.1.1\"]} | 400 | nested object or list | UpstreamConfFormatError",
      "POST   | /api/9/http/upstreams/backend/servers/          | {\"server\":\"1.1.1.1\",\"weight\":0} | 400 | invalid \"weight\" | UpstreamBadWeight",
      "POST   | /api/9/http/upstreams/backend/servers/          | {\"server\":\"1.1.1.1\",\"max_fails\":-1} | 400 | invalid \"max_fails\" | UpstreamBadMaxFails",
      "POST   | /api/9/http/upstreams/backend/servers/          | {\"server\":\"1.1.1.1\",\"max_conns\":-1} | 400 | invalid \"max_conns\" | UpstreamBadMaxConns",
      "POST   | /api/9/http/upstreams/backend/servers/          | {\"server\":\"1.1.1.1\",\"fail_timeout\":\"5ms\"} | 400 | invalid \"fail_timeout\" | UpstreamBadFailTimeout",
      "POST   | /api/9/http/upstreams/backend/servers/          | {\"server\":\"1.1.1.1\",\"slow_start\":\"x\"} | 400 | invalid \"slow_start\" | UpstreamBadSlowStart",
      "POST   | /api/9/http/upstreams/backend/servers/          | {\"server\":\"1.1.1.1:99999\"} | 400 | invalid port in upstream \"1.1.1.1:99999\" | UpstreamBadAddress",
      "POST   | /api/9/http/upstreams/backend/servers/          | not json               | 415 | json error | JsonError",
      "POST   | /api/9/http/upstreams/backend/servers/          | [1]                    | 415 | json error | JsonError",
  })
  void badRequestsGetNginxPlusErrorObjects(String method, String path, String body, int status, String text,
      String code) throws Exception {
    long version = registry.find("backend").version();

    HttpResponse<String> response = send(method, path, body);

    assertThat(response.statusCode()).isEqualTo(status);
    assertThat(withoutRequestId(response.body())).isEqualTo(error(status, text, code));
    assertThat(registry.find("backend").version()).isEqualTo(version);
  }

  @Test
  void patchMayNotChangeTheAddressOrBackup() throws Exception {
    int id = id(0);

    HttpResponse<String> address = send("PATCH", "/api/9/http/upstreams/backend/servers/" + id + "/",
        "{\"server\":\"10.0.0.9:8088\"}");
    HttpResponse<String> backup = send("PATCH", "/api/9/http/upstreams/backend/servers/" + id + "/",
        "{\"backup\":true}");

    assertThat(withoutRequestId(address.body()))
        .isEqualTo(error(400, "server \"" + id + "\" address is immutable", "UpstreamServerImmutable"));
    assertThat(withoutRequestId(backup.body()))
        .isEqualTo(error(400, "server \"" + id + "\" backup is immutable", "UpstreamServerImmutable"));
  }

  @Test
  void aReadOnlyApiRefusesChangesWithMethodDisabled() {
    PlusApi readOnly = PlusApi.of(registry, false);

    AdminResponse response = readOnly.handle(new AdminRequest("POST", "/api/9/http/upstreams/backend/servers/",
        java.util.Map.of(), new java.io.ByteArrayInputStream("{\"server\":\"10.0.0.5:80\"}".getBytes()), -1));

    assertThat(response.status()).isEqualTo(405);
    assertThat(withoutRequestId(response.bodyText())).isEqualTo(error(405, "method disabled", "MethodDisabled"));
    assertThat(registry.find("backend").servers()).hasSize(2);
  }

  @Test
  void theIngressControllersUpdateSequenceConvergesTheServers() throws Exception {
    // UpdateHTTPServers: GET the servers, POST those missing, DELETE those not wanted, PATCH those that differ.
    List<UpstreamServer> before = registry.find("backend").servers();
    assertThat(send("POST", "/api/9/http/upstreams/backend/servers/", "{\"server\":\"10.0.0.7:80\"}").statusCode())
        .isEqualTo(201);
    assertThat(send("DELETE", "/api/9/http/upstreams/backend/servers/" + before.get(1).id() + "/", null)
        .statusCode()).isEqualTo(200);
    assertThat(send("PATCH", "/api/9/http/upstreams/backend/servers/" + before.get(0).id() + "/",
        "{\"max_conns\":10,\"max_fails\":1,\"backup\":false,\"down\":false,\"weight\":2,\"server\":\"10.0.0.1:8088\","
            + "\"fail_timeout\":\"10s\",\"slow_start\":\"0s\"}").statusCode()).isEqualTo(200);

    assertThat(registry.find("backend").definition().servers()).extracting(s -> s.toConfig())
        .containsExactly("server 10.0.0.1:8088 weight=2 max_conns=10;", "server 10.0.0.7:80;");
  }
}
