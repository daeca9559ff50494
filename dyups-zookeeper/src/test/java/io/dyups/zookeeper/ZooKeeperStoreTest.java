package io.dyups.zookeeper;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.dyups.core.Result;
import io.dyups.core.ServerResult;
import io.dyups.core.Upstream;
import io.dyups.core.UpstreamRegistry;
import io.dyups.parser.Address;
import io.dyups.parser.ServerSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.KillSession;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher.Event.EventType;
import org.apache.zookeeper.Watcher.Event.KeeperState;
import org.apache.zookeeper.data.Stat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One ZooKeeper server in the JVM; each test uses a root of its own. */
class ZooKeeperStoreTest {
  private static final AtomicInteger ROOTS = new AtomicInteger();
  private static TestingServer server;
  private static CuratorFramework admin;

  @TempDir Path dir;
  // Registries may be built on two threads at once (aNewRootIsSeededFromOneInstanceOnlyWhenTwoStartAtOnce).
  private final List<AutoCloseable> toClose = java.util.Collections.synchronizedList(new ArrayList<>());
  private final java.util.Map<UpstreamRegistry, ZooKeeperStore> stores =
      java.util.Collections.synchronizedMap(new java.util.IdentityHashMap<>());
  private String root;

  @BeforeAll
  static void startServer() throws Exception {
    server = new TestingServer(true);
    admin = CuratorFrameworkFactory.newClient(server.getConnectString(), new RetryOneTime(100));
    admin.start();
    admin.blockUntilConnected();
  }

  @AfterAll
  static void stopServer() throws Exception {
    admin.close();
    server.close();
  }

  @AfterEach
  void closeAll() throws Exception {
    for (int i = toClose.size() - 1; i >= 0; i--) {
      toClose.get(i).close();
    }
  }

  private String root() {
    if (root == null) {
      root = "/test" + ROOTS.incrementAndGet() + "/upstreams";
    }
    return root;
  }

  private UpstreamRegistry registry(String connectString, Consumer<ZooKeeperStore.Builder> settings,
      Consumer<UpstreamRegistry.Builder> registrySettings) {
    ZooKeeperStore.Builder store = ZooKeeperStore.builder(connectString).root(root())
        .sessionTimeout(Duration.ofSeconds(10)).connectionTimeout(Duration.ofSeconds(2))
        .startTimeout(Duration.ofSeconds(5)).writeTimeout(Duration.ofSeconds(5));
    settings.accept(store);
    ZooKeeperStore built = store.build();
    UpstreamRegistry.Builder builder = UpstreamRegistry.builder().store(built);
    registrySettings.accept(builder);
    UpstreamRegistry registry = builder.build();
    toClose.add(registry);
    stores.put(registry, built);
    return registry;
  }

  private UpstreamRegistry registry() {
    return registry(server.getConnectString(), s -> { }, r -> { });
  }

