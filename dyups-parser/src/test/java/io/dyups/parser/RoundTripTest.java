package io.dyups.parser;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Writing back: generated models and trees, written as nginx text, parse back to equal values. Each repetition
 * uses its own seed, so a failure names the seed that reproduces it.
 */
class RoundTripTest {
  private static final String WORD_CHARS = "abcXYZ019._-:/$=@ \t\n;{}#\"'\\()ü";

  @RepeatedTest(300)
  void upstreamBlockReadsBackEqual(RepetitionInfo repetition) {
    Random random = new Random(repetition.getCurrentRepetition());
    UpstreamBlock block = randomBlock(random);

    // nginx wants a size for a zone somewhere in the configuration: another upstream may give it.
    String sizedElsewhere = block.zone() != null && block.zone().size() == 0
        ? "upstream sized { zone " + block.zone().name() + " 64k; server 10.0.0.1; }\n" : "";
    UpstreamBlock fromConfig = NginxConfig.parse(block.toConfig() + sizedElsewhere, "t").upstreams().get(0);
    UpstreamBlock fromCommands = UpstreamBlock.fromCommands(block.name(), block.toCommands());

    assertThat(fromConfig).as("seed %s:%n%s", repetition.getCurrentRepetition(), block.toConfig())
        .isEqualTo(block);
    assertThat(fromCommands).isEqualTo(block);
  }

  @RepeatedTest(300)
  void directiveTreeReadsBackEqual(RepetitionInfo repetition) {
    Random random = new Random(1000 + repetition.getCurrentRepetition());
    List<Directive> tree = randomTree(random, 0);

    String text = NginxConfig.write(tree);
    List<Directive> back = NginxConfig.parse(text, "t").directives();

    assertThat(TokenizerTest.render(back)).as("seed %s:%n%s", repetition.getCurrentRepetition(), text)
        .isEqualTo(TokenizerTest.render(tree));
  }

  @Test
  void writesOnlyParametersThatDifferFromDefaults() {
    UpstreamBlock block = UpstreamBlock.fromCommands("api",
        "least_conn; server 10.0.0.1:80 weight=2 max_fails=1 fail_timeout=10s; server [::1]:81 backup;"
            + " server unix:/run/app.sock max_conns=5 fail_timeout=90s; keepalive 8;");

    assertThat(block.toConfig()).isEqualTo("upstream api {\n"
        + "    least_conn;\n"
        + "    keepalive 8;\n"
        + "    server 10.0.0.1:80 weight=2;\n"
        + "    server [::1]:81 backup;\n"
        + "    server unix:/run/app.sock fail_timeout=1m30s max_conns=5;\n"
        + "}\n");
  }

  @ParameterizedTest
  @ValueSource(strings = {"unix", "UNIX"})
  void aServerHostNamedUnixReadsBackAsAHostNotAsASocket(String host) {
    UpstreamBlock block = UpstreamBlock.fromCommands("u", "server " + host + ";");

    assertThat(block.servers().get(0).address()).isEqualTo(new Address(Address.Kind.HOST, host, 80));
    assertThat(block.toConfig()).isEqualTo("upstream u {\n    server " + host + ";\n}\n");
    assertThat(NginxConfig.parse(block.toConfig(), "t").upstreams()).containsExactly(block);
  }

  @Test
  void aHostNamedUnixCannotHaveAPortOtherThan80BecauseNginxCouldNotReadItBack() {
    assertThatThrownBy(() -> new Address(Address.Kind.HOST, "Unix", 8080))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("can only have port 80");
  }

  @Test
  void quotesOnlyWhereNeeded() {
    Directive directive = new Directive("set", List.of("$a", "b c", "", "x;y", "q\"r"),
        List.of(pos(), pos(), pos(), pos(), pos()), null, pos());

    assertThat(NginxConfig.write(List.of(directive))).isEqualTo("set $a \"b c\" \"\" \"x;y\" \"q\\\"r\";\n");
  }

  private static SourcePosition pos() {
    return new SourcePosition("t", 1, 1);
  }

