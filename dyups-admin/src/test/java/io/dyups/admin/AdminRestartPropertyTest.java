package io.dyups.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.dyups.core.Upstream;
import io.dyups.core.UpstreamRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14's property through the HTTP admin interface: every state the admin interface accepts loads again,
 * identical, at the next start. Random names, percent-encoded as a client sends them (non-ASCII letters and their
 * case pairs, ASCII case pairs, characters a name may not hold), and random commands (quoting, odd but legal
 * parameters, zones), sent as POST and DELETE with and without conditions; after every answer 200 a new registry
 * is built from the persistence file and must hold the same upstreams, in the same order, with the same
 * definitions. Each repetition prints its seed.
 */
class AdminRestartPropertyTest {
  private static final String[] NAME_PARTS = {
    "a", "A", "api", "API", "äpfel", "Äpfel", "ÄPFEL", "straße", "STRASSE", "ı", "I", "i", "İ", "\u212A", "k",
    "ſ", "s", "Ω", "\u2126", "ǅ", "ǆ", "x-1", "x.1", "日本", "é", "e\u0301", "%", "a b", "a;b", "\u202E", "/",
  };

  private static final String[] SERVERS = {
    "server 10.0.0.1;", "server 10.0.0.2:8080 weight=3 max_fails=2 fail_timeout=10s;", "server \"10.1.0.7\" backup;",
    "server [::1]:81 down;", "server unix:/run/a.sock max_conns=4;", "server 'x.example':80;",
  };

  private static final String[] EXTRAS = {
    "", "least_conn;", "hash \"$host$request_uri\" consistent;", "random two least_conn;", "keepalive 8;",
    "zone shared 64k;", "zone shared;", "zone shared 128k;", "zone alone;", "# comment ; { }\n",
    "check interval=1000 rise=1 fall=2 timeout=500 type=http;", "ip_hash; least_conn;",
  };

  @TempDir Path dir;

  @RepeatedTest(8)
  void everyStateTheAdminInterfaceAcceptsLoadsAgainIdentical(RepetitionInfo repetition) throws Exception {
    long seed = 0xAD_0000L + repetition.getCurrentRepetition();
    System.out.println("AdminRestartPropertyTest seed " + seed);
    SplittableRandom random = new SplittableRandom(seed);
    Path file = dir.resolve("upstream.conf");
    HttpClient client = HttpClient.newHttpClient();
    int accepted = 0;
    // A persistence file has one owner at a time: each restart closes the registry and opens the file again.
    UpstreamRegistry registry = UpstreamRegistry.builder().persistenceFile(file).build();
    AdminServer server = AdminServer.builder(AdminHandler.of(registry)).port(0).start();
    try {
      for (int step = 0; step < 60; step++) {
        String target = "http://127.0.0.1:" + server.port() + "/upstream/" + encode(name(random));
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(target));
        if (random.nextInt(5) == 0) {
          request.DELETE();
        } else {
          request.POST(HttpRequest.BodyPublishers.ofString(commands(random)));
        }
        if (random.nextInt(4) == 0) {
          request.header("If-None-Match", "*");
        }
        HttpResponse<String> response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() == 200) {
          accepted++;
          List<String> before = configs(registry);
          server.stop();
          registry.close();
          registry = UpstreamRegistry.builder().persistenceFile(file).build();
          server = AdminServer.builder(AdminHandler.of(registry)).port(0).start();
          assertThat(configs(registry)).as("seed %s, step %s", seed, step).isEqualTo(before);
        }
      }
    } finally {
      server.stop();
      registry.close();
    }
    assertThat(accepted).as("changes accepted with seed %s", seed).isGreaterThan(12);
  }

  private static List<String> configs(UpstreamRegistry registry) {
    List<String> configs = new ArrayList<>();
    for (Upstream upstream : registry.detail()) {
      configs.add(upstream.name() + "\n" + upstream.definition().toConfig());
    }
    return configs;
  }

  private static String name(SplittableRandom random) {
    return NAME_PARTS[random.nextInt(NAME_PARTS.length)]
        + (random.nextBoolean() ? "" : NAME_PARTS[random.nextInt(NAME_PARTS.length)]);
  }

  private static String commands(SplittableRandom random) {
    StringBuilder commands = new StringBuilder();
    int servers = 1 + random.nextInt(3);
    for (int i = 0; i < servers; i++) {
      commands.append(SERVERS[random.nextInt(SERVERS.length)]).append(' ');
    }
    return commands.append(EXTRAS[random.nextInt(EXTRAS.length)]).toString();
  }

  private static String encode(String name) {
    StringBuilder out = new StringBuilder();
    for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
        out.append((char) c);
      } else {
        out.append('%').append(String.format("%02X", c));
      }
    }
    return out.toString();
  }
}
