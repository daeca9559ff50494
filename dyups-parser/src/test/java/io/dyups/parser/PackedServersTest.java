package io.dyups.parser;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A block's servers packed two longs each ({@link PackedServers}): every server line that fits is packed and read
 * back as the record it was, and every one that does not fit is kept as written.
 */
class PackedServersTest {
  private static List<ServerSpec> servers(String commands) {
    return UpstreamBlock.fromCommands("u", commands).servers();
  }

  private static List<ServerSpec> asRecords(List<ServerSpec> servers) {
    return new ArrayList<>(servers);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {
      "server 127.0.0.1:8089;",
      "server 127.0.0.1;",
      "server 0.0.0.0:1;",
      "server 255.255.255.255:65535;",
      "server 10.0.0.1:80 weight=65535 max_fails=8191 fail_timeout=0 max_conns=65535;",
      "server 10.0.0.1:80 fail_timeout=1h;",
      "server 10.0.0.1:80 fail_timeout=49d;",
      "server 10.0.0.1 backup; server 10.0.0.2 down; server 10.0.0.3 drain;",
      "server 10.0.0.1 weight=3 max_fails=0 backup down drain; server 10.0.0.2;",
  })
  void packsEveryServerThatFitsAndWritesOutTextThatReadsBackEqual(String commands) {
    List<ServerSpec> servers = servers(commands);

    assertThat(servers).isInstanceOf(PackedServers.class);
    List<ServerSpec> written = asRecords(servers);
    assertThat(written).doesNotContainNull().isEqualTo(servers);
    assertThat(UpstreamBlock.fromCommands("u", toConfig(written)).servers()).isEqualTo(written);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {
      "server backend.local:8080;",
      "server [::1]:8080;",
      "server unix:/tmp/backend.sock;",
      "server 010.0.0.1:80;",
      "server 10.0.0.1:80 weight=65536;",
      "server 10.0.0.1:80 max_fails=8192;",
      "server 10.0.0.1:80 max_conns=65536;",
      "server 10.0.0.1:80 fail_timeout=50d;",
      "server 10.0.0.1:80 slow_start=10s;",
      "server 10.0.0.1:80 route=a;",
      "server 10.0.0.1:80; server backend.local:8080;",
  })
  void keepsTheRecordsOfAnyListWithAServerThatDoesNotFit(String commands) {
    List<ServerSpec> servers = servers(commands);

    assertThat(servers).isNotInstanceOf(PackedServers.class);
    assertThat(PackedServers.of(asRecords(servers))).isNotInstanceOf(PackedServers.class).isEqualTo(servers);
  }

  @Test
  void aPackedListIsEqualToTheRecordsItWasMadeFromAndHashesAlike() {
    List<ServerSpec> written = List.of(
        ServerSpec.of(new Address(Address.Kind.IPV4, "192.168.1.20", 8080)).withWeight(5).withBackup(true),
        ServerSpec.of(new Address(Address.Kind.IPV4, "10.1.2.3", 443)).withFailTimeout(Duration.ofMillis(250)));

    List<ServerSpec> packed = PackedServers.of(written);

    assertThat(packed).isInstanceOf(PackedServers.class).isEqualTo(written).hasSameHashCodeAs(written);
    assertThat(written).isEqualTo(packed);
    assertThat(packed.get(0).failTimeout()).isSameAs(ServerSpec.DEFAULT_FAIL_TIMEOUT);
  }

  @Test
  void everyFieldReadsBackFromItsOwnBits() {
    ServerSpec server = servers(
        "server 10.200.3.4:8443 weight=7 max_fails=9 fail_timeout=90s max_conns=300 backup drain; server 10.0.0.1;").get(0);

    assertThat(server.address()).isEqualTo(new Address(Address.Kind.IPV4, "10.200.3.4", 8443));
    assertThat(server.weight()).isEqualTo(7);
    assertThat(server.maxFails()).isEqualTo(9);
    assertThat(server.failTimeout()).isEqualTo(Duration.ofSeconds(90));
    assertThat(server.maxConns()).isEqualTo(300);
    assertThat(server.backup()).isTrue();
    assertThat(server.down()).isFalse();
    assertThat(server.drain()).isTrue();
    assertThat(server.resolve()).isFalse();
    assertThat(server.slowStart()).isZero();
    assertThat(server.route()).isNull();
    assertThat(server.service()).isNull();
  }

