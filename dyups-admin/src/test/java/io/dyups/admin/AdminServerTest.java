package io.dyups.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.dyups.core.HostResolver;
import io.dyups.core.HostStatus;
import io.dyups.core.UpstreamRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every row of dyups's interface table, through real HTTP on 127.0.0.1. */
class AdminServerTest {
  private static final String SEED = "server 127.0.0.1:8089;server 127.0.0.1:8088;";
  private final HttpClient client = HttpClient.newHttpClient();
  private UpstreamRegistry registry;
  private AdminServer server;

  @BeforeEach
  void start() {
    registry = UpstreamRegistry.builder().maxCommandsSize(1024).build();
    registry.updateUpstream("host1", "server 127.0.0.1:8088;");
    registry.updateUpstream("host2", "server 127.0.0.1:8089;");
    server = AdminServer.builder(AdminHandler.of(registry)).port(0).start();
  }

  @AfterEach
  void stop() {
    server.stop();
    registry.close();
  }

  private HttpResponse<String> send(String method, String path, String body, String... headers) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
    for (int i = 0; i < headers.length; i += 2) {
      request.header(headers[i], headers[i + 1]);
    }
    return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(String path, String... headers) throws Exception {
    return send("GET", path, null, headers);
  }

  @Test
  void seedSessionGivesTheSeedsAnswers() throws Exception {
    HttpResponse<String> post = send("POST", "/upstream/dyhost", SEED);
    assertThat(post.statusCode()).isEqualTo(200);
    assertThat(post.body()).isEqualTo("success");

    assertThat(get("/detail").body()).isEqualTo("host1\nserver 127.0.0.1:8088\n\nhost2\nserver 127.0.0.1:8089\n\n"
        + "dyhost\nserver 127.0.0.1:8089\nserver 127.0.0.1:8088\n\n");

    HttpResponse<String> delete = send("DELETE", "/upstream/dyhost", null);
    assertThat(delete.statusCode()).isEqualTo(200);
    assertThat(delete.body()).isEqualTo("success");
    assertThat(get("/detail").body()).isEqualTo("host1\nserver 127.0.0.1:8088\n\nhost2\nserver 127.0.0.1:8089\n\n");
  }

