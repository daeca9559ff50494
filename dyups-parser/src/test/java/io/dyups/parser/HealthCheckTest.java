package io.dyups.parser;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.EnumSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Tengine's active health check directives ({@code ngx_http_upstream_check_module}) in an upstream block: the
 * module's defaults, every parameter, and the module's words for what it rejects.
 */
class HealthCheckTest {
  private static HealthCheck check(String commands) {
    return UpstreamBlock.fromCommands("u", "server 127.0.0.1:8080; " + commands).healthCheck();
  }

  @Test
  void anUpstreamWithoutCheckHasNoHealthCheck() {
    assertThat(check("")).isNull();
  }

  @Test
  void checkWithOnlyAnIntervalTakesTheModulesDefaults() {
    HealthCheck check = check("check interval=3000;");

    assertThat(check).isEqualTo(new HealthCheck(HealthCheck.Type.TCP, Duration.ofMillis(3000),
        Duration.ofMillis(1000), 2, 5, true, 0, "GET / HTTP/1.0\r\n\r\n",
        EnumSet.of(HealthCheck.StatusClass.HTTP_2XX, HealthCheck.StatusClass.HTTP_3XX), 1));
  }

  @Test
  void readsEveryParameterAndTheHttpDirectives() {
    HealthCheck check = check("check_http_send \"HEAD /health HTTP/1.0\\r\\n\\r\\n\";"
        + " check interval=2000 rise=3 fall=4 timeout=500 default_down=FALSE type=http port=9000;"
        + " check_http_expect_alive http_2xx; check_http_expect_alive HTTP_4XX; check_keepalive_requests 10;");

    assertThat(check.type()).isEqualTo(HealthCheck.Type.HTTP);
    assertThat(check.interval()).isEqualTo(Duration.ofMillis(2000));
    assertThat(check.timeout()).isEqualTo(Duration.ofMillis(500));
    assertThat(check.rise()).isEqualTo(3);
    assertThat(check.fall()).isEqualTo(4);
    assertThat(check.defaultDown()).isFalse();
    assertThat(check.port()).isEqualTo(9000);
    assertThat(check.httpSend()).isEqualTo("HEAD /health HTTP/1.0\r\n\r\n");
    assertThat(check.expectAlive())
        .containsExactlyInAnyOrder(HealthCheck.StatusClass.HTTP_2XX, HealthCheck.StatusClass.HTTP_4XX);
    assertThat(check.keepaliveRequests()).isEqualTo(10);
  }

  @Test
  void theLastCheckDirectiveWins() {
    assertThat(check("check interval=1000 rise=7; check interval=2000;").rise()).isEqualTo(2);
  }

  @Test
  void checkHttpDirectivesWithoutCheckHaveNoEffect() {
    assertThat(check("check_http_send \"GET /x HTTP/1.0\\r\\n\\r\\n\"; check_http_expect_alive http_5xx;"))
        .isNull();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '~', value = {
      "200~true", "204~true", "302~true", "404~false", "503~false", "100~false"})
  void theDefaultExpectationIsTwoAndThreeHundreds(int status, boolean alive) {
    assertThat(check("check interval=1000 type=http;").isAlive(status)).isEqualTo(alive);
  }

  @Test
  void writesBackAsTheSameCheck() {
    UpstreamBlock block = UpstreamBlock.fromCommands("u", "server 127.0.0.1:8080;"
        + " check interval=3000 rise=2 fall=5 timeout=1000 type=http;"
        + " check_http_send \"HEAD / HTTP/1.1\\r\\nHost: a\\r\\n\\r\\n\"; check_http_expect_alive http_2xx;");

    assertThat(block.toConfig()).isEqualTo("upstream u {\n"
        + "    check interval=3000 rise=2 fall=5 timeout=1000 default_down=true type=http;\n"
        + "    check_http_send \"HEAD / HTTP/1.1\\r\\nHost: a\\r\\n\\r\\n\";\n"
        + "    check_http_expect_alive http_2xx;\n"
        + "    server 127.0.0.1:8080;\n"
        + "}\n");
    assertThat(UpstreamBlock.fromCommands("u", block.toCommands())).isEqualTo(block);
  }

  /** The positions count from "server 127.0.0.1:8080; " (23 characters) that {@link #check} puts first. */
  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '~', value = {
      "check;~invalid number of arguments in \"check\" directive in commands:1:24",
      "check interval=0;~invalid parameter \"interval=0\" in commands:1:30",
      "check interval=3s;~invalid parameter \"interval=3s\" in commands:1:30",
      "check interval=1000 timeout=0;~invalid parameter \"timeout=0\" in commands:1:44",
      "check interval=1000 rise=0;~invalid parameter \"rise=0\" in commands:1:44",
      "check interval=1000 fall=-1;~invalid parameter \"fall=-1\" in commands:1:44",
      "check interval=1000 fall=99999999999;~invalid parameter \"fall=99999999999\" in commands:1:44",
      "check interval=1000 type=udp;~invalid parameter \"type=udp\" in commands:1:44",
      "check interval=1000 type=HTTP;~invalid parameter \"type=HTTP\" in commands:1:44",
      "check interval=1000 port=65536;~invalid parameter \"port=65536\" in commands:1:44",
      "check interval=1000 default_down=maybe;"
          + "~invalid value \"default_down=maybe\", it must be \"true\" or \"false\" in commands:1:44",
      "check interval=1000 unique=true;~invalid parameter \"unique=true\" in commands:1:44",
      "check interval=1000 {}~directive \"check\" is not terminated by \";\" in commands:1:24",
      "check_http_send;~invalid number of arguments in \"check_http_send\" directive in commands:1:24",
      "check_http_send a b;~invalid number of arguments in \"check_http_send\" directive in commands:1:24",
      "check_http_expect_alive;~invalid number of arguments in \"check_http_expect_alive\" directive"
          + " in commands:1:24",
      "check_http_expect_alive http_2xx http_6xx;~invalid value \"http_6xx\" in commands:1:57",
      "check_keepalive_requests 0;~\"check_keepalive_requests\" directive invalid value in commands:1:49",
      "check_keepalive_requests x;~\"check_keepalive_requests\" directive invalid value in commands:1:49",
  })
  void rejectsWhatTheModuleRejects(String commands, String message) {
    assertThatThrownBy(() -> check(commands))
        .isInstanceOf(ConfigSyntaxException.class)
        .hasMessage(message);
  }
}
