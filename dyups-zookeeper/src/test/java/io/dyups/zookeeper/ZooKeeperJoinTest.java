package io.dyups.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;

import io.dyups.core.Upstream;
import io.dyups.core.UpstreamRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** 10,000 upstreams in ZooKeeper: an instance that joins later has every one of them when its build returns. */
class ZooKeeperJoinTest {
  private static final int UPSTREAMS = 10_000;

  @TempDir Path dir;

  @Test
  void anInstanceJoiningLaterHasAllTenThousandUpstreamsWhenItsBuildReturns() throws Exception {
    Path conf = dir.resolve("upstream.conf");
    StringBuilder text = new StringBuilder(UPSTREAMS * 120);
    for (int i = 0; i < UPSTREAMS; i++) {
      text.append("upstream svc").append(i).append(" {\n");
      for (int s = 0; s < 4; s++) {
        text.append("    server 10.").append(i / 250).append('.').append(i % 250).append('.').append(s + 1)
            .append(":8080;\n");
      }
      text.append("}\n");
    }
    Files.writeString(conf, text);
    try (TestingServer server = new TestingServer(true)) {
      try (UpstreamRegistry seeder = UpstreamRegistry.builder().load(conf).store(store(server)).build()) {
        assertThat(seeder.size()).isEqualTo(UPSTREAMS);

        long start = System.nanoTime();
        try (UpstreamRegistry joiner = UpstreamRegistry.builder().store(store(server)).build()) {
          long millis = (System.nanoTime() - start) / 1_000_000;
          System.out.printf("ZooKeeperJoinTest: %,d upstreams x 4 servers joined in %d ms%n", UPSTREAMS, millis);
          assertThat(joiner.size()).isEqualTo(UPSTREAMS);
          List<Upstream> expected = seeder.detail();
          List<Upstream> actual = joiner.detail();
          for (int i = 0; i < UPSTREAMS; i++) {
            assertThat(actual.get(i).name()).isEqualTo(expected.get(i).name());
            assertThat(actual.get(i).version()).isEqualTo(expected.get(i).version());
            assertThat(actual.get(i).definition()).isEqualTo(expected.get(i).definition());
          }
        }
      }
    }
  }

  private static ZooKeeperStore store(TestingServer server) {
    return ZooKeeperStore.builder(server.getConnectString()).startTimeout(Duration.ofSeconds(60)).build();
  }
}
