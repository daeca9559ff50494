package io.dyups.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.dyups.parser.UpstreamBlock;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.io.TempDir;

/**
 * The property behind issue 14's first defect: every state the registry accepts loads again, identical, at the
 * next start. Random names (non-ASCII letters and their case pairs, letters whose Unicode folding differs from
 * ASCII's, ASCII case pairs of the same name) and random commands (quoting, odd but legal parameters) are applied
 * with a persistence file; after every accepted change a new registry is built from that file and must hold the
 * same upstreams, in the same order, with the same definitions. Each repetition prints its seed.
 */
class RestartPropertyTest {
  private static final String[] NAME_PARTS = {
    "a", "A", "api", "API", "Api", "äpfel", "Äpfel", "ÄPFEL", "straße", "STRASSE", "ß", "ẞ", "ı", "I", "i", "İ",
    "K", "k", "\u212A", "ſ", "s", "S", "Ω", "ω", "\u2126", "ǅ", "ǆ", "Ǆ", "x-1", "x_1", "x.1", "日本", "ｆｕｌｌ", "é",
    "e\u0301", "9", "Z", "z"
  };

  private static final String[] SERVER_PARAMS = {
    "", " weight=1", " weight=100", " max_fails=0", " max_fails=1 fail_timeout=0s", " fail_timeout=1h",
    " fail_timeout=90", " max_conns=1", " down", " backup", " weight=3 max_fails=2 fail_timeout=10s max_conns=7",
  };

  private static final String[] METHODS = {
    "", "least_conn;", "ip_hash;", "hash $request_uri;", "hash \"$host$request_uri\" consistent;",
    "hash '$remote_addr';", "random;", "random two;", "random two least_conn;",
  };

  private static final String[] EXTRAS = {
    "", "keepalive 16;", "keepalive 2; keepalive_requests 7; keepalive_timeout 5s; keepalive_time 1m;",
    "zone shared 64k;", "# a comment ; { } \"\n", "check interval=1000 rise=1 fall=2 timeout=500 type=http;",
    // Zones sized elsewhere, never, or twice differently: only what a restart can load again may be accepted.
    "zone shared;", "zone shared 128k;", "zone alone;",
  };

  @TempDir Path dir;

  @RepeatedTest(20)
  void everyAcceptedStateLoadsAgainIdentical(RepetitionInfo repetition) {
    long seed = 0x5EED_0000L + repetition.getCurrentRepetition();
    System.out.println("RestartPropertyTest seed " + seed);
    SplittableRandom random = new SplittableRandom(seed);
    Path file = dir.resolve("upstream-" + repetition.getCurrentRepetition() + ".conf");
    int accepted = 0;
    // One registry owns the file at a time, as one process does: after each accepted change it stops, the next
    // start must hold the same state, and the changes go on from that start.
    UpstreamRegistry registry = UpstreamRegistry.builder().persistenceFile(file).build();
    try {
      for (int step = 0; step < 60; step++) {
        String name = name(random);
        Result result = random.nextInt(6) == 0 ? registry.deleteUpstream(name)
            : registry.updateUpstream(name, commands(random));
        if (result.isSuccess()) {
          accepted++;
          List<String> before = configs(registry);
          registry.close();
          registry = UpstreamRegistry.builder().persistenceFile(file).build();
          assertThat(configs(registry)).as("seed %s, step %s", seed, step).isEqualTo(before);
        }
      }
    } finally {
      registry.close();
    }
    assertThat(accepted).as("changes accepted with seed %s", seed).isGreaterThan(15);
  }

  private static List<String> configs(UpstreamRegistry registry) {
    List<String> configs = new ArrayList<>();
    for (Upstream upstream : registry.detail()) {
      UpstreamBlock definition = upstream.definition();
      configs.add(upstream.name() + "\n" + definition.toConfig());
    }
    return configs;
  }

  private static String name(SplittableRandom random) {
    StringBuilder name = new StringBuilder();
    int parts = 1 + random.nextInt(2);
    for (int i = 0; i < parts; i++) {
      name.append(NAME_PARTS[random.nextInt(NAME_PARTS.length)]);
    }
    return name.toString();
  }

  private static String commands(SplittableRandom random) {
    StringBuilder commands = new StringBuilder(METHODS[random.nextInt(METHODS.length)]);
    int servers = 1 + random.nextInt(4);
    for (int i = 0; i < servers; i++) {
      String address = switch (random.nextInt(4)) {
        case 0 -> "10.0." + random.nextInt(256) + "." + random.nextInt(256) + ":" + (1 + random.nextInt(65535));
        case 1 -> "[::" + Integer.toHexString(1 + random.nextInt(0xffff)) + "]:8080";
        case 2 -> "unix:/run/app-" + random.nextInt(100) + ".sock";
        default -> "\"10.1.0." + random.nextInt(256) + "\"";
      };
      commands.append(" server ").append(address).append(SERVER_PARAMS[random.nextInt(SERVER_PARAMS.length)])
          .append(';');
    }
    commands.append(EXTRAS[random.nextInt(EXTRAS.length)]);
    return commands.toString();
  }
}