  @Test
  void listGivesNamesOnePerLine() throws Exception {
    HttpResponse<String> response = get("/list");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).isEqualTo("host1\nhost2\n");
  }

  @Test
  void listAndDetailAre204WhenThereAreNoUpstreams() throws Exception {
    registry.deleteUpstream("host1");
    registry.deleteUpstream("host2");

    assertThat(get("/list").statusCode()).isEqualTo(204);
    assertThat(get("/list").body()).isEmpty();
    assertThat(get("/detail").statusCode()).isEqualTo(204);
  }

  @Test
  void upstreamGivesItsServersAndAnETag() throws Exception {
    HttpResponse<String> response = get("/upstream/HOST1");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).isEqualTo("server 127.0.0.1:8088\n");
    assertThat(response.headers().firstValue("ETag")).hasValue("\"" + registry.find("host1").version() + "\"");
  }

  @ParameterizedTest
  @ValueSource(strings = {"/upstream/none", "/upstream", "/upstream/", "/other", "/", "/list/x",
      "/upstream/host1/x"})
  void otherGetsAre404WithAnEmptyBody(String path) throws Exception {
    HttpResponse<String> response = get(path);

    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(response.body()).isEmpty();
  }

  @Test
  void firstSegmentMatchesIgnoringCase() throws Exception {
    assertThat(get("/LIST").body()).isEqualTo("host1\nhost2\n");
    assertThat(get("/Detail").statusCode()).isEqualTo(200);
    assertThat(send("POST", "/UPSTREAM/x", SEED).statusCode()).isEqualTo(200);
  }

  @Test
  void postWithAnEmptyBodyIs204AndChangesNothing() throws Exception {
    HttpResponse<String> response = send("POST", "/upstream/host1", "");

    assertThat(response.statusCode()).isEqualTo(204);
    assertThat(registry.find("host1").definition().servers()).hasSize(1);
  }

  @Test
  void postToAnotherPathIs404WithAReason() throws Exception {
    HttpResponse<String> interfaceReason = send("POST", "/upstream", SEED);
    HttpResponse<String> apiReason = send("POST", "/other/x", SEED);

    assertThat(interfaceReason.statusCode()).isEqualTo(404);
    assertThat(interfaceReason.body()).isEqualTo("not support this interface");
    assertThat(apiReason.statusCode()).isEqualTo(404);
    assertThat(apiReason.body()).isEqualTo("not support this api");
  }

  @Test
  void badCommandsAre400WithTheParsersMessage() throws Exception {
    HttpResponse<String> response = send("POST", "/upstream/host1", "server 127.0.0.1:8088;\nserver 1.2.3.4 weight=x;");

    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(response.body()).isEqualTo("invalid parameter \"weight=x\" in commands:2:16");
    assertThat(get("/upstream/host1").body()).isEqualTo("server 127.0.0.1:8088\n");
  }

  @Test
  void invalidUtf8Is400NamingTheBytesAndWhere() throws Exception {
    byte[] body = "server 127.0.0.1:8088;\nserver 1.2.3.4 weight=\u00ff;".getBytes(StandardCharsets.ISO_8859_1);
    try (Socket socket = new Socket("127.0.0.1", server.port())) {
      OutputStream out = socket.getOutputStream();
      out.write(("POST /upstream/host1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: " + body.length
          + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.write(body);
      String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

      assertThat(answer).startsWith("HTTP/1.1 400")
          .endsWith("\r\n\r\nthe commands are not valid UTF-8: byte 0xFF in commands:2:23");
    }
    assertThat(get("/upstream/host1").body()).isEqualTo("server 127.0.0.1:8088\n");
  }

  @Test
  void deleteOfWhatIsNotThereIs404() throws Exception {
    HttpResponse<String> response = send("DELETE", "/upstream/none", null);

    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(response.body()).isNotEmpty();
  }

  @Test
  void deleteOfAnotherPathIs405WithAReason() throws Exception {
    assertThat(send("DELETE", "/upstream", null).statusCode()).isEqualTo(405);
    assertThat(send("DELETE", "/upstream", null).body()).isEqualTo("not support this interface");
    assertThat(send("DELETE", "/list/x", null).body()).isEqualTo("not support this api");
  }

  @ParameterizedTest
  @ValueSource(strings = {"PUT", "PATCH", "OPTIONS"})
  void otherMethodsAre405WithAnEmptyBody(String method) throws Exception {
    HttpResponse<String> response = send(method, "/upstream/host1", SEED);

    assertThat(response.statusCode()).isEqualTo(405);
    assertThat(response.body()).isEmpty();
  }

  @Test
  void tryLockConflictIs409WaitAndTryAgain(@TempDir Path dir) throws Exception {
    // Each change rewrites the file and forces it to disk while holding the lock, so a writer that never stops
    // keeps the lock held most of the time: an admin change soon finds it taken.
    UpstreamRegistry locked = UpstreamRegistry.builder().tryLock(true)
        .persistenceFile(dir.resolve("upstream.conf")).build();
    AdminServer lockedServer = AdminServer.builder(AdminHandler.of(locked)).port(0).start();
    AtomicBoolean stop = new AtomicBoolean();
    Thread holder = new Thread(() -> {
      while (!stop.get()) {
        locked.updateUpstream("first", SEED);
      }
    });
    holder.start();
    HttpResponse<String> response = null;
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (System.nanoTime() < deadline) {
        response = client.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + lockedServer.port() + "/upstream/second"))
            .POST(HttpRequest.BodyPublishers.ofString(SEED)).build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
          break;
        }
      }
    } finally {
      stop.set(true);
      holder.join(10_000);
      lockedServer.stop();
      locked.close();
    }

    assertThat(response).isNotNull();
    assertThat(response.statusCode()).isEqualTo(409);
    assertThat(response.body()).isEqualTo("wait and try again");
  }

  @Test
  void jsonListingsShowTheCheckAndEachServersHealth() throws Exception {
    registry.updateUpstream("u", "server 10.0.0.1:80; server 10.0.0.2:80; check interval=1000 fall=1 timeout=500"
        + " type=http default_down=false;");
    registry.find("u").peers().asList().get(1).setHealthy(false);

    Map<String, Object> upstream = Json.object(get("/upstream/u?format=json").body());

    assertThat(Json.object(upstream.get("check"))).containsEntry("type", "http")
        .containsEntry("interval_ms", 1000L).containsEntry("timeout_ms", 500L).containsEntry("rise", 2L)
        .containsEntry("fall", 1L).containsEntry("default_down", false).containsEntry("port", 0L);
    List<Object> servers = Json.list(upstream.get("servers"));
    assertThat(Json.object(servers.get(0))).containsEntry("healthy", true).containsEntry("available", true);
    assertThat(Json.object(servers.get(1))).containsEntry("healthy", false).containsEntry("available", false);
  }

  @Test
  void listingsShowEachAddressOfAHostNameAndWhatTheNameResolvesTo() throws Exception {
    registry.updateUpstream("named", "server localhost:8090; server 10.0.0.1:80;");
    List<String> addresses = registry.find("named").hosts().get(0).addressNames();

    Map<String, Object> upstream = Json.object(get("/upstream/named?format=json").body());
    String text = get("/upstream/named").body();

    assertThat(addresses).isNotEmpty().allSatisfy(address -> assertThat(address).endsWith(":8090"));
    Map<String, Object> host = Json.object(Json.list(upstream.get("hosts")).get(0));
    assertThat(host).containsEntry("server", "localhost:8090").containsEntry("resolve", false)
        .containsEntry("state", "resolved").containsEntry("error", "");
    assertThat(Json.list(host.get("addresses"))).containsExactlyElementsOf(addresses);
    assertThat(Json.object(Json.list(upstream.get("servers")).get(0))).containsEntry("address", "localhost:8090")
        .containsEntry("peer", addresses.get(0));
    StringBuilder expected = new StringBuilder();
    addresses.forEach(address -> expected.append("server ").append(address).append('\n'));
    assertThat(text).isEqualTo(expected + "server 10.0.0.1:80\n");
  }

  @Test
  void aHostNameThatStopsResolvingSaysSoInTheTextListingToo() throws Exception {
    AtomicReference<HostResolver.Answer> answer = new AtomicReference<>(HostResolver.Answer.addresses(
        List.of(InetAddress.getByName("10.0.0.1"), InetAddress.getByName("10.0.0.2")), Duration.ZERO));
    HostResolver dns = new HostResolver() {
      @Override
      public CompletableFuture<Answer> lookUpAddresses(Query query) {
        return CompletableFuture.completedFuture(query.name().equals("gone.local")
            ? Answer.notFound(Duration.ofHours(1)) : answer.get());
      }

      @Override
      public CompletableFuture<Answer> lookUpService(Query query) {
        return CompletableFuture.completedFuture(Answer.notFound(null));
      }

      @Override
      public void close() {}
    };
    try (UpstreamRegistry named = UpstreamRegistry.builder().hostResolver(dns).build()) {
      AdminServer admin = AdminServer.builder(AdminHandler.of(named)).port(0).start();
      try {
        named.updateUpstream("named", "zone z 64k; resolver 10.0.0.53; server 10.0.0.9; "
            + "server backend.local:8080 resolve; server gone.local resolve;");
        answer.set(HostResolver.Answer.failed("Operation timed out"));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (named.find("named").hosts().get(0).state() != HostStatus.State.STALE && System.nanoTime() < deadline) {
          Thread.sleep(20);
        }

        String text = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin.port()
            + "/upstream/named")).build(), HttpResponse.BodyHandlers.ofString()).body();

        assertThat(text).isEqualTo("server 10.0.0.9:80\nserver 10.0.0.1:8080\nserver 10.0.0.2:8080\n"
            + "# backend.local:8080 stale: could not be resolved (Operation timed out), its last addresses kept\n"
            + "# gone.local:80 not_found: could not be resolved (Host not found), no addresses\n");
      } finally {
        admin.stop();
      }
    }
  }

  @Test
  void jsonListingsCarryDefinitionAndLiveState() throws Exception {
    registry.updateUpstream("dyhost", "hash $request_uri consistent; server 127.0.0.1:8089 weight=3 max_fails=2"
        + " fail_timeout=30s max_conns=10; server 127.0.0.1:8088 down;");

    HttpResponse<String> detail = get("/detail", "Accept", "application/json");
    HttpResponse<String> one = get("/upstream/dyhost?format=json");
    HttpResponse<String> list = get("/list?format=json");

    assertThat(detail.headers().firstValue("Content-Type")).hasValue("application/json");
    Map<String, Object> parsed = Json.object(detail.body());
    List<Object> upstreams = Json.list(parsed.get("upstreams"));
    assertThat(upstreams).hasSize(3);
    Map<String, Object> dyhost = Json.object(upstreams.get(2));
    assertThat(dyhost).containsEntry("name", "dyhost")
        .containsEntry("version", registry.find("dyhost").version());
    assertThat(Json.object(dyhost.get("balancing"))).containsEntry("method", "hash")
        .containsEntry("key", "$request_uri").containsEntry("consistent", true);
    Map<String, Object> server = Json.object(Json.list(dyhost.get("servers")).get(0));
    assertThat(server).containsEntry("address", "127.0.0.1:8089").containsEntry("weight", 3L)
        .containsEntry("max_fails", 2L).containsEntry("fail_timeout_ms", 30000L).containsEntry("max_conns", 10L)
        .containsEntry("backup", false).containsEntry("down", false).containsEntry("active_connections", 0L)
        .containsEntry("failures", 0L).containsEntry("out", false).containsEntry("available", true);
    assertThat(Json.object(Json.list(dyhost.get("servers")).get(1))).containsEntry("down", true)
        .containsEntry("available", false);
    assertThat(Json.object(one.body())).containsEntry("name", "dyhost");
    assertThat(one.headers().firstValue("ETag")).isPresent();
    assertThat(Json.list(Json.object(list.body()).get("upstreams"))).containsExactly("host1", "host2", "dyhost");
  }

  @Test
  void ifMatchAppliesAChangeOnlyAtThatVersion() throws Exception {
    String etag = get("/upstream/host1").headers().firstValue("ETag").orElseThrow();

    HttpResponse<String> stale = send("POST", "/upstream/host1", SEED, "If-Match", "\"999999\"");
    HttpResponse<String> fresh = send("POST", "/upstream/host1", SEED, "If-Match", etag);
    HttpResponse<String> staleDelete = send("DELETE", "/upstream/host1", null, "If-Match", etag);
    HttpResponse<String> garbage = send("DELETE", "/upstream/host1", null, "If-Match", "nonsense");
    String newTag = get("/upstream/host1").headers().firstValue("ETag").orElseThrow();
    HttpResponse<String> delete = send("DELETE", "/upstream/host1", null, "If-Match", newTag);

    assertThat(stale.statusCode()).isEqualTo(412);
    assertThat(fresh.statusCode()).isEqualTo(200);
    assertThat(staleDelete.statusCode()).isEqualTo(412);
    assertThat(garbage.statusCode()).isEqualTo(412);
    assertThat(delete.statusCode()).isEqualTo(200);
  }

  @Test
  void ifMatchStarRequiresTheUpstreamToExist() throws Exception {
    assertThat(send("POST", "/upstream/none", SEED, "If-Match", "*").statusCode()).isEqualTo(412);
    assertThat(send("POST", "/upstream/host1", SEED, "If-Match", "*").statusCode()).isEqualTo(200);
  }

  @Test
  void aBearerTokenGuardsEverything() throws Exception {
    server.stop();
    server = AdminServer.builder(AdminHandler.builder(registry).bearerToken("s3cret").build()).port(0).start();

    HttpResponse<String> without = get("/list");
    HttpResponse<String> wrong = get("/list", "Authorization", "Bearer nope");
    HttpResponse<String> right = get("/list", "Authorization", "Bearer s3cret");
    HttpResponse<String> postWithout = send("POST", "/upstream/x", SEED);

    assertThat(without.statusCode()).isEqualTo(401);
    assertThat(without.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
    assertThat(wrong.statusCode()).isEqualTo(401);
    assertThat(right.statusCode()).isEqualTo(200);
    assertThat(postWithout.statusCode()).isEqualTo(401);
    assertThat(registry.find("x")).isNull();
  }

  @Test
  void aBodyDeclaredOverTheLimitIs413() throws Exception {
    HttpResponse<String> response = send("POST", "/upstream/big", "server 10.0.0.1;".repeat(100));

    assertThat(response.statusCode()).isEqualTo(413);
    assertThat(registry.find("big")).isNull();
  }

  @Test
  void aChunkedBodyOverTheLimitIs413WithoutReadingItAll() throws Exception {
    byte[] chunk = "server 10.0.0.1;\n".repeat(64).getBytes(StandardCharsets.UTF_8);
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/upstream/big"))
        .POST(HttpRequest.BodyPublishers.fromPublisher(subscriber -> subscriber.onSubscribe(
            new Flow.Subscription() {
              int sent;

              @Override
              public void request(long n) {
                for (long i = 0; i < n && sent < 10_000; i++, sent++) {
                  subscriber.onNext(ByteBuffer.wrap(chunk));
                }
                if (sent >= 10_000) {
                  subscriber.onComplete();
                }
              }

              @Override
              public void cancel() {
                sent = Integer.MAX_VALUE;
              }
            })))
        .build();

    int status;
    try {
      status = client.send(request, HttpResponse.BodyHandlers.ofString()).statusCode();
    } catch (IOException e) {
      // The server may close the connection while the client is still sending; that also refuses the body.
      status = 413;
    }

    assertThat(status).isEqualTo(413);
    assertThat(registry.find("big")).isNull();
  }

  @Test
  void aSlowBodyTimesOut() throws Exception {
    server.stop();
    server = AdminServer.builder(AdminHandler.of(registry)).bodyTimeout(Duration.ofSeconds(2)).port(0).start();
    try (Socket socket = new Socket("127.0.0.1", server.port())) {
      socket.setSoTimeout(15_000);
      OutputStream out = socket.getOutputStream();
      out.write(("POST /upstream/slow HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nserver 10.0.0.1;")
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      long started = System.nanoTime();

      // The server gives up on the body at its deadline (2 s here) and closes.
      InputStream in = socket.getInputStream();
      byte[] answer = in.readAllBytes();

      assertThat(System.nanoTime() - started).isLessThan(14_000_000_000L);
      assertThat(new String(answer, StandardCharsets.US_ASCII)).doesNotContain("success");
    }
    assertThat(registry.find("slow")).isNull();
  }

  @ParameterizedTest
  @ValueSource(strings = {"/upstream/..%2Flist", "/upstream/a%2Fb", "/upstream/a%2fb", "/upstream/%2e%2e",
      "/upstream/a%5Cb", "/upstream/a%00b", "/upstream/a%0Ab", "/upstream/%C3%28"})
  void oddPathsAre404AndNeverAnotherUpstream(String path) throws Exception {
    assertThat(get(path).statusCode()).isEqualTo(404);
    assertThat(send("POST", path, SEED).statusCode()).isEqualTo(404);
    assertThat(registry.list()).containsExactly("host1", "host2");
  }

  @Test
  void malformedEscapesAre404() {
    AdminResponse response = AdminHandler.of(registry).handle(new AdminRequest("GET", "/upstream/%ZZ", Map.of(),
        InputStream.nullInputStream(), 0));

    assertThat(response.status()).isEqualTo(404);
  }

  @Test
  void dotSegmentsNeverReachAnotherPath() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", server.port())) {
      socket.getOutputStream().write("GET /upstream/../list HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
          .getBytes(StandardCharsets.US_ASCII));
      String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
      assertThat(answer).startsWith("HTTP/1.1 404");
    }
  }

  @Test
  void aVeryLongNameIsRefused() throws Exception {
    HttpResponse<String> response = send("POST", "/upstream/" + "n".repeat(300), SEED);

    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(registry.list()).containsExactly("host1", "host2");
  }

  @Test
  void listingsNeverEchoInjectedText() throws Exception {
    HttpResponse<String> response = send("POST", "/upstream/%3Cscript%3E", SEED);

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(get("/detail?format=json").body()).contains("\"name\":\"<script>\"");
    assertThat(get("/list").headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/plain"));
  }

  @Test
  void bindsLoopbackByDefault() {
    assertThat(server.address().getAddress().isLoopbackAddress()).isTrue();
  }

  /** A tiny reader of the JSON the handler writes, on jackson-core's parser. */
  static final class Json {
    private static final JsonFactory FACTORY = new JsonFactory();

    @SuppressWarnings("unchecked")
    static Map<String, Object> object(Object value) throws IOException {
      if (value instanceof String text) {
        try (JsonParser parser = FACTORY.createParser(text)) {
          parser.nextToken();
          return (Map<String, Object>) read(parser);
        }
      }
      return (Map<String, Object>) value;
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(Object value) {
      return (List<Object>) value;
    }

    private static Object read(JsonParser parser) throws IOException {
      JsonToken token = parser.currentToken();
      switch (token) {
        case START_OBJECT -> {
          Map<String, Object> map = new HashMap<>();
          while (parser.nextToken() != JsonToken.END_OBJECT) {
            String name = parser.currentName();
            parser.nextToken();
            map.put(name, read(parser));
          }
          return map;
        }
        case START_ARRAY -> {
          List<Object> list = new ArrayList<>();
          while (parser.nextToken() != JsonToken.END_ARRAY) {
            list.add(read(parser));
          }
          return list;
        }
        case VALUE_STRING -> {
          return parser.getText();
        }
        case VALUE_NUMBER_INT -> {
          return parser.getLongValue();
        }
        case VALUE_TRUE, VALUE_FALSE -> {
          return parser.getBooleanValue();
        }
        default -> {
          return null;
        }
      }
    }
  }
}