  private static void eventually(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within 20 s: " + what);
      }
      Thread.sleep(5);
    }
  }

  private static String servers(Upstream upstream) {
    return upstream.definition().toCommands();
  }

  @Test
  void aChangeOnOneInstanceIsSeenOnTheOthers() throws Exception {
    UpstreamRegistry a = registry();
    UpstreamRegistry b = registry();
    UpstreamRegistry c = registry();
    assertThat(a.updateUpstream("backend", "server 10.0.0.1:80;").isSuccess()).isTrue();
    eventually("b and c have backend", () -> b.find("backend") != null && c.find("backend") != null);
    assertThat(servers(b.find("backend"))).isEqualTo("server 10.0.0.1:80;\n");

    assertThat(b.deleteUpstream("backend").isSuccess()).isTrue();
    eventually("a and c lost backend", () -> a.find("backend") == null && c.find("backend") == null);
  }

  @Test
  void theInstanceThatWroteReadsItsOwnWriteWhenTheCallReturns() throws Exception {
    UpstreamRegistry a = registry();
    for (int i = 0; i < 50; i++) {
      Result result = a.updateUpstream("svc", "server 10.0.0." + (i + 1) + ":80;");
      assertThat(result.isSuccess()).as("%s", result).isTrue();
      Upstream found = a.find("svc");
      assertThat(found).isNotNull();
      assertThat(found.version()).isEqualTo(result.version());
      assertThat(servers(found)).isEqualTo("server 10.0.0." + (i + 1) + ":80;\n");
    }
    assertThat(a.deleteUpstream("svc").isSuccess()).isTrue();
    assertThat(a.find("svc")).isNull();
  }

  @Test
  void versionsAreTheSameOnEveryInstanceAndAConditionalChangeOnAMovedVersionConflicts() throws Exception {
    UpstreamRegistry a = registry();
    UpstreamRegistry b = registry();
    Result created = a.updateUpstream("api", "server 10.0.0.1:80;", UpstreamRegistry.ABSENT);
    assertThat(created.isSuccess()).isTrue();
    eventually("b has api", () -> b.find("api") != null);
    assertThat(b.find("api").version()).isEqualTo(created.version());

    Result moved = b.updateUpstream("api", "server 10.0.0.2:80;", created.version());
    assertThat(moved.isSuccess()).as("%s", moved).isTrue();
    // a may not have heard of b's change yet: ZooKeeper decides, not a's copy.
    Result stale = a.updateUpstream("api", "server 10.0.0.3:80;", created.version());
    assertThat(stale.kind()).isEqualTo(Result.Kind.VERSION_CONFLICT);
    assertThat(stale.version()).isEqualTo(moved.version());
    assertThat(a.updateUpstream("api", "server 10.0.0.3:80;", UpstreamRegistry.ABSENT).kind())
        .isEqualTo(Result.Kind.VERSION_CONFLICT);
    assertThat(a.deleteUpstream("api", created.version()).kind()).isEqualTo(Result.Kind.VERSION_CONFLICT);
    eventually("a caught up", () -> a.find("api").version() == moved.version());
    assertThat(servers(a.find("api"))).isEqualTo("server 10.0.0.2:80;\n");
  }

  @Test
  void namesCompareIgnoringAsciiCaseOnOneZnodeAndKeepTheirFirstSpelling() throws Exception {
    UpstreamRegistry a = registry();
    UpstreamRegistry b = registry();
    assertThat(a.updateUpstream("Backend", "server 10.0.0.1:80;").isSuccess()).isTrue();
    eventually("b has it", () -> b.find("BACKEND") != null);
    assertThat(b.updateUpstream("backend", "server 10.0.0.2:80;").isSuccess()).isTrue();
    eventually("a has b's servers", () -> servers(a.find("backend")).contains("10.0.0.2"));
    assertThat(a.find("backend").name()).isEqualTo("Backend");
    assertThat(b.list()).containsExactly("Backend");
    assertThat(admin.getChildren().forPath(root())).containsExactly("backend");
    // Names that differ beyond ASCII case are two upstreams, as in nginx.
    assertThat(a.updateUpstream("Äpfel", "server 10.0.0.3:80;").isSuccess()).isTrue();
    assertThat(a.updateUpstream("äpfel", "server 10.0.0.4:80;").isSuccess()).isTrue();
    eventually("b has both", () -> b.size() == 3);
  }

  @Test
  void theZnodeHoldsTheUpstreamAsNginxConfiguration() throws Exception {
    UpstreamRegistry a = registry();
    a.updateUpstream("web", "least_conn; server 10.0.0.1:80 weight=3; keepalive 8;");
    String data = new String(admin.getData().forPath(root() + "/web"), UTF_8);
    assertThat(data).isEqualTo(a.find("web").definition().toConfig());
    assertThat(data).startsWith("upstream web {\n");
  }

  @Test
  void aNameWithCharactersZooKeeperRefusesHasAZnodeAllTheSame() throws Exception {
    UpstreamRegistry a = registry();
    UpstreamRegistry b = registry();
    for (String name : List.of("100%", "a.b", "emoji\uD83D\uDE00", "zookeeper", "%2E")) {
      Result result = a.updateUpstream(name, "server 10.0.0.1:80;");
      assertThat(result.isSuccess()).as("%s: %s", name, result).isTrue();
    }
    eventually("b has them all", () -> b.size() == 5);
    assertThat(b.list()).containsExactly("100%", "a.b", "emoji\uD83D\uDE00", "zookeeper", "%2E");
    assertThat(admin.getChildren().forPath(root())).containsExactlyInAnyOrder("100%25", "a.b",
        "emoji%F0%9F%98%80", "zookeeper", "%252e");
  }

  @Test
  void listingsAreInOrderOfCreationOnEveryInstance() throws Exception {
    UpstreamRegistry a = registry();
    UpstreamRegistry b = registry();
    a.updateUpstream("zeta", "server 10.0.0.1:80;");
    b.updateUpstream("alpha", "server 10.0.0.2:80;");
    a.updateUpstream("mid", "server 10.0.0.3:80;");
    b.updateUpstream("zeta", "server 10.0.0.4:80;");
    eventually("both have three", () -> a.size() == 3 && b.size() == 3);
    UpstreamRegistry late = registry();
    assertThat(a.list()).containsExactly("zeta", "alpha", "mid");
    assertThat(b.list()).containsExactly("zeta", "alpha", "mid");
    assertThat(late.list()).containsExactly("zeta", "alpha", "mid");
  }

  @Test
  void aChangeTooLargeForOneZooKeeperRequestIsRefusedWith413NamingBothLimitsBeforeItIsSent() throws Exception {
    UpstreamRegistry a = registry(server.getConnectString(), s -> s.maxRequestBytes(8192), r -> { });
    StringBuilder commands = new StringBuilder();
    for (int i = 0; i < 400; i++) {
      commands.append("server 10.0.").append(i / 200).append('.').append(i % 200 + 1).append(":80;");
    }
    Result result = a.updateUpstream("big", commands.toString());
    assertThat(result.kind()).isEqualTo(Result.Kind.TOO_LARGE);
    assertThat(result.status()).isEqualTo(413);
    assertThat(result.message()).contains("8192").contains("jute.maxbuffer")
        .contains(Long.toString(UpstreamRegistry.DEFAULT_MAX_COMMANDS_SIZE));
    assertThat(admin.checkExists().forPath(root() + "/big")).isNull();
  }

  @Test
  void writesAreRefusedWith503WhileZooKeeperCannotBeReachedAndTrafficGoesOn() throws Exception {
    try (TcpProxy proxy = new TcpProxy(server.getPort())) {
      UpstreamRegistry a = registry(proxy.connectString(), s -> { }, r -> { });
      UpstreamRegistry b = registry();
      assertThat(a.updateUpstream("kept", "server 10.0.0.1:80;").isSuccess()).isTrue();
      proxy.cut();
      eventually("a sees the connection gone", () -> !a.storeStatus().available());

      Result refused = a.updateUpstream("kept", "server 10.0.0.2:80;");
      assertThat(refused.kind()).isEqualTo(Result.Kind.UNAVAILABLE);
      assertThat(refused.status()).isEqualTo(503);
      assertThat(refused.message()).contains("ZooKeeper cannot be reached").endsWith("nothing changed");
      assertThat(a.deleteUpstream("kept").kind()).isEqualTo(Result.Kind.UNAVAILABLE);
      assertThat(servers(a.find("kept"))).isEqualTo("server 10.0.0.1:80;\n");
      assertThat(servers(b.find("kept"))).isEqualTo("server 10.0.0.1:80;\n");

      // Meanwhile another instance changes it; a catches up when it is back.
      assertThat(b.updateUpstream("kept", "server 10.0.0.3:80;").isSuccess()).isTrue();
      proxy.heal();
      eventually("a caught up", () -> servers(a.find("kept")).contains("10.0.0.3"));
      eventually("a takes writes again", () -> a.storeStatus().available());
      assertThat(a.updateUpstream("kept", "server 10.0.0.4:80;").isSuccess()).isTrue();
    }
  }

  @Test
  void anInstanceStartingWhileZooKeeperIsDownServesItsCacheFileAndThenCatchesUp() throws Exception {
    Path cache = dir.resolve("upstream.conf");
    try (TcpProxy proxy = new TcpProxy(server.getPort())) {
      UpstreamRegistry first = registry(proxy.connectString(), s -> s.cacheFile(cache), r -> { });
      first.updateUpstream("one", "server 10.0.0.1:80;");
      first.updateUpstream("two", "server 10.0.0.2:80;");
      long version = first.find("two").version();
      first.close();
      assertThat(Files.readString(cache)).contains("upstream one {").contains("upstream two {");

      UpstreamRegistry other = registry();
      other.updateUpstream("three", "server 10.0.0.3:80;");
      proxy.cut();
      UpstreamRegistry restarted = registry(proxy.connectString(),
          s -> s.cacheFile(cache).startTimeout(Duration.ofMillis(500)), r -> { });
      assertThat(restarted.list()).containsExactly("one", "two");
      assertThat(restarted.find("two").version()).isEqualTo(version);
      assertThat(restarted.updateUpstream("four", "server 10.0.0.4:80;").kind())
          .isEqualTo(Result.Kind.UNAVAILABLE);

      proxy.heal();
      eventually("restarted caught up", () -> restarted.list().equals(List.of("one", "two", "three")));
    }
  }

  @Test
  void anUpstreamWhoseDefinitionDidNotChangeKeepsItsLiveStateAcrossAResync() throws Exception {
    UpstreamRegistry a = registry();
    UpstreamRegistry b = registry();
    a.updateUpstream("same", "server 10.0.0.1:80; server 10.0.0.2:80;");
    a.updateUpstream("changed", "server 10.0.0.3:80;");
    eventually("b has both", () -> b.size() == 2);
    Upstream sameBefore = b.find("same");
    Upstream changedBefore = b.find("changed");
    ZooKeeperStore store = storeOf(b);
    int resyncs = store.resyncCount();

    KillSession.kill(store.client().getZookeeperClient().getZooKeeper());
    // While b's session is gone, a changes one of the two.
    a.updateUpstream("changed", "server 10.0.0.4:80;");
    eventually("b resynced", () -> store.resyncCount() > resyncs && servers(b.find("changed")).contains("10.0.0.4"));

    assertThat(b.find("same")).isSameAs(sameBefore);
    assertThat(b.find("same").peers()).isSameAs(sameBefore.peers());
    assertThat(b.find("changed").peers()).isNotSameAs(changedBefore.peers());
  }

  private ZooKeeperStore storeOf(UpstreamRegistry registry) {
    return stores.get(registry);
  }

  @Test
  void aNewRootIsSeededFromOneInstanceOnlyWhenTwoStartAtOnce() throws Exception {
    Path confA = dir.resolve("a.conf");
    Path confB = dir.resolve("b.conf");
    Files.writeString(confA, "upstream from_a { server 10.0.0.1:80; }\nupstream also_a { server 10.0.0.2:80; }\n");
    Files.writeString(confB, "upstream from_b { server 10.0.0.3:80; }\n");
    // The root named before the two threads start: root() names it lazily, and two threads asking at once could
    // each name another (seen in CI: each instance seeded its own root, and they never agreed).
    String shared = root();
    CompletableFuture<UpstreamRegistry> a = CompletableFuture.supplyAsync(
        () -> registry(server.getConnectString(), s -> { }, r -> r.load(confA)));
    CompletableFuture<UpstreamRegistry> b = CompletableFuture.supplyAsync(
        () -> registry(server.getConnectString(), s -> { }, r -> r.load(confB)));
    UpstreamRegistry first = a.get();
    UpstreamRegistry second = b.get();
    assertThat(root()).isEqualTo(shared);
    List<String> inZooKeeper = admin.getChildren().forPath(shared);
    assertThat(inZooKeeper).isIn(List.of("from_a", "also_a"), List.of("also_a", "from_a"), List.of("from_b"));
    eventually("both serve ZooKeeper's state", () -> first.list().equals(second.list())
        && first.size() == inZooKeeper.size());
  }

  @Test
  void aSeedTooLargeForOneRequestIsWrittenInSeveralAndAllOfItArrives() throws Exception {
    Path conf = dir.resolve("many.conf");
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < 300; i++) {
      text.append("upstream u").append(i).append(" { server 10.0.").append(i / 250).append('.')
          .append(i % 250 + 1).append(":80; server 10.1.0.1:80 backup; }\n");
    }
    Files.writeString(conf, text);
    UpstreamRegistry a = registry(server.getConnectString(), s -> s.maxRequestBytes(8192), r -> r.load(conf));
    assertThat(admin.getChildren().forPath(root())).hasSize(300);
    assertThat(new String(admin.getData().forPath(root()), UTF_8)).startsWith("dyups: seeded by");
    assertThat(admin.checkExists().forPath(root() + ".seeding")).isNull();
    UpstreamRegistry b = registry();
    assertThat(b.list()).isEqualTo(a.list());
    assertThat(b.list()).hasSize(300);
  }

  @Test
  void theStatusSaysConnectedAndTheLastChangeApplied() throws Exception {
    UpstreamRegistry a = registry();
    Result result = a.updateUpstream("s", "server 10.0.0.1:80;");
    var status = a.storeStatus();
    assertThat(status.store()).isEqualTo("zookeeper");
    assertThat(status.available()).isTrue();
    assertThat(status.state()).isEqualTo("connected");
    assertThat(status.lastVersion()).isEqualTo(result.version());
    assertThat(status.lastChangeAt()).isNotNull();
    assertThat(status.detail()).contains(root());
  }

  @Test
  void theStatusSaysHowFarBehindAnInstanceIsWhileChangesWaitToBeApplied() throws Exception {
    UpstreamRegistry a = registry(server.getConnectString(), s -> { },
        r -> r.hostResolver(
            StoreStates.answeringAfter(CompletableFuture.completedFuture(null), new CompletableFuture<>())));
    CompletableFuture<Void> release = new CompletableFuture<>();
    UpstreamRegistry b = registry(server.getConnectString(), s -> { },
        r -> r.hostResolver(StoreStates.answeringAfter(release, new CompletableFuture<>())));
    assertThat(a.updateUpstream("slow", "server slow.example:80;").isSuccess()).isTrue();
    // b applies changes in ZooKeeper's order: the next ones wait while it looks up slow.example.
    assertThat(a.updateUpstream("next", "server 10.0.0.2:80;").isSuccess()).isTrue();
    assertThat(a.updateUpstream("next", "server 10.0.0.3:80;").isSuccess()).isTrue();
    eventually("b says two changes wait", () -> b.storeStatus().pendingChanges() >= 2
        && b.storeStatus().behindMillis() > 0);
    assertThat(b.find("next")).isNull();

    release.complete(null);
    eventually("b caught up", () -> b.find("next") != null
        && servers(b.find("next")).equals("server 10.0.0.3:80;\n") && b.storeStatus().pendingChanges() == 0);
    assertThat(b.storeStatus().behindMillis()).isZero();
    assertThat(b.find("slow")).isNotNull();
  }

  @Test
  void deletingWhatDoesNotExistIs404() throws Exception {
    UpstreamRegistry a = registry();
    assertThat(a.deleteUpstream("nothing").kind()).isEqualTo(Result.Kind.NOT_FOUND);
  }

  @Test
  void aDeletionToldAfterTheUpstreamWasCreatedAgainLeavesTheNewUpstream() throws Exception {
    UpstreamRegistry a = registry();
    assertThat(a.updateUpstream("backend", "server 10.0.0.1:80;").isSuccess()).isTrue();
    String path = root() + "/backend";
    admin.delete().forPath(path);
    admin.create().forPath(path, "upstream backend {\n    server 10.0.0.2:80;\n}\n".getBytes(UTF_8));
    Stat created = admin.checkExists().forPath(path);
    eventually("a has backend again", () -> {
      Upstream found = a.find("backend");
      return found != null && found.version() == created.getMzxid();
    });

    // The deletion told again late: without its zxid (servers before ZooKeeper 3.9 send none, and so do Curator's
    // own watchers), and with a zxid before the re-creation.
    ZooKeeperStore store = stores.get(a);
    store.told(new WatchedEvent(EventType.NodeDeleted, KeeperState.SyncConnected, path));
    store.told(new WatchedEvent(EventType.NodeDeleted, KeeperState.SyncConnected, path, created.getCzxid() - 1));
    // Applied after both events, in the store's one order.
    assertThat(a.updateUpstream("marker", "server 10.0.0.9:80;").isSuccess()).isTrue();

    Upstream found = a.find("backend");
    assertThat(found).isNotNull();
    assertThat(found.version()).isEqualTo(created.getMzxid());
    assertThat(servers(found)).isEqualTo("server 10.0.0.2:80;\n");
  }

  @Test
  void serversAddedAtOnceThroughTwoInstancesAllLandWithTheSameIdsOnBoth() throws Exception {
    UpstreamRegistry a = registry();
    UpstreamRegistry b = registry();
    assertThat(a.updateUpstream("backend", "server 10.0.0.1:80;").isSuccess()).isTrue();
    eventually("b has backend", () -> b.find("backend") != null);

    CompletableFuture<List<ServerResult>> onA = CompletableFuture.supplyAsync(() -> addServers(a, 1));
    CompletableFuture<List<ServerResult>> onB = CompletableFuture.supplyAsync(() -> addServers(b, 2));
    List<ServerResult> results = new ArrayList<>(onA.get());
    results.addAll(onB.get());
    assertThat(results).allSatisfy(result -> assertThat(result.isSuccess()).as("%s", result).isTrue());

    eventually("a and b hold the same 21 servers", () -> {
      Upstream onAnA = a.find("backend");
      Upstream onAB = b.find("backend");
      return onAnA != null && onAB != null && onAnA.version() == onAB.version() && onAnA.servers().size() == 21;
    });
    assertThat(a.find("backend").servers()).isEqualTo(b.find("backend").servers());
  }

  private static List<ServerResult> addServers(UpstreamRegistry registry, int network) {
    List<ServerResult> results = new ArrayList<>();
    for (int i = 1; i <= 10; i++) {
      results.add(registry.addServer("backend", ServerSpec.of(Address.parse("10." + network + ".0." + i + ":80"))));
    }
    return results;
  }

  @Test
  void upstreamsCreatedInOneZooKeeperTransactionAllArrive() throws Exception {
    UpstreamRegistry a = registry();
    assertThat(a.updateUpstream("first", "server 10.0.0.1:80;").isSuccess()).isTrue();
    // One transaction: both creates have its zxid.
    admin.transaction().forOperations(
        admin.transactionOp().create().forPath(root() + "/a1", "upstream a1 {\n    server 10.0.0.2:80;\n}\n"
            .getBytes(UTF_8)),
        admin.transactionOp().create().forPath(root() + "/a2", "upstream a2 {\n    server 10.0.0.3:80;\n}\n"
            .getBytes(UTF_8)));

    eventually("a has a1 and a2", () -> a.find("a1") != null && a.find("a2") != null);
    assertThat(a.find("a1").version()).isEqualTo(a.find("a2").version());
  }

  @Test
  void badCommandsAndChangesOverTheRegistrysLimitsNeverReachZooKeeper() throws Exception {
    UpstreamRegistry a = registry(server.getConnectString(), s -> { }, r -> r.maxCommandsSize(64));
    assertThat(a.updateUpstream("first", "server 10.0.0.1:80;").isSuccess()).isTrue();
    Stat before = admin.checkExists().forPath(root());

    Result bad = a.updateUpstream("bad", "server 10.0.0.1:80 weight=0;");
    Result large = a.updateUpstream("large", "server 10.0.0.1:80;".repeat(10));

    assertThat(bad.kind()).isEqualTo(Result.Kind.INVALID);
    assertThat(large.kind()).isEqualTo(Result.Kind.TOO_LARGE);
    Stat after = admin.checkExists().forPath(root());
    assertThat(after.getCversion()).as("children of the root created or deleted").isEqualTo(before.getCversion());
    assertThat(after.getPzxid()).isEqualTo(before.getPzxid());
  }
}
