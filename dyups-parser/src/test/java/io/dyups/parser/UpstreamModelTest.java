package io.dyups.parser;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The upstream model: nginx's defaults, every server parameter and directive, and nginx's words for what it
 * rejects. The error rows were produced by nginx 1.22.1 ({@code nginx -t} on the same upstream block); where
 * nginx only resolves a name at start (host names) or lacks a parameter (slow_start, drain, route, service are
 * NGINX Plus), we accept as the issue asks.
 */
class UpstreamModelTest {
  private static UpstreamBlock commands(String text) {
    return UpstreamBlock.fromCommands("u", text);
  }

  private static ServerSpec server(String line) {
    return commands(line).servers().get(0);
  }

  @Test
  void seedCommandsGiveTwoServersWithNginxDefaults() {
    UpstreamBlock block = commands("server 127.0.0.1:8089;server 127.0.0.1:8088;");

    assertThat(block.name()).isEqualTo("u");
    assertThat(block.balancing()).isEqualTo(new Balancing.RoundRobin());
    assertThat(block.servers()).containsExactly(
        ServerSpec.of(new Address(Address.Kind.IPV4, "127.0.0.1", 8089)),
        ServerSpec.of(new Address(Address.Kind.IPV4, "127.0.0.1", 8088)));
    ServerSpec first = block.servers().get(0);
    assertThat(first.weight()).isEqualTo(1);
    assertThat(first.maxFails()).isEqualTo(1);
    assertThat(first.failTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(first.maxConns()).isZero();
    assertThat(block.keepalive()).isEqualTo(KeepaliveSettings.DEFAULT);
    assertThat(block.zone()).isNull();
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(delimiter = '~', value = {
      "127.0.0.1:8080~IPV4~127.0.0.1~8080~127.0.0.1:8080",
      "127.0.0.1~IPV4~127.0.0.1~80~127.0.0.1:80",
      "[::1]:8080~IPV6~::1~8080~[::1]:8080",
      "[::1]~IPV6~::1~80~[::1]:80",
      "[2001:db8::1]:443~IPV6~2001:db8::1~443~[2001:db8::1]:443",
      "backend.local~HOST~backend.local~80~backend.local:80",
      "backend-1.example.com:9000~HOST~backend-1.example.com~9000~backend-1.example.com:9000",
      "a_b.example:80~HOST~a_b.example~80~a_b.example:80",
      "backend.local.:8080~HOST~backend.local.~8080~backend.local.:8080",
      "a-b.c-d~HOST~a-b.c-d~80~a-b.c-d:80",
      "unix:/tmp/backend.sock~UNIX~/tmp/backend.sock~0~unix:/tmp/backend.sock",
      "127.0.0.1:1~IPV4~127.0.0.1~1~127.0.0.1:1",
      "127.0.0.1:65535~IPV4~127.0.0.1~65535~127.0.0.1:65535",
  })
  void readsAddresses(String text, Address.Kind kind, String host, int port, String canonical) {
    Address address = server("server " + text + ";").address();

    assertThat(address.kind()).isEqualTo(kind);
    assertThat(address.host()).isEqualTo(host);
    assertThat(address.port()).isEqualTo(port);
    assertThat(address).hasToString(canonical);
    assertThat(Address.parse(text)).isEqualTo(address);
  }

  @Test
  void readsEveryServerParameter() {
    ServerSpec spec = server("zone z; server backend.local weight=5 max_fails=3 fail_timeout=1h30m max_conns=100 "
        + "slow_start=30s route=r1 service=http resolve drain down;");

    assertThat(spec).isEqualTo(new ServerSpec(new Address(Address.Kind.HOST, "backend.local", 80), 5, 3,
        Duration.ofMinutes(90), 100, false, true, Duration.ofSeconds(30), true, true, "r1", "http"));
  }

  @Test
  void readsBackupWithRoundRobin() {
    UpstreamBlock block = commands("server a:1; server b:1 backup;");

    assertThat(block.servers().get(1).backup()).isTrue();
  }

  @Test
  void lastParameterOfTheSameNameWins() {
    assertThat(server("server a weight=2 weight=3;").weight()).isEqualTo(3);
  }

  @ParameterizedTest(name = "fail_timeout={0}")
  @CsvSource({"10,10000", "10s,10000", "1m,60000", "1h30m,5400000", "1h30m5s,5405000", "2d,172800000",
      "1w,604800000", "1M,2592000000", "1y,31536000000", "0,0"})
  void readsTimesInSeconds(String text, long millis) {
    assertThat(server("server a fail_timeout=" + text + ";").failTimeout()).isEqualTo(Duration.ofMillis(millis));
  }

  @ParameterizedTest(name = "keepalive_timeout {0}")
  @CsvSource({"500ms,500", "5s,5000", "1m30s,90000", "75,75000", "1h,3600000"})
  void readsTimesInMilliseconds(String text, long millis) {
    UpstreamBlock block = commands("server a; keepalive_timeout " + text + ";");

    assertThat(block.keepalive().timeout()).isEqualTo(Duration.ofMillis(millis));
  }

  @Test
  void readsBalancingAndKeepaliveDirectives() {
    assertThat(commands("ip_hash; server a;").balancing()).isEqualTo(new Balancing.IpHash());
    assertThat(commands("least_conn; server a;").balancing()).isEqualTo(new Balancing.LeastConn());
    assertThat(commands("hash $request_uri; server a;").balancing())
        .isEqualTo(new Balancing.Hash("$request_uri", false));
    assertThat(commands("hash $request_uri consistent; server a;").balancing())
        .isEqualTo(new Balancing.Hash("$request_uri", true));
    assertThat(commands("random; server a;").balancing()).isEqualTo(new Balancing.Random(false));
    assertThat(commands("random two; server a;").balancing()).isEqualTo(new Balancing.Random(true));
    assertThat(commands("random two least_conn; server a;").balancing()).isEqualTo(new Balancing.Random(true));
    UpstreamBlock block = commands("server a; keepalive 16; keepalive_requests 100; keepalive_time 2h;"
        + " keepalive_timeout 30s; zone backends 64k;");
    assertThat(block.keepalive()).isEqualTo(
        new KeepaliveSettings(16, 100, Duration.ofHours(2), Duration.ofSeconds(30)));
    assertThat(block.zone()).isEqualTo(new Zone("backends", 64 * 1024));
  }

  @Test
  void redefinedMethodWarnsInNginxAndTheLastWins() {
    assertThat(commands("ip_hash; least_conn; server a;").balancing()).isEqualTo(new Balancing.LeastConn());
  }

  @Test
  void backupBeforeAHashMethodIsAcceptedAsNginxDoes() {
    UpstreamBlock block = commands("server a backup; server b; hash $uri;");

    assertThat(block.balancing()).isEqualTo(new Balancing.Hash("$uri", false));
    assertThat(block.servers().get(0).backup()).isTrue();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '~', value = {
      "server 1.2.3.4:99999;~invalid port in upstream \"1.2.3.4:99999\"~1~8",
      "server 1.2.3.4:0;~invalid port in upstream \"1.2.3.4:0\"~1~8",
      "server 1.2.3.4:;~invalid port in upstream \"1.2.3.4:\"~1~8",
      "server 1.2.3.4:80a;~invalid port in upstream \"1.2.3.4:80a\"~1~8",
      "server 1.2.3.4:80:90;~invalid port in upstream \"1.2.3.4:80:90\"~1~8",
      "server ::1;~invalid port in upstream \"::1\"~1~8",
      "server [::1]:0;~invalid port in upstream \"[::1]:0\"~1~8",
      "server [::1;~invalid host in upstream \"[::1\"~1~8",
      "server 1.2.3.4/x;~invalid host in upstream \"1.2.3.4/x\"~1~8",
      "server http://1.2.3.4;~invalid host in upstream \"http://1.2.3.4\"~1~8",
      "server -host:80;~host not found in upstream \"-host:80\"~1~8",
      "server host..:80;~host not found in upstream \"host..:80\"~1~8",
      "server host-.example;~host not found in upstream \"host-.example\"~1~8",
      "server .host;~host not found in upstream \".host\"~1~8",
      "server .;~host not found in upstream \".\"~1~8",
      "server a.-b:8080;~host not found in upstream \"a.-b:8080\"~1~8",
      "server unix:;~no path in the unix domain socket in upstream \"unix:\"~1~8",
      "server 1.2.3.4 weight=abc;~invalid parameter \"weight=abc\"~1~16",
      "server 1.2.3.4 weight=0;~invalid parameter \"weight=0\"~1~16",
      "server 1.2.3.4 weight=-1;~invalid parameter \"weight=-1\"~1~16",
      "server 1.2.3.4 weight=99999999999999999999;~invalid parameter \"weight=99999999999999999999\"~1~16",
      "server 1.2.3.4 max_fails=-1;~invalid parameter \"max_fails=-1\"~1~16",
      "server 1.2.3.4 max_fails=;~invalid parameter \"max_fails=\"~1~16",
      "server 1.2.3.4 max_conns=x;~invalid parameter \"max_conns=x\"~1~16",
      "server 1.2.3.4 fail_timeout=500ms;~invalid parameter \"fail_timeout=500ms\"~1~16",
      "server 1.2.3.4 fail_timeout=30m1h;~invalid parameter \"fail_timeout=30m1h\"~1~16",
      "server 1.2.3.4 fail_timeout=;~invalid parameter \"fail_timeout=\"~1~16",
      "server 1.2.3.4 foo;~invalid parameter \"foo\"~1~16",
      "server;~invalid number of arguments in \"server\" directive~1~1",
      "ip_hash; server 1.2.3.4 backup;~balancing method does not support parameter \"backup\"~1~25",
      "random; server 1.2.3.4 backup;~balancing method does not support parameter \"backup\"~1~24",
      "hash $uri; server 1.2.3.4 backup;~balancing method does not support parameter \"backup\"~1~27",
      "server 1.2.3.4 backup;~no servers in upstream \"u\"~1~1",
      "server 1.2.3.4 backup; ip_hash;~no servers in upstream \"u\"~1~1",
      "~no servers are inside upstream~1~1",
      "hash; server 1.2.3.4;~invalid number of arguments in \"hash\" directive~1~1",
      "hash $a b; server 1.2.3.4;~invalid parameter \"b\"~1~9",
      "random three; server 1.2.3.4;~invalid parameter \"three\"~1~8",
      "random two foo; server 1.2.3.4;~invalid parameter \"foo\"~1~12",
      "ip_hash x; server 1.2.3.4;~invalid number of arguments in \"ip_hash\" directive~1~1",
      "keepalive 0; server 1.2.3.4;~invalid value \"0\" in \"keepalive\" directive~1~11",
      "keepalive 2; keepalive 3; server 1.2.3.4;~\"keepalive\" directive is duplicate~1~14",
      "keepalive_requests x; server 1.2.3.4;~\"keepalive_requests\" directive invalid number~1~20",
      "keepalive_timeout 5x; server 1.2.3.4;~\"keepalive_timeout\" directive invalid value~1~19",
      "keepalive_time 1y; server 1.2.3.4;~\"keepalive_time\" directive invalid value~1~16",
      "zone z 1x; server 1.2.3.4;~invalid zone size \"1x\"~1~8",
      "zone z 1k; server 1.2.3.4;~zone \"z\" is too small~1~8",
      "foo; server 1.2.3.4;~unknown directive \"foo\"~1~1",
      "server 1.2.3.4; include /etc/passwd;~unknown directive \"include\"~1~17",
      "server 1.2.3.4 { }~directive \"server\" is not terminated by \";\"~1~1",
      "server 1.2.3.4;\\n  server 1.2.3.5 weight=x;~invalid parameter \"weight=x\"~2~18",
      "server 1.2.3.4~unexpected end of file, expecting \";\" or \"}\"~1~15",
      "server 1.2.3.4; }~unexpected \"}\"~1~17",
  })
  void rejectsWithNginxWordsAndPosition(String commands, String reason, int line, int column) {
    String text = commands == null ? "" : commands.replace("\\n", "\n");
    assertThatThrownBy(() -> commands(text))
        .isInstanceOfSatisfying(ConfigSyntaxException.class, e -> {
          assertThat(e.reason()).isEqualTo(reason);
          assertThat(e.file()).isEqualTo(UpstreamBlock.COMMANDS_SOURCE);
          assertThat(e.line()).isEqualTo(line);
          assertThat(e.column()).isEqualTo(column);
        });
  }

  @ParameterizedTest(name = "\"{0}\"")
  @ValueSource(strings = {"", "a b", "a;b", "a{", "a}", "a\"b", "a'b", "a#b", "$host", "a/b", "a\\b", "a\nb",
      "a\u0000b", "a\tb", ".", "..", "a\ud800b", "\udfff"})
  void rejectsNamesThatCouldNotBeWrittenBack(String name) {
    assertThatThrownBy(() -> UpstreamBlock.fromCommands(name, "server a;"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("invalid upstream name");
  }

  @Test
  void rejectsAHostNameLongerThan253Characters() {
    String host = "a".repeat(254);

    assertThatThrownBy(() -> commands("server " + host + ";"))
        .isInstanceOfSatisfying(ConfigSyntaxException.class, e -> assertThat(e.getMessage())
            .startsWith("invalid host in upstream \"aaaa").endsWith("aaa\" in commands:1:8"));
    String longest = String.join(".", "a".repeat(63), "b".repeat(63), "c".repeat(63), "d".repeat(61));
    assertThat(commands("server " + longest + ";").servers()).hasSize(1);
  }

  @Test
  void rejectsAUnixSocketPathThatDoesNotFitSunPath() {
    String path = "/" + "s".repeat(107);

    assertThatThrownBy(() -> commands("server unix:" + path + ";"))
        .isInstanceOfSatisfying(ConfigSyntaxException.class, e -> assertThat(e.reason())
            .isEqualTo("too long path in the unix domain socket in upstream \"unix:" + path + "\""));
    assertThat(commands("server unix:" + path.substring(1) + ";").servers()).hasSize(1);
  }

  @Test
  void rejectsALoneSurrogateWithItsPosition() {
    assertThatThrownBy(() -> commands("server 10.0.0.1;\nhash $a\ud800;"))
        .isInstanceOfSatisfying(ConfigSyntaxException.class, e -> {
          assertThat(e.reason()).isEqualTo("invalid character U+D800 (a lone surrogate)");
          assertThat(e.line()).isEqualTo(2);
          assertThat(e.column()).isEqualTo(8);
        });
  }

  @Test
  void aRefusedNameIsQuotedWithItsControlCharactersEscaped() {
    assertThatThrownBy(() -> UpstreamBlock.checkName("a\u0085b\u001b"))
        .hasMessage("invalid upstream name \"a\\x85b\\x1b\": whitespace or control character");
  }

  @Test
  void rejectsNamesLongerThan255Bytes() {
    assertThatThrownBy(() -> UpstreamBlock.checkName("é".repeat(128)))
        .hasMessageContaining("longer than 255 bytes");
    UpstreamBlock.checkName("a".repeat(255));
  }

  @Test
  void acceptsUsualNames() {
    for (String name : new String[] {"host1", "dyhost", "api.example.com", "svc-1_a", "UPPER", "ünïcode"}) {
      assertThat(UpstreamBlock.fromCommands(name, "server a;").name()).isEqualTo(name);
    }
  }
}
