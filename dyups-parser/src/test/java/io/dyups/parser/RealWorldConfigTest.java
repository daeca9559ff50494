package io.dyups.parser;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Varied configuration files under src/test/resources/configs, read as a user's files would be. */
class RealWorldConfigTest {
  private static Path file(String name) throws URISyntaxException {
    return Path.of(RealWorldConfigTest.class.getResource("/configs/" + name).toURI());
  }

  private static List<UpstreamBlock> upstreams(String name) throws Exception {
    return NginxConfig.load(file(name)).upstreams();
  }

  private static List<String> names(List<UpstreamBlock> blocks) {
    return blocks.stream().map(UpstreamBlock::name).toList();
  }

  @Test
  void seedConfigWithItsIncludedUpstreams() throws Exception {
    List<UpstreamBlock> blocks = upstreams("01-seed-nginx.conf");

    assertThat(names(blocks)).containsExactly("host1", "host2");
    assertThat(blocks.get(0).servers().get(0).address()).hasToString("127.0.0.1:8088");
    assertThat(blocks.get(0).servers().get(0).toConfig()).isEqualTo("server 127.0.0.1:8088;");
  }

  @Test
  void commentsAnywhereAndHashInsideAWord() throws Exception {
    NginxConfig config = NginxConfig.load(file("02-commented.conf"));
    List<UpstreamBlock> blocks = config.upstreams();

    assertThat(names(blocks)).containsExactly("payments");
    UpstreamBlock payments = blocks.get(0);
    assertThat(payments.balancing()).isEqualTo(new Balancing.LeastConn());
    assertThat(payments.servers()).hasSize(3);
    assertThat(payments.servers().get(0).weight()).isEqualTo(3);
    assertThat(payments.servers().get(0).failTimeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(payments.servers().get(2).backup()).isTrue();
    assertThat(payments.keepalive().connections()).isEqualTo(32);
    assertThat(config.directives().get(1).name()).isEqualTo("upstream#not-a-comment-here");
  }

  @Test
  void quotedNamesKeysAndParameters() throws Exception {
    UpstreamBlock block = upstreams("03-quotes.conf").get(0);

    assertThat(block.name()).isEqualTo("quoted-name");
    assertThat(block.balancing()).isEqualTo(new Balancing.Hash("$request_uri$arg_user", true));
    assertThat(block.servers().get(1).weight()).isEqualTo(2);
    assertThat(block.servers().get(2).maxFails()).isZero();
  }

  @Test
  void ipv6Addresses() throws Exception {
    UpstreamBlock block = upstreams("04-ipv6.conf").get(0);

    assertThat(block.servers()).extracting(s -> s.address().toString())
        .containsExactly("[::1]:8080", "[2001:db8::10]:8080", "[fe80::1]:80", "192.0.2.1:8080");
    assertThat(block.servers().get(3).down()).isTrue();
  }

  @Test
  void unixSockets() throws Exception {
    UpstreamBlock block = upstreams("05-unix.conf").get(0);

    assertThat(block.servers()).extracting(s -> s.address().host())
        .containsExactly("/run/app/one.sock", "/run/app/two.sock", "/run/app/with space.sock");
    assertThat(block.servers().get(1).maxConns()).isEqualTo(100);
  }

  @Test
  void upstreamsNestedInHttpAndStreamOfAFullConfig() throws Exception {
    NginxConfig config = NginxConfig.parse(java.nio.file.Files.readString(file("06-http-nested.conf")), "nginx.conf");

    assertThat(names(config.upstreams())).containsExactly("api", "static", "dns");
    assertThat(config.upstreams().get(1).balancing()).isEqualTo(new Balancing.IpHash());
    Directive http = config.directives().get(3);
    assertThat(http.name()).isEqualTo("http");
    assertThat(http.children().get(0).name()).isEqualTo("include");
    Directive server = http.children().get(4);
    assertThat(server.children().get(3).args()).containsExactly("~*", "\\.(png|jpg)$");
    assertThat(server.children().get(4).args()).containsExactly("=", "/health");
    assertThat(server.children().get(4).children().get(0).args()).containsExactly("200", "ok\n");
    assertThat(server.children().get(5).args()).containsExactly("($http_user_agent", "~", "curl", ")");
  }

  @Test
  void globIncludesInSortedOrderSkippingHiddenFiles() throws Exception {
    NginxConfig config = NginxConfig.load(file("07-includes-main.conf"));

    // site-10 sorts after site-1 but "site-?" matches one character only.
    assertThat(names(config.upstreams())).containsExactly("a_pool", "b_pool", "site1", "site2");
    SourcePosition position = config.directives().get(0).children().get(0).position();
    assertThat(position.file()).endsWith("conf.d/a.conf".replace('/', java.io.File.separatorChar));
    assertThat(position.line()).isEqualTo(1);
  }

  @Test
  void includeCycleIsAnErrorAtTheInclude() throws Exception {
    assertThatThrownBy(() -> NginxConfig.load(file("cycle/a.conf")))
        .isInstanceOfSatisfying(ConfigSyntaxException.class, e -> {
          assertThat(e.reason()).contains("makes a cycle");
          assertThat(e.file()).endsWith("b.conf");
          assertThat(e.line()).isEqualTo(1);
          assertThat(e.column()).isEqualTo(9);
        });
  }

  @Test
  void missingIncludeIsAnErrorAtTheInclude() throws Exception {
    assertThatThrownBy(() -> NginxConfig.load(file("errors/missing-include.conf")))
        .isInstanceOfSatisfying(ConfigSyntaxException.class, e -> {
          assertThat(e.reason()).startsWith("open() \"").endsWith("does-not-exist.conf\" failed (2: No such file or directory)");
          assertThat(e.file()).endsWith("missing-include.conf");
          assertThat(e.line()).isEqualTo(2);
          assertThat(e.column()).isEqualTo(3);
        });
  }

  @Test
  void timesSizesAndKeepalive() throws Exception {
    UpstreamBlock block = upstreams("08-times-and-sizes.conf").get(0);

    assertThat(block.servers().get(0).failTimeout()).isEqualTo(Duration.ofMinutes(90));
    assertThat(block.servers().get(0).slowStart()).isEqualTo(Duration.ofMinutes(1));
    assertThat(block.servers().get(1).failTimeout()).isEqualTo(Duration.ofDays(2));
    assertThat(block.keepalive()).isEqualTo(
        new KeepaliveSettings(4, 10000, Duration.ofHours(2), Duration.ofMillis(500)));
    assertThat(block.zone()).isEqualTo(new Zone("timed", 1024 * 1024));
  }

  @Test
  void plusParametersAndHostNames() throws Exception {
    UpstreamBlock block = upstreams("09-plus-parameters.conf").get(0);

    assertThat(block.servers().get(0).address()).hasToString("backend1.example.com:80");
    assertThat(block.servers().get(0).resolve()).isTrue();
    assertThat(block.servers().get(0).route()).isEqualTo("a");
    assertThat(block.servers().get(0).service()).isEqualTo("http");
    assertThat(block.servers().get(1).drain()).isTrue();
    assertThat(block.servers().get(2).slowStart()).isEqualTo(Duration.ofSeconds(30));
  }

  @Test
  void namesThatCannotBeWrittenBackAreRejectedWhereTheyStand() {
    assertThatThrownBy(() -> upstreams("10-escapes.conf"))
        .isInstanceOfSatisfying(ConfigSyntaxException.class, e -> {
          assertThat(e.reason()).startsWith("invalid upstream name \"escaped\\-name\"");
          assertThat(e.line()).isEqualTo(1);
          assertThat(e.column()).isEqualTo(10);
        });
  }

  @Test
  void upstreamNamesAreUniqueIgnoringCase() {
    assertThatThrownBy(() -> upstreams("11-case.conf"))
        .isInstanceOfSatisfying(ConfigSyntaxException.class, e -> {
          assertThat(e.reason()).isEqualTo("duplicate upstream \"MIXED\"");
          assertThat(e.line()).isEqualTo(2);
        });
  }

  @Test
  void manyUpstreams() throws Exception {
    List<UpstreamBlock> blocks = upstreams("12-many.conf");

    assertThat(blocks).hasSize(500);
    assertThat(blocks.get(499).name()).isEqualTo("svc499");
    assertThat(blocks.get(499).servers().get(2).address()).hasToString("[2001:db8::1f4]:8080");
    assertThat(blocks.get(499).servers().get(2).backup()).isTrue();
  }

  @Test
  void badPortNamesFileLineAndColumn() {
    assertThatThrownBy(() -> upstreams("errors/bad-port.conf"))
        .isInstanceOfSatisfying(ConfigSyntaxException.class, e -> {
          assertThat(e.reason()).isEqualTo("invalid port in upstream \"10.0.0.2:99999\"");
          assertThat(e.file()).endsWith("bad-port.conf");
          assertThat(e.line()).isEqualTo(4);
          assertThat(e.column()).isEqualTo(12);
          assertThat(e.getMessage()).endsWith("bad-port.conf:4:12");
        });
  }

  @Test
  void unclosedBlockIsUnexpectedEndOfFile() {
    assertThatThrownBy(() -> upstreams("errors/unclosed.conf"))
        .isInstanceOfSatisfying(ConfigSyntaxException.class, e -> {
          assertThat(e.reason()).isEqualTo("unexpected end of file, expecting \"}\"");
          assertThat(e.line()).isEqualTo(3);
        });
  }

  @Test
  void missingMainFileIsAnIoException() {
    assertThatThrownBy(() -> NginxConfig.load(Path.of("/nonexistent/nginx.conf")))
        .isInstanceOf(IOException.class);
  }
}