  static UpstreamBlock randomBlock(Random random) {
    Balancing balancing = switch (random.nextInt(6)) {
      case 0 -> new Balancing.IpHash();
      case 1 -> new Balancing.Hash(random.nextBoolean() ? "$request_uri" : "$remote_addr$arg_id",
          random.nextBoolean());
      case 2 -> new Balancing.LeastConn();
      case 3 -> new Balancing.Random(random.nextBoolean());
      default -> new Balancing.RoundRobin();
    };
    boolean backupAllowed = balancing instanceof Balancing.RoundRobin || balancing instanceof Balancing.LeastConn;
    List<ServerSpec> servers = new ArrayList<>();
    int count = 1 + random.nextInt(6);
    Zone zone = random.nextInt(3) == 0 ? new Zone("z" + random.nextInt(9),
        random.nextBoolean() ? 0 : 32768L * (1 + random.nextInt(1000))) : null;
    for (int i = 0; i < count; i++) {
      boolean backup = i > 0 && backupAllowed && random.nextInt(4) == 0;
      Address address = randomAddress(random);
      // A name looked up at run time needs a zone; a service also a name without a port.
      boolean resolve = random.nextInt(8) == 0 && (zone != null || address.kind() != Address.Kind.HOST);
      boolean service = resolve && address.kind() == Address.Kind.HOST && random.nextBoolean();
      if (service) {
        address = new Address(Address.Kind.HOST, address.host(), 80);
      }
      servers.add(new ServerSpec(address, 1 + random.nextInt(random.nextBoolean() ? 3 : 1000),
          random.nextInt(5), Duration.ofSeconds(random.nextInt(4) == 0 ? random.nextInt(100_000) : 10),
          random.nextInt(3) == 0 ? random.nextInt(500) : 0, backup, random.nextInt(6) == 0,
          // slow_start only where NGINX Plus takes it (as backup).
          Duration.ofSeconds(backupAllowed && random.nextInt(5) == 0 ? random.nextInt(300) : 0),
          random.nextInt(8) == 0,
          resolve, random.nextInt(8) == 0 ? "r" + random.nextInt(9) : null, service ? "http svc" : null));
    }
    KeepaliveSettings keepalive = random.nextBoolean() ? KeepaliveSettings.DEFAULT : new KeepaliveSettings(
        random.nextInt(64), random.nextInt(5000), Duration.ofMillis(random.nextInt(10_000_000)),
        Duration.ofMillis(random.nextInt(100_000)));
    HealthCheck check = random.nextInt(3) == 0 ? randomHealthCheck(random) : null;
    ResolverSpec resolver = random.nextInt(4) == 0 ? new ResolverSpec(
        List.of(new Address(Address.Kind.IPV4, "10.0.0." + random.nextInt(255), 53 + random.nextInt(2)),
            new Address(Address.Kind.IPV6, "::1", 5353)),
        random.nextBoolean() ? Duration.ofSeconds(random.nextInt(600)) : null, true, random.nextBoolean()) : null;
    Duration resolverTimeout = random.nextInt(4) == 0 ? Duration.ofMillis(random.nextInt(60_000)) : null;
    return new UpstreamBlock("u" + random.nextInt(1000), balancing, servers, keepalive, zone, check, resolver,
        resolverTimeout);
  }

  private static HealthCheck randomHealthCheck(Random random) {
    HealthCheck.Type[] types = HealthCheck.Type.values();
    HealthCheck.StatusClass[] classes = HealthCheck.StatusClass.values();
    EnumSet<HealthCheck.StatusClass> alive = EnumSet.noneOf(HealthCheck.StatusClass.class);
    do {
      alive.add(classes[random.nextInt(classes.length)]);
    } while (random.nextBoolean());
    String send = switch (random.nextInt(3)) {
      case 0 -> HealthCheck.DEFAULT_HTTP_SEND;
      case 1 -> "HEAD /health HTTP/1.1\r\nHost: a b\r\nConnection: keep-alive\r\n\r\n";
      default -> randomWord(random) + "x";
    };
    return new HealthCheck(types[random.nextInt(types.length)], Duration.ofMillis(1 + random.nextInt(100_000)),
        Duration.ofMillis(1 + random.nextInt(10_000)), 1 + random.nextInt(10), 1 + random.nextInt(10),
        random.nextBoolean(), random.nextBoolean() ? 0 : 1 + random.nextInt(65535), send, alive,
        random.nextBoolean() ? 1 : 1 + random.nextInt(1000));
  }

  private static Address randomAddress(Random random) {
    int port = 1 + random.nextInt(65535);
    return switch (random.nextInt(4)) {
      case 0 -> new Address(Address.Kind.IPV4,
          random.nextInt(256) + "." + random.nextInt(256) + "." + random.nextInt(256) + "." + random.nextInt(256),
          port);
      case 1 -> new Address(Address.Kind.IPV6, random.nextBoolean() ? "::1" : "2001:db8::" + random.nextInt(99),
          port);
      case 2 -> new Address(Address.Kind.HOST, "backend-" + random.nextInt(99) + ".example", port);
      default -> new Address(Address.Kind.UNIX, "/tmp/s " + random.nextInt(99) + ".sock", 0);
    };
  }

  private static List<Directive> randomTree(Random random, int depth) {
    List<Directive> result = new ArrayList<>();
    int count = 1 + random.nextInt(depth == 0 ? 5 : 3);
    for (int i = 0; i < count; i++) {
      int args = random.nextInt(4);
      List<String> values = new ArrayList<>();
      List<SourcePosition> positions = new ArrayList<>();
      for (int a = 0; a < args; a++) {
        values.add(randomWord(random));
        positions.add(pos());
      }
      List<Directive> block = depth < 3 && random.nextInt(3) == 0 ? randomTree(random, depth + 1) : null;
      result.add(new Directive(randomWord(random), values, positions, block, pos()));
    }
    return result;
  }

  private static String randomWord(Random random) {
    int length = random.nextInt(8);
    StringBuilder word = new StringBuilder();
    for (int i = 0; i < length; i++) {
      word.append(WORD_CHARS.charAt(random.nextInt(WORD_CHARS.length())));
    }
    return word.toString();
  }
}
