package io.dyups.parser;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * The {@code resolve} and {@code service=} parameters and the {@code resolver} and {@code resolver_timeout}
 * directives of an upstream block, with nginx's rules (ngx_http_upstream_server, ngx_http_upstream_resolver,
 * ngx_resolver_create, ngx_http_upstream_init_round_robin) and its messages.
 */
class ResolveRulesTest {
  private static UpstreamBlock commands(String text) {
    return UpstreamBlock.fromCommands("u", text);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "server backend.local service=http;|service upstream \"backend.local\" requires \"resolve\" parameter",
      "zone z; server backend.local:8080 service=http resolve;|service upstream \"backend.local:8080\" may not have port",
      "zone z; server 10.0.0.1 service=http resolve;|service upstream \"10.0.0.1\" requires domain name",
      "zone z; server [::1] service=http resolve;|service upstream \"[::1]\" requires domain name",
      "zone z; server b service= resolve;|invalid parameter \"service=\"",
      "server backend.local resolve;|resolving names at run time requires upstream \"u\" to be in shared memory",
      "zone z; resolver;|invalid number of arguments in \"resolver\" directive",
      "zone z; resolver 10.0.0.1; resolver 10.0.0.2;|\"resolver\" directive is duplicate",
      "zone z; resolver 10.0.0.1 valid=x;|invalid parameter: valid=x",
      "zone z; resolver 10.0.0.1 ipv6=maybe;|invalid parameter: ipv6=maybe",
      "zone z; resolver 10.0.0.1 ipv4=off ipv6=off;|\"ipv4\" and \"ipv6\" cannot both be \"off\"",
      "zone z; resolver 10.0.0.1:70000;|invalid port in resolver \"10.0.0.1:70000\"",
      "zone z; resolver unix:/run/dns.sock;|invalid host in resolver \"unix:/run/dns.sock\"",
      "zone z; resolver_timeout 5s; resolver_timeout 6s;|\"resolver_timeout\" directive is duplicate",
      "zone z; resolver_timeout soon;|\"resolver_timeout\" directive invalid value",
  })
  void isRefusedInNginxWords(String text, String reason) {
    assertThatThrownBy(() -> commands(text + " server 10.0.0.9;"))
        .isInstanceOfSatisfying(ConfigSyntaxException.class, e -> assertThat(e.reason()).isEqualTo(reason));
  }

  @Test
  void anAddressWithResolveNeedsNoZone() {
    assertThat(commands("server 10.0.0.1 resolve;").servers().get(0).resolvesAtRunTime()).isFalse();
  }

  @Test
  void readsAServiceOfAName() {
    ServerSpec spec = commands("zone z; server backend.local service=_http._tcp resolve;").servers().get(0);

    assertThat(spec.service()).isEqualTo("_http._tcp");
    assertThat(spec.resolvesAtRunTime()).isTrue();
    assertThat(spec.toConfig()).isEqualTo("server backend.local service=_http._tcp resolve;");
  }

  @Test
  void readsTheResolverDirectives() {
    UpstreamBlock block = commands("zone z 64k; resolver 10.0.0.53 [::1]:5353 ns.local valid=30s ipv6=off;"
        + " resolver_timeout 5s; server backend.local:8080 resolve;");

    assertThat(block.resolver()).isEqualTo(new ResolverSpec(List.of(
        new Address(Address.Kind.IPV4, "10.0.0.53", 53), new Address(Address.Kind.IPV6, "::1", 5353),
        new Address(Address.Kind.HOST, "ns.local", 53)), Duration.ofSeconds(30), true, false));
    assertThat(block.resolverTimeout()).isEqualTo(Duration.ofSeconds(5));
  }

  @Test
  void writesTheResolverDirectivesBack() {
    UpstreamBlock block = commands("zone z 64k; resolver 10.0.0.53 valid=1m ipv4=off; resolver_timeout 500ms;"
        + " server backend.local:8080 resolve; server svc.local service=http resolve weight=2;");

    assertThat(block.toCommands()).isEqualTo("zone z 64k;\n"
        + "resolver 10.0.0.53:53 valid=1m ipv4=off;\n"
        + "resolver_timeout 500ms;\n"
        + "server backend.local:8080 resolve;\n"
        + "server svc.local weight=2 service=http resolve;\n");
    assertThat(commands(block.toCommands())).isEqualTo(block);
  }

  @Test
  void aResolverWithoutServersIsReadAsNginxReadsIt() {
    assertThat(ResolverSpec.parse(List.of("valid=10s"))).isEqualTo(
        new ResolverSpec(List.of(), Duration.ofSeconds(10), true, true));
  }

  @Test
  void parseGivesNginxWordsAsTheMessage() {
    assertThatThrownBy(() -> ResolverSpec.parse(List.of("10.0.0.1", "ipv4=no")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("invalid parameter: ipv4=no");
  }
}
