package io.dyups.parser;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Rules that span directives or blocks: a shared memory zone needs one size somewhere ({@code
 * ngx_shared_memory_add}, {@code ngx_init_cycle}), and a second balancing method is a warning, as nginx logs it.
 */
class ZoneAndMethodTest {
  @Test
  void aZoneWithoutASizeAnywhereIsAZeroSizeZone() {
    String text = "upstream a { zone z; server 10.0.0.1; }\nupstream b {\n  zone z;\n  server 10.0.0.2; }\n";

    assertThatThrownBy(() -> NginxConfig.parse(text, "t.conf").upstreams())
        .isInstanceOfSatisfying(ConfigSyntaxException.class, e -> assertThat(e.getMessage())
            .isEqualTo("zero size shared memory zone \"z\" in t.conf:1:14"));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '~', value = {
      "upstream a { zone z; server 10.0.0.1; } upstream b { zone z 64k; server 10.0.0.2; }",
      "upstream a { zone z 64k; server 10.0.0.1; } upstream b { zone z; server 10.0.0.2; }",
      "upstream a { zone z 64k; server 10.0.0.1; } upstream b { zone z 64k; server 10.0.0.2; }",
  })
  void aZoneMayBeSharedWithItsSizeGivenOnce(String text) {
    List<UpstreamBlock> blocks = NginxConfig.parse(text, "t.conf").upstreams();

    assertThat(blocks).extracting(block -> block.zone().name()).containsExactly("z", "z");
  }

  @Test
  void aZoneNamedWithTwoSizesIsRefusedAtTheSecond() {
    String text = "upstream a { zone z 64k; server 10.0.0.1; }\nupstream b { zone z 128k; server 10.0.0.2; }\n";

    assertThatThrownBy(() -> NginxConfig.parse(text, "t.conf").upstreams())
        .isInstanceOfSatisfying(ConfigSyntaxException.class, e -> assertThat(e.getMessage())
            .isEqualTo("the size 131072 of shared memory zone \"z\" conflicts with already declared size 65536"
                + " in t.conf:2:21"));
  }

  @Test
  void zoneNamesAreCaseSensitive() {
    String text = "upstream a { zone Z 64k; server 10.0.0.1; } upstream b { zone z; server 10.0.0.2; }";

    assertThatThrownBy(() -> NginxConfig.parse(text, "t.conf").upstreams())
        .isInstanceOfSatisfying(ConfigSyntaxException.class, e -> assertThat(e.reason())
            .isEqualTo("zero size shared memory zone \"z\""));
  }

  @Test
  void theCommandsOfOneUpstreamMayNameAZoneWithoutASize() {
    assertThat(UpstreamBlock.fromCommands("u", "zone z; server 10.0.0.1;").zone()).isEqualTo(new Zone("z", 0));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '~', value = {
      "ip_hash; least_conn; server a;~1~10",
      "hash $uri; random; server a;~1~12",
      "least_conn; least_conn; server a;~1~13",
      "server a; keepalive 8;\\nleast_conn;~2~1",
      "keepalive 8; hash $uri consistent; server a;~1~14",
  })
  void aSecondBalancingMethodIsAWarningAndTheLastWins(String commands, int line, int column) {
    List<ConfigWarning> warnings = new ArrayList<>();

    UpstreamBlock block = UpstreamBlock.fromCommands("u", commands.replace("\\n", "\n"), warnings::add);

    assertThat(warnings).containsExactly(new ConfigWarning("load balancing method redefined",
        new SourcePosition(UpstreamBlock.COMMANDS_SOURCE, line, column)));
    assertThat(warnings.get(0)).hasToString("load balancing method redefined in commands:" + line + ":" + column);
    assertThat(block.balancing()).isNotEqualTo(new Balancing.RoundRobin());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '~', value = {
      "least_conn; keepalive 8; server a;",
      "hash $uri; server a; zone z 64k;",
      "server a; random two;",
      "server a;",
  })
  void oneMethodBeforeKeepaliveIsNoWarning(String commands) {
    List<ConfigWarning> warnings = new ArrayList<>();

    UpstreamBlock.fromCommands("u", commands, warnings::add);

    assertThat(warnings).isEmpty();
  }

  @Test
  void warningsOfAFileComeWithEachUpstream() throws Exception {
    java.nio.file.Path file = java.nio.file.Files.createTempFile("parser-warnings-", ".conf");
    try {
      java.nio.file.Files.writeString(file,
          "upstream a { ip_hash; server 10.0.0.1; }\nupstream b { ip_hash; hash $uri; server 10.0.0.2; }\n");
      List<String> seen = new ArrayList<>();

      NginxConfig.forEachUpstream(file, block -> seen.add(block.name()), warning -> seen.add(warning.toString()));

      assertThat(seen).containsExactly("a", "load balancing method redefined in " + file + ":2:23", "b");
    } finally {
      java.nio.file.Files.delete(file);
    }
  }
}
