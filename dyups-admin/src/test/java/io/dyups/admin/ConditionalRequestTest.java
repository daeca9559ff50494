package io.dyups.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.dyups.core.UpstreamRegistry;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** ETag, If-Match and If-None-Match as RFC 9110 §8.8.3 and §13 define them, for the admin interface's versions. */
class ConditionalRequestTest {
  private static final String SERVERS = "server 127.0.0.1:8089;";
  private UpstreamRegistry registry;
  private AdminHandler handler;
  private long version;

  @BeforeEach
  void start() {
    registry = UpstreamRegistry.builder().build();
    version = registry.updateUpstream("u", "server 127.0.0.1:8088;").version();
    handler = AdminHandler.of(registry);
  }

  @AfterEach
  void stop() {
    registry.close();
  }

  private AdminResponse send(String method, String name, String header, String value) {
    Map<String, List<String>> headers = new LinkedHashMap<>();
    if (header != null) {
      headers.put(header, List.of(value.replace("$V", Long.toString(version))
          .replace("$OLD", Long.toString(version - 1))));
    }
    byte[] body = method.equals("POST") ? SERVERS.getBytes(StandardCharsets.UTF_8) : new byte[0];
    return handler.handle(new AdminRequest(method, "/upstream/" + name, headers, new ByteArrayInputStream(body),
        body.length));
  }

  @Test
  void aSuccessfulPostCarriesTheNewVersionAsAStrongETag() {
    AdminResponse response = send("POST", "u", null, null);

    assertThat(response.status()).isEqualTo(200);
    assertThat(response.headers()).containsEntry("ETag", "\"" + registry.find("u").version() + "\"");
    assertThat(registry.find("u").version()).isNotEqualTo(version);
  }

  @Test
  void theETagOfAPostIsTheOneAGetGives() {
    String posted = send("POST", "u", null, null).headers().get("ETag");

    assertThat(send("GET", "u", null, null).headers()).containsEntry("ETag", posted);
  }

  @ParameterizedTest(name = "{0} If-Match: {1} -> {2}")
  @CsvSource(delimiter = '|', value = {
      "POST   | \"$V\"                | 200",
      "POST   | \"$OLD\", \"$V\"      | 200",
      "POST   | \"$V\",\"$OLD\"       | 200",
      "POST   | ,  \"$OLD\" ,, \"$V\" | 200",
      "POST   | \"$OLD\"              | 412",
      "POST   | W/\"$V\"              | 412",
      "POST   | W/\"$OLD\", W/\"$V\"  | 412",
      "POST   | *                     | 200",
      "POST   | \"$V\", *             | 412",
      "POST   | $V                    | 412",
      "POST   | \"$V                  | 412",
      "POST   | \"$V\" x              | 412",
      "DELETE | \"$OLD\", \"$V\"      | 200",
      "DELETE | W/\"$V\"              | 412",
      "DELETE | *                     | 200",
      "GET    | \"$V\"                | 200",
      "GET    | \"$OLD\"              | 412",
  })
  void ifMatchHoldsWhenAnyListedTagIsTheCurrentOneByStrongComparison(String method, String value, int status) {
    assertThat(send(method, "u", "If-Match", value).status()).isEqualTo(status);
  }

  @ParameterizedTest(name = "{0} If-None-Match: {1} -> {2}")
  @CsvSource(delimiter = '|', value = {
      "POST | *                | 412",
      "POST | \"$V\"           | 412",
      "POST | W/\"$V\"         | 412",
      "POST | \"$OLD\"         | 200",
      "GET  | \"$V\"           | 304",
      "GET  | W/\"$V\"         | 304",
      "GET  | \"$OLD\", W/\"$V\" | 304",
      "GET  | *                | 304",
      "GET  | \"$OLD\"         | 200",
  })
  void ifNoneMatchFailsWhenAnyListedTagIsTheCurrentOneByWeakComparison(String method, String value, int status) {
    assertThat(send(method, "u", "If-None-Match", value).status()).isEqualTo(status);
  }

  @Test
  void ifNoneMatchStarCreatesOnly() {
    AdminResponse created = send("POST", "fresh", "If-None-Match", "*");
    AdminResponse again = send("POST", "fresh", "If-None-Match", "*");

    assertThat(created.status()).isEqualTo(200);
    assertThat(created.headers()).containsKey("ETag");
    assertThat(again.status()).isEqualTo(412);
  }

  @Test
  void ifMatchStarRefusesToCreate() {
    assertThat(send("POST", "fresh", "If-Match", "*").status()).isEqualTo(412);
    assertThat(registry.find("fresh")).isNull();
  }

  @Test
  void aNotModifiedAnswerCarriesTheETagAndNoBody() {
    AdminResponse response = send("GET", "u", "If-None-Match", "\"$V\"");

    assertThat(response.status()).isEqualTo(304);
    assertThat(response.headers()).containsEntry("ETag", "\"" + version + "\"");
    assertThat(response.body()).isEmpty();
  }

  @Test
  void ifMatchIsReadFromEveryLineOfTheField() {
    Map<String, List<String>> headers = Map.of("If-Match", List.of("\"" + (version - 1) + "\"", "\"" + version + "\""));
    byte[] body = SERVERS.getBytes(StandardCharsets.UTF_8);

    AdminResponse response = handler.handle(new AdminRequest("POST", "/upstream/u", headers,
        new ByteArrayInputStream(body), body.length));

    assertThat(response.status()).isEqualTo(200);
  }

  @Test
  void conditionsAreNotEvaluatedWhenTheAnswerWouldBeAnError() {
    assertThat(send("DELETE", "absent", "If-Match", "\"1\"").status()).isEqualTo(404);
    assertThat(send("POST", "bad name", "If-Match", "\"1\"").status()).isEqualTo(400);
  }

  @Test
  void aChangeBetweenTheConditionAndTheUpdateFailsIt() {
    // The condition names the version it saw; the registry makes the change only at that version.
    String seen = "\"" + version + "\"";
    registry.updateUpstream("u", "server 10.0.0.9:80;");

    assertThat(send("POST", "u", "If-Match", seen).status()).isEqualTo(412);
    assertThat(registry.find("u").peers().asList().get(0).address().toString()).isEqualTo("10.0.0.9:80");
  }
}
