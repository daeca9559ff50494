package io.dyups.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dyups.parser.ConfigSyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The proxy's {@code dyups_zookeeper} directive: what it sets, and nginx's words for what it refuses. */
class ZooKeeperDirectiveTest {
  @TempDir Path prefix;

  private ProxyConfig load(String directive) throws Exception {
    Path config = prefix.resolve("nginx.conf");
    Files.writeString(config, "events {\n}\nhttp {\n    " + directive + "\n}\n");
    return ProxyConfig.load(prefix, config);
  }

  @Test
  void theServersAloneTakeTheDefaults() throws Exception {
    ProxyConfig.ZooKeeper zookeeper = load("dyups_zookeeper 127.0.0.1:2181,zk2.example:2182;").zookeeper();

    assertThat(zookeeper).isEqualTo(new ProxyConfig.ZooKeeper("127.0.0.1:2181,zk2.example:2182",
        "/dyups/upstreams", Duration.ofSeconds(30), 0xfffff));
  }

  @Test
  void everyParameterIsTaken() throws Exception {
    ProxyConfig.ZooKeeper zookeeper =
        load("dyups_zookeeper 127.0.0.1:2181 root=/prod/lb session_timeout=1m max_request=4m;").zookeeper();

    assertThat(zookeeper).isEqualTo(new ProxyConfig.ZooKeeper("127.0.0.1:2181", "/prod/lb", Duration.ofMinutes(1),
        4 << 20));
  }

  @Test
  void withoutTheDirectiveThereIsNoZooKeeper() throws Exception {
    assertThat(load("dyups_trylock off;").zookeeper()).isNull();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      dyups_zookeeper; | invalid number of arguments in "dyups_zookeeper" directive | 5
      dyups_zookeeper a:1 b c d e; | invalid number of arguments in "dyups_zookeeper" directive | 5
      dyups_zookeeper 127.0.0.1; | invalid ZooKeeper server "127.0.0.1" in "dyups_zookeeper" (host:port expected) | 21
      dyups_zookeeper a:1,,b:2; | invalid ZooKeeper server "" in "dyups_zookeeper" (host:port expected) | 21
      dyups_zookeeper a:http; | invalid ZooKeeper server "a:http" in "dyups_zookeeper" (host:port expected) | 21
      dyups_zookeeper a:1 root=dyups; | invalid root "dyups" in "dyups_zookeeper" | 25
      dyups_zookeeper a:1 root=/dyups/; | invalid root "/dyups/" in "dyups_zookeeper" | 25
      dyups_zookeeper a:1 root=/a//b; | invalid root "/a//b" in "dyups_zookeeper" | 25
      dyups_zookeeper a:1 session_timeout=soon; | invalid session_timeout "soon" in "dyups_zookeeper" | 25
      dyups_zookeeper a:1 session_timeout=0; | invalid session_timeout "0" in "dyups_zookeeper" | 25
      dyups_zookeeper a:1 max_request=1k; | invalid max_request "1k" in "dyups_zookeeper" | 25
      dyups_zookeeper a:1 chroot=/x; | invalid parameter "chroot=/x" | 25
      """)
  void aBadDirectiveStopsTheStartWithNginxsWordsAtItsPlace(String directive, String reason, int column) {
    assertThatThrownBy(() -> load(directive.strip()))
        .isInstanceOfSatisfying(ConfigSyntaxException.class, e -> {
          assertThat(e.reason()).isEqualTo(reason);
          assertThat(e.line()).isEqualTo(4);
          assertThat(e.column()).isEqualTo(column);
        });
  }
}