  @Test
  void aPackedListCannotBeChanged() {
    List<ServerSpec> packed = servers("server 10.0.0.1; server 10.0.0.2;");

    assertThatThrownBy(() -> packed.add(packed.get(0))).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> packed.set(0, packed.get(1))).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> packed.remove(0)).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> packed.get(2)).isInstanceOf(IndexOutOfBoundsException.class);
  }

  @Test
  void randomServersReadBackEqual() {
    long seed = System.nanoTime();
    System.out.println("PackedServersTest seed " + seed);
    Random random = new Random(seed);
    for (int round = 0; round < 2_000; round++) {
      List<ServerSpec> written = new ArrayList<>();
      int count = 1 + random.nextInt(8);
      for (int i = 0; i < count; i++) {
        written.add(randomServer(random));
      }
      List<ServerSpec> packed = PackedServers.of(written);
      assertThat(packed).as("seed %s", seed).isEqualTo(written);
      assertThat(asRecords(packed)).as("seed %s", seed).containsExactlyElementsOf(written);
    }
  }

  /**
   * A line read packed (the address never made) gives what the general reading gives: the same server, or the same
   * error at the same place, for addresses near the dotted quad in every way.
   */
  @Test
  void aLineReadPackedIsTheLineReadTheGeneralWay() {
    long seed = System.nanoTime();
    System.out.println("PackedServersTest seed " + seed);
    Random random = new Random(seed);
    String[] octets = {"0", "1", "9", "10", "99", "100", "255", "256", "01", "00", "999", "", "1a", "-1"};
    String[] ports = {"", ":80", ":1", ":65535", ":0", ":65536", ":080", ":", ":8a", ":80:81", ":99999999999"};
    for (int round = 0; round < 5_000; round++) {
      StringBuilder text = new StringBuilder();
      int count = random.nextInt(6) == 0 ? 3 + 2 * random.nextInt(2) : 4;
      for (int i = 0; i < count; i++) {
        text.append(i == 0 ? "" : ".").append(random.nextBoolean() ? "10" : octets[random.nextInt(octets.length)]);
      }
      text.append(random.nextBoolean() ? ":8080" : ports[random.nextInt(ports.length)]);
      int weight = 1 + random.nextInt(random.nextBoolean() ? 3 : 100_000);
      boolean backup = random.nextBoolean();
      String commands = "server " + text + " weight=" + weight + (backup ? " backup" : "") + "; server 10.9.9.9;";

      ServerSpec expected = null;
      String expectedError = null;
      try {
        expected = ServerSpec.of(UpstreamModelBuilder.address(text.toString(),
            new SourcePosition(UpstreamBlock.COMMANDS_SOURCE, 1, 8))).withWeight(weight).withBackup(backup);
      } catch (ConfigSyntaxException e) {
        expectedError = e.getMessage();
      }
      if (expected != null) {
        assertThat(servers(commands).get(0)).as("%s (seed %s)", commands, seed).isEqualTo(expected);
      } else {
        assertThatThrownBy(() -> servers(commands)).as("%s (seed %s)", commands, seed)
            .isInstanceOf(ConfigSyntaxException.class).hasMessage(expectedError);
      }
    }
  }

  private static ServerSpec randomServer(Random random) {
    String host = random.nextInt(4) + "." + random.nextInt(256) + "." + random.nextInt(256) + "."
        + (random.nextBoolean() ? 255 : random.nextInt(256));
    ServerSpec server = ServerSpec.of(new Address(Address.Kind.IPV4, host, 1 + random.nextInt(65535)))
        .withWeight(1 + random.nextInt(random.nextBoolean() ? 10 : 70_000))
        .withMaxFails(random.nextInt(random.nextBoolean() ? 4 : 10_000))
        .withMaxConns(random.nextInt(random.nextBoolean() ? 4 : 70_000))
        .withFailTimeout(random.nextBoolean() ? ServerSpec.DEFAULT_FAIL_TIMEOUT
            : Duration.ofNanos(random.nextLong(Duration.ofDays(60).toNanos())))
        .withBackup(random.nextBoolean())
        .withDown(random.nextBoolean())
        .withDrain(random.nextBoolean());
    return random.nextInt(20) == 0 ? server.withSlowStart(Duration.ofSeconds(1)) : server;
  }

  @Test
  void hostNamesAreSeenWithoutAndWithPacking() {
    assertThat(UpstreamBlock.fromCommands("u", "server 10.0.0.1; server [::1];").hasHostNames()).isFalse();
    assertThat(UpstreamBlock.fromCommands("u", "server 10.0.0.1;").hasHostNames()).isFalse();
    assertThat(UpstreamBlock.fromCommands("u", "server 10.0.0.1; server backend.local;").hasHostNames()).isTrue();
  }

  private static String toConfig(List<ServerSpec> servers) {
    StringBuilder out = new StringBuilder();
    for (ServerSpec server : servers) {
      out.append(server.toConfig());
    }
    return out.toString();
  }
}
