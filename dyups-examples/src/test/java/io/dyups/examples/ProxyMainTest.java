package io.dyups.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line and start-up: nginx's options, nginx's messages, nothing half-started. */
class ProxyMainTest {
  @TempDir Path prefix;
  private int front;
  private int admin;
  private int echo8088;
  private int echo8089;
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  @BeforeEach
  void copyConfig() throws Exception {
    front = ProxyScenarioTest.freePort();
    admin = ProxyScenarioTest.freePort();
    echo8088 = ProxyScenarioTest.freePort();
    echo8089 = ProxyScenarioTest.freePort();
    ProxyScenarioTest.copyDefaultConfig(prefix, front, admin, echo8088, echo8089);
  }

  private int run(String... args) {
    return ProxyMain.run(args, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), false);
  }

  private String errors() {
    return err.toString(StandardCharsets.UTF_8);
  }

  private Path config() {
    return prefix.resolve("conf/nginx.conf");
  }

  private void edit(String from, String to) throws Exception {
    Files.writeString(config(), Files.readString(config()).replace(from, to));
  }

  @Test
  void testingAValidConfigurationExitsZero() {
    assertThat(run("-p", prefix.toString(), "-t")).isZero();
    assertThat(errors()).contains("the configuration file " + config() + " syntax is ok")
        .contains("configuration file " + config() + " test is successful");
  }

  @Test
  void anUnknownDirectiveStopsStartUpNamingFileAndLine() throws Exception {
    edit("    server {\n        listen 127.0.0.1:" + admin, "    foo bar;\n    server {\n        listen 127.0.0.1:" + admin);

    assertThat(run("-p", prefix.toString(), "-t")).isEqualTo(1);
    assertThat(errors()).contains("[emerg] unknown directive \"foo\" in " + config() + ":")
        .contains("test failed");
    assertThat(run("-p", prefix.toString())).isEqualTo(1);
  }

  @Test
  void aBadListenIsRejected() throws Exception {
    edit("listen 127.0.0.1:" + front + ";", "listen 127.0.0.1:99999;");

    assertThat(run("-p", prefix.toString(), "-t")).isEqualTo(1);
    assertThat(errors()).contains("invalid port in \"127.0.0.1:99999\" of the \"listen\" directive in " + config());
  }

  @Test
  void aMissingIncludeIsRejectedAtTheInclude() throws Exception {
    Files.delete(prefix.resolve("conf/conf/upstream.conf"));

    assertThat(run("-p", prefix.toString(), "-t")).isEqualTo(1);
    assertThat(errors()).contains("upstream.conf\" failed (2: No such file or directory) in " + config() + ":10:5");
  }

  @Test
  void aBadUpstreamInTheIncludedFileIsRejectedWhereItStands() throws Exception {
    Path upstreams = prefix.resolve("conf/conf/upstream.conf");
    Files.writeString(upstreams, Files.readString(upstreams).replace("127.0.0.1:" + echo8089, "127.0.0.1:0"));

    assertThat(run("-p", prefix.toString(), "-t")).isEqualTo(1);
    assertThat(errors()).contains("invalid port in upstream \"127.0.0.1:0\" in " + upstreams + ":5:12");
  }

  @Test
  void aServerNameThatDoesNotResolveStopsStartUpInNginxWords() throws Exception {
    Path upstreams = prefix.resolve("conf/conf/upstream.conf");
    Files.writeString(upstreams, Files.readString(upstreams).replace("127.0.0.1:" + echo8089, "backend.invalid:8089"));

    // nginx: [emerg] host not found in upstream "backend.invalid:8089" in .../upstream.conf:5
    assertThat(run("-p", prefix.toString(), "-t")).isEqualTo(1);
    assertThat(errors()).contains("[emerg] host not found in upstream \"backend.invalid:8089\" in " + upstreams + ":5:5")
        .contains("test failed");
    assertThat(run("-p", prefix.toString())).isEqualTo(1);
    try (ServerSocket free = new ServerSocket(front, 50, InetAddress.getLoopbackAddress())) {
      assertThat(free.isBound()).isTrue();
    }
  }

  @Test
  void aServerNameWithResolveMayBeUnresolvedAtStartUp() throws Exception {
    Path upstreams = prefix.resolve("conf/conf/upstream.conf");
    Files.writeString(upstreams, Files.readString(upstreams)
        .replace("server 127.0.0.1:" + echo8089 + ";", "zone z 64k; server backend.invalid:8089 resolve;"));
    // A resolver that does not answer (nothing listens on its port): the name stays unresolved.
    ProxyScenarioTest.addHttpDirectives(prefix,
        "resolver 127.0.0.1:" + ProxyScenarioTest.freePort() + "; resolver_timeout 1s;");

    assertThat(run("-p", prefix.toString())).isZero();
    assertThat(errors()).contains("listening on");
  }

  @Test
  @SuppressWarnings("try") // the socket only holds the port
  void aPortInUseStopsStartUpAndLeavesNothingListening() throws Exception {
    try (ServerSocket taken = new ServerSocket(echo8089, 50, InetAddress.getLoopbackAddress())) {
      assertThat(run("-p", prefix.toString())).isEqualTo(1);
      assertThat(errors()).contains("bind() to 127.0.0.1:" + echo8089 + " failed");
    }
    for (int port : new int[] {front, admin, echo8088}) {
      try (ServerSocket free = new ServerSocket(port, 50, InetAddress.getLoopbackAddress())) {
        assertThat(free.isBound()).isTrue();
      }
    }
  }

  @Test
  void startsAndStopsOnAValidConfiguration() {
    assertThat(run("-p", prefix.toString(), "-c", "conf/nginx.conf")).isZero();
    assertThat(errors()).contains("listening on");
  }

  @Test
  void aMissingConfigurationFileIsAnError() {
    assertThat(run("-p", prefix.toString(), "-c", "nope.conf")).isEqualTo(1);
    assertThat(errors()).contains("nope.conf\" failed (2: No such file or directory)");
  }

  @Test
  void anUnknownOptionIsAnError() {
    assertThat(run("-x")).isEqualTo(1);
    assertThat(errors()).contains("invalid option: \"-x\"");
  }
}
