package io.dyups.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;

import io.dyups.core.Result;
import io.dyups.core.Upstream;
import io.dyups.core.UpstreamChange;
import io.dyups.core.UpstreamRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Many upstreams in ZooKeeper: an instance that joins later has every one of them when its build returns. */
class ZooKeeperJoinTest {
  private static final int UPSTREAMS = 10_000;

  @TempDir Path dir;

  @Test
  void anInstanceJoiningLaterHasAllTenThousandUpstreamsWhenItsBuildReturns() throws Exception {
    Path conf = upstreamConf(UPSTREAMS);
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

  @Test
  void changesMadeElsewhereWhileAnInstanceJoinsAreAllAppliedThereInOrder() throws Exception {
    long seed = Long.getLong("dyups.join.seed", System.nanoTime());
    System.out.println("ZooKeeperJoinTest seed " + seed);
    int upstreams = 5_000;
    Path conf = upstreamConf(upstreams);
    // One upstream names a host: the joiner looks it up once it has read ZooKeeper and before it builds its
    // registry, and that lookup is answered only after 20 more changes were acknowledged elsewhere.
    Files.writeString(conf, "upstream named {\n    server slow.example:80;\n}\n",
        java.nio.file.StandardOpenOption.APPEND);
    CompletableFuture<Void> asked = new CompletableFuture<>();
    CompletableFuture<Void> answer = new CompletableFuture<>();
    try (TestingServer server = new TestingServer(true);
        UpstreamRegistry writer = UpstreamRegistry.builder().load(conf)
            .hostResolver(
                StoreStates.answeringAfter(CompletableFuture.completedFuture(null), new CompletableFuture<>()))
            .store(store(server)).build()) {
      // Another instance changes, creates and deletes upstreams all through the joiner's start: while it lists the
      // root, while it reads the znodes, while it builds its registry, and after.
      AtomicInteger whileLookingUp = new AtomicInteger();
      AtomicBoolean joining = new AtomicBoolean();
      AtomicBoolean joined = new AtomicBoolean();
      AtomicInteger duringJoin = new AtomicInteger();
      AtomicInteger afterJoin = new AtomicInteger();
      AtomicReference<String> refused = new AtomicReference<>();
      SplittableRandom random = new SplittableRandom(seed);
      Thread changes = new Thread(() -> {
        while (afterJoin.get() < 200) {
          String name = random.nextInt(4) == 0 ? "new" + random.nextInt(500) : "svc" + random.nextInt(upstreams);
          Result result = random.nextInt(5) == 0 ? writer.deleteUpstream(name)
              : writer.updateUpstream(name, "server 10.9." + random.nextInt(256) + ".1:" + (1 + random.nextInt(9999))
                  + ";");
          if (!result.isSuccess() && result.kind() != Result.Kind.NOT_FOUND) {
            refused.compareAndSet(null, name + ": " + result);
          }
          if (joined.get()) {
            afterJoin.incrementAndGet();
          } else if (joining.get()) {
            duringJoin.incrementAndGet();
          }
          if (asked.isDone() && whileLookingUp.incrementAndGet() == 20) {
            answer.complete(null);
          }
        }
      }, "changes");
      changes.setDaemon(true);
      Map<String, List<Long>> applied = new ConcurrentHashMap<>();
      changes.start();
      joining.set(true);
      try (UpstreamRegistry joiner = UpstreamRegistry.builder().store(store(server))
          .hostResolver(StoreStates.answeringAfter(answer, asked)).resolverTimeout(Duration.ofSeconds(60))
          .listener((UpstreamChange change) -> {
            Upstream current = change.current();
            if (current != null) {
              applied.computeIfAbsent(io.dyups.parser.UpstreamBlock.foldName(change.name()), k -> new ArrayList<>())
                  .add(current.version());
            }
          }).build()) {
        joined.set(true);
        changes.join();
        assertThat(refused.get()).isNull();
        assertThat(asked).as("the joiner looked up slow.example").isDone();
        assertThat(duringJoin.get()).as("changes acknowledged while the joiner started").isGreaterThanOrEqualTo(20);
        try (CuratorFramework admin = CuratorFrameworkFactory.newClient(server.getConnectString(),
            new RetryOneTime(100))) {
          admin.start();
          admin.blockUntilConnected();
          admin.sync().forPath(ZooKeeperStore.DEFAULT_ROOT);
          List<String> expected = StoreStates.inZooKeeper(admin, ZooKeeperStore.DEFAULT_ROOT);
          List<String> actual = StoreStates.inRegistry(joiner);
          long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
          while (!actual.equals(expected) && System.nanoTime() < until) {
            Thread.sleep(20);
            actual = StoreStates.inRegistry(joiner);
          }
          assertThat(actual).as("seed %d: the joiner holds what ZooKeeper holds", seed).isEqualTo(expected);
          assertThat(StoreStates.inRegistry(writer)).as("seed %d: and so does the writer", seed).isEqualTo(expected);
        }
        System.out.printf("ZooKeeperJoinTest: %d changes while joining, %d after%n", duringJoin.get(),
            afterJoin.get());
      }
      // Never a state older than one applied before it. Read once the joiner is closed: its listener thread tells
      // of changes after they are visible, and has told of every one only when close() returns.
      applied.forEach((name, versions) -> assertThat(versions).as("seed %d: %s", seed, name)
          .isSortedAccordingTo(Comparator.naturalOrder()).doesNotHaveDuplicates());
    }
  }

  private Path upstreamConf(int upstreams) throws java.io.IOException {
    Path conf = dir.resolve("upstream.conf");
    StringBuilder text = new StringBuilder(upstreams * 120);
    for (int i = 0; i < upstreams; i++) {
      text.append("upstream svc").append(i).append(" {\n");
      for (int s = 0; s < 4; s++) {
        text.append("    server 10.").append(i / 250).append('.').append(i % 250).append('.').append(s + 1)
            .append(":8080;\n");
      }
      text.append("}\n");
    }
    Files.writeString(conf, text);
    return conf;
  }

  private static ZooKeeperStore store(TestingServer server) {
    return ZooKeeperStore.builder(server.getConnectString()).startTimeout(Duration.ofSeconds(60)).build();
  }
}
