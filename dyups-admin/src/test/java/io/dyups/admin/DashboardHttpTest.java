package io.dyups.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.dyups.core.UpstreamRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Objects;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * What the dashboard needs of the server, through real HTTP without a browser: its files (with a policy that forbids
 * inline script and other origins), the commands of an upstream as the editor starts from them, and the Plus API's
 * per-server changes conditioned on the version the page saw.
 */
class DashboardHttpTest {
  private final HttpClient client = HttpClient.newHttpClient();
  private UpstreamRegistry registry;
  private AdminServer server;

  @BeforeEach
  void start() {
    registry = UpstreamRegistry.builder().build();
    registry.updateUpstream("backend", "least_conn; server 127.0.0.1:8088 weight=2; server 127.0.0.1:8089;");
    server = AdminServer.builder(AdminHandler.builder(registry).bearerToken("s3cret").build()).port(0).start();
  }

  @AfterEach
  void stop() {
    server.stop();
    registry.close();
  }

  private HttpResponse<String> send(String method, String path, String body, String... headers) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    for (int i = 0; i < headers.length; i += 2) {
      request.header(headers[i], headers[i + 1]);
    }
    return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> authorized(String method, String path, String body, String... headers)
      throws Exception {
    String[] all = new String[headers.length + 2];
    all[0] = "Authorization";
    all[1] = "Bearer s3cret";
    System.arraycopy(headers, 0, all, 2, headers.length);
    return send(method, path, body, all);
  }

  @ParameterizedTest
  @CsvSource({
    "/dashboard, text/html; charset=utf-8, <title>dyups dashboard</title>",
    "/dashboard/, text/html; charset=utf-8, <title>dyups dashboard</title>",
    "/dashboard/dashboard.js, text/javascript; charset=utf-8, 'use strict';",
    "/dashboard/dashboard.css, text/css; charset=utf-8, .state-unavail",
  })
  void theFilesAreServedWithoutTheTokenAndWithAPolicyForbiddingInlineScript(String path, String type, String part)
      throws Exception {
    HttpResponse<String> response = send("GET", path, null);

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).hasValue(type);
    assertThat(response.body()).contains(part);
    String policy = response.headers().firstValue("Content-Security-Policy").orElseThrow();
    assertThat(policy).contains("default-src 'none'", "script-src 'self'", "connect-src 'self'")
        .doesNotContain("unsafe-inline", "unsafe-eval", "http:", "https:");
    assertThat(response.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
  }

  @Test
  void thePageHasNoInlineScriptAndLoadsNothingFromElsewhere() throws Exception {
    String page = send("GET", "/dashboard", null).body();

    assertThat(page).containsOnlyOnce("<script").contains("<script src=\"/dashboard/dashboard.js\" defer></script>")
        .doesNotContain("http://", "https://", " on" + "click=", "style=\"");
  }

  @ParameterizedTest
  @CsvSource({"/dashboard/other.js", "/dashboard/dashboard.js/x", "/dashboard/dashboard.html"})
  void anyOtherPathUnderTheDashboardIsNotFound(String path) throws Exception {
    assertThat(send("GET", path, null).statusCode()).isEqualTo(404);
  }

  @Test
  void theDashboardAnswersOnlyReads() throws Exception {
    HttpResponse<String> response = send("POST", "/dashboard", "x");

    assertThat(response.statusCode()).isEqualTo(405);
    assertThat(response.headers().firstValue("Allow")).hasValue("GET, HEAD");
  }

  @Test
  void theDataStillNeedsTheToken() throws Exception {
    assertThat(send("GET", "/detail?format=json", null).statusCode()).isEqualTo(401);
    assertThat(send("GET", "/api/9/http/upstreams", null).statusCode()).isEqualTo(401);
  }

  @Test
  void theCommandsOfAnUpstreamReadBackAsThePostThatMakesThem() throws Exception {
    HttpResponse<String> response = authorized("GET", "/upstream/backend?format=commands", null);

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).isEqualTo("least_conn;\nserver 127.0.0.1:8088 weight=2;\nserver 127.0.0.1:8089;\n");
    long version = Objects.requireNonNull(registry.find("backend")).version();
    assertThat(response.headers().firstValue("ETag")).hasValue("\"" + version + "\"");
    assertThat(authorized("POST", "/upstream/backend", response.body(), "If-Match", "\"" + version + "\"")
        .statusCode()).isEqualTo(200);
  }

  @Test
  void thePlusApiGivesTheUpstreamsVersionAsItsETag() throws Exception {
    long version = Objects.requireNonNull(registry.find("backend")).version();

    assertThat(authorized("GET", "/api/9/http/upstreams/backend", null).headers().firstValue("ETag"))
        .hasValue("\"" + version + "\"");
    assertThat(authorized("GET", "/api/9/http/upstreams/backend/servers", null).headers().firstValue("ETag"))
        .hasValue("\"" + version + "\"");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
    "PATCH  | /servers/ID | {\"down\":true}",
    "DELETE | /servers/ID | ",
    "POST   | /servers    | {\"server\":\"127.0.0.1:8090\"}",
  })
  void aPlusApiChangeAtAVersionThatIsGoneIsRefusedWith412(String method, String path, String body)
      throws Exception {
    long seen = Objects.requireNonNull(registry.find("backend")).version();
    int id = Objects.requireNonNull(registry.find("backend")).servers().get(0).id();
    assertThat(authorized("PATCH", "/api/9/http/upstreams/backend/servers/" + id, "{\"weight\":5}").statusCode())
        .isEqualTo(200);
    String before = Objects.requireNonNull(registry.find("backend")).definition().toCommands();

    HttpResponse<String> response = authorized(method, "/api/9/http/upstreams/backend" + path.replace("ID",
        String.valueOf(id)), body, "If-Match", "\"" + seen + "\"");

    assertThat(response.statusCode()).isEqualTo(412);
    assertThat(response.body()).contains("\"code\":\"UpstreamVersionMismatch\"");
    assertThat(Objects.requireNonNull(registry.find("backend")).definition().toCommands()).isEqualTo(before);
  }

  @Test
  void aPlusApiChangeAtTheCurrentVersionIsMade() throws Exception {
    long version = Objects.requireNonNull(registry.find("backend")).version();
    int id = Objects.requireNonNull(registry.find("backend")).servers().get(0).id();

    HttpResponse<String> response = authorized("PATCH", "/api/9/http/upstreams/backend/servers/" + id,
        "{\"down\":true}", "If-Match", "\"" + version + "\"");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(Objects.requireNonNull(registry.find("backend")).definition().toCommands())
        .contains("server 127.0.0.1:8088 weight=2 down;");
  }
}
