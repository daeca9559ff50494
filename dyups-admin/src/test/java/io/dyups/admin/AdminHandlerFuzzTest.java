package io.dyups.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.dyups.core.Upstream;
import io.dyups.core.UpstreamRegistry;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Coverage-guided fuzz target for the admin handler (Jazzer); seed corpus under
 * {@code src/test/resources/io/dyups/core/AdminHandlerFuzzTestInputs/}. An input reads like an HTTP request: a
 * line {@code METHOD TARGET}, header lines {@code Name: value}, an empty line, then the body bytes. Two headers
 * steer the test instead of reaching the handler: {@code X-Fuzz-Length} is the declared content length (default:
 * the body's length) and {@code X-Fuzz-Token} makes the handler require that bearer token.
 */
class AdminHandlerFuzzTest {
  private static final Set<Integer> STATUSES = Set.of(200, 204, 400, 401, 404, 405, 409, 412, 413);

  /**
   * The handler never throws, answers one of the statuses it documents, sends no header value that could split
   * a response, and leaves the registry as it was unless it answered 200 to a POST or DELETE.
   */
  @FuzzTest
  void handleNeverThrowsAndAnswersADefinedStatus(byte[] data) {
    int[] split = headAndBody(data);
    String[] head = new String(data, 0, split[0], StandardCharsets.ISO_8859_1).split("\r?\n", -1);
    byte[] body = Arrays.copyOfRange(data, split[1], data.length);
    int space = head[0].indexOf(' ');
    String method = space < 0 ? head[0] : head[0].substring(0, space);
    String target = space < 0 ? "" : head[0].substring(space + 1);
    Map<String, List<String>> headers = new LinkedHashMap<>();
    long contentLength = body.length;
    String token = null;
    for (int i = 1; i < head.length; i++) {
      int colon = head[i].indexOf(':');
      String name = colon < 0 ? head[i] : head[i].substring(0, colon);
      String value = colon < 0 ? "" : head[i].substring(colon + 1).trim();
      if (name.equalsIgnoreCase("X-Fuzz-Length")) {
        contentLength = declaredLength(value, body.length);
      } else if (name.equalsIgnoreCase("X-Fuzz-Token")) {
        token = value.isBlank() ? null : value;
      } else {
        headers.computeIfAbsent(name, n -> new ArrayList<>()).add(value);
      }
    }

    try (UpstreamRegistry registry = UpstreamRegistry.builder().maxCommandsSize(1024).build()) {
      registry.updateUpstream("dyhost", "server 127.0.0.1:8089;server 127.0.0.1:8088;");
      registry.updateUpstream("Backend", "least_conn; server [::1]:81 weight=2; server unix:/run/app.sock;");
      AdminHandler.Builder builder = AdminHandler.builder(registry);
      if (token != null) {
        builder.bearerToken(token);
      }
      AdminHandler handler = builder.build();
      List<Upstream> before = registry.detail();

      AdminResponse response = handler.handle(
          new AdminRequest(method, target, headers, new ByteArrayInputStream(body), contentLength));

      assertThat(response.status()).as("%s %s: %s", method, target, response.bodyText()).isIn(STATUSES);
      assertThat(response.headers()).allSatisfy((name, value) -> {
        assertThat(name).doesNotContain("\r", "\n");
        assertThat(value).doesNotContain("\r", "\n");
      });
      boolean change = response.status() == 200 && (method.equals("POST") || method.equals("DELETE"));
      if (!change) {
        assertThat(registry.detail()).as("after %s %s -> %d", method, target, response.status())
            .containsExactlyElementsOf(before);
      }
    }
  }

  /** Where the head ends and where the body starts: at the first empty line, else all head and no body. */
  private static int[] headAndBody(byte[] data) {
    for (int i = 0; i + 1 < data.length; i++) {
      if (data[i] == '\n' && data[i + 1] == '\n') {
        return new int[] {i, i + 2};
      }
      if (data[i] == '\n' && data[i + 1] == '\r' && i + 2 < data.length && data[i + 2] == '\n') {
        return new int[] {i, i + 3};
      }
    }
    return new int[] {data.length, data.length};
  }

  private static long declaredLength(String value, long actual) {
    try {
      return Math.max(-1, Long.parseLong(value));
    } catch (NumberFormatException e) {
      return actual;
    }
  }
}
