package io.dyups.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.dyups.parser.Address;
import io.dyups.parser.ServerSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One server at a time: add, change, remove; server ids; drain. */
class ServerOperationsTest {
  @TempDir Path dir;
  private final List<UpstreamRegistry> opened = new CopyOnWriteArrayList<>();

  private UpstreamRegistry registry(UpstreamRegistry.Builder builder) {
    UpstreamRegistry registry = builder.build();
    opened.add(registry);
    return registry;
  }

  @AfterEach
  void close() {
    opened.forEach(UpstreamRegistry::close);
  }

  private static ServerSpec server(String address) {
    return ServerSpec.of(Address.parse(address));
  }

  private static List<String> lines(Upstream upstream) {
    return upstream.definition().servers().stream().map(ServerSpec::toConfig).toList();
  }

  private static int id(UpstreamRegistry registry, String name, int index) {
    return registry.find(name).servers().get(index).id();
  }

  @Test
  void addingAServerKeepsTheOtherDirectivesAndReturnsItsId() {
    UpstreamRegistry registry = registry(UpstreamRegistry.builder());
    registry.updateUpstream("u", "least_conn; keepalive 8; server 10.0.0.1:80 weight=2;");
    long before = registry.find("u").version();

    ServerResult result = registry.addServer("u", server("10.0.0.2:80").withMaxFails(3));

    Upstream after = registry.find("u");
    assertThat(result.isSuccess()).isTrue();
    assertThat(result.result().version()).isEqualTo(after.version()).isGreaterThan(before);
    assertThat(result.server()).isEqualTo(after.servers().get(1));
    assertThat(lines(after)).containsExactly("server 10.0.0.1:80 weight=2;", "server 10.0.0.2:80 max_fails=3;");
    assertThat(after.definition().toCommands()).startsWith("least_conn;").contains("keepalive 8;");
  }

  @Test
  void changingAServerKeepsItsIdAndTheLiveStateOfTheOthers() {
    UpstreamRegistry registry = registry(UpstreamRegistry.builder().workers(1));
    registry.updateUpstream("u", "server 10.0.0.1:80; server 10.0.0.2:80;");
    Peer other = registry.find("u").peers().asList().get(1);
    other.setHealthy(false);
    int id = id(registry, "u", 0);

    ServerResult result = registry.changeServer("u", id, s -> s.withWeight(5).withDown(true));

    Upstream after = registry.find("u");
    assertThat(result.server()).isEqualTo(new UpstreamServer(id, server("10.0.0.1:80").withWeight(5).withDown(true)));
    assertThat(lines(after)).containsExactly("server 10.0.0.1:80 weight=5 down;", "server 10.0.0.2:80;");
    assertThat(after.servers().get(0).id()).isEqualTo(id);
    assertThat(after.peers().asList().get(1).isHealthy()).isFalse();
  }

  @Test
  void removingAServerLeavesTheOthersAndTheirIds() {
    UpstreamRegistry registry = registry(UpstreamRegistry.builder());
    registry.updateUpstream("u", "server 10.0.0.1:80; server 10.0.0.2:80; server 10.0.0.3:80;");
    List<UpstreamServer> before = registry.find("u").servers();

    ServerResult result = registry.removeServer("u", before.get(1).id());

    assertThat(result.server()).isEqualTo(before.get(1));
    assertThat(registry.find("u").servers()).containsExactly(before.get(0), before.get(2));
  }

  @Test
  void unknownUpstreamOrServerIsNotFound() {
    UpstreamRegistry registry = registry(UpstreamRegistry.builder());
    registry.updateUpstream("u", "server 10.0.0.1:80;");
    int missing = id(registry, "u", 0) ^ 1;

    assertThat(registry.addServer("nope", server("10.0.0.2:80")).result().kind()).isEqualTo(Result.Kind.NOT_FOUND);
    assertThat(registry.removeServer("u", missing).result().kind()).isEqualTo(Result.Kind.NOT_FOUND);
    assertThat(registry.changeServer("u", missing, s -> s.withWeight(2)).result().message())
        .isEqualTo("server " + missing + " not found in upstream \"u\"");
  }

  @Test
  void aServerTheBlockRefusesIsRefusedInNginxWordsAndNothingChanges() {
    UpstreamRegistry registry = registry(UpstreamRegistry.builder());
    registry.updateUpstream("u", "hash $uri; server 10.0.0.1:80;");
    long version = registry.find("u").version();

    ServerResult result = registry.addServer("u", server("10.0.0.2:80").withBackup(true));

    assertThat(result.result().kind()).isEqualTo(Result.Kind.INVALID);
    assertThat(result.result().message()).isEqualTo("balancing method does not support parameter \"backup\"");
    assertThat(result.server()).isNull();
    assertThat(registry.find("u").version()).isEqualTo(version);
  }

  @Test
  void aServerIsCheckedWithTheWholeBlockAsNginxReadsIt() {
    UpstreamRegistry registry = registry(UpstreamRegistry.builder());
    registry.updateUpstream("u", "server 10.0.0.1:80;");

    ServerResult result = registry.addServer("u", server("backend.example:80").withResolve(true));

    assertThat(result.result().kind()).isEqualTo(Result.Kind.INVALID);
    assertThat(result.result().message())
        .isEqualTo("resolving names at run time requires upstream \"u\" to be in shared memory");
  }

  @Test
  void anInvalidChangeOfParametersIsRefused() {
    UpstreamRegistry registry = registry(UpstreamRegistry.builder());
    registry.updateUpstream("u", "server 10.0.0.1:80;");

    ServerResult result = registry.changeServer("u", id(registry, "u", 0), s -> s.withWeight(0));

    assertThat(result.result().kind()).isEqualTo(Result.Kind.INVALID);
    assertThat(result.result().message()).isEqualTo("weight must be >= 1: 0");
  }

  @Test
  void theLastServerCannotBeRemoved() {
    UpstreamRegistry registry = registry(UpstreamRegistry.builder());
    registry.updateUpstream("u", "server 10.0.0.1:80;");

    ServerResult result = registry.removeServer("u", id(registry, "u", 0));

    assertThat(result.result().kind()).isEqualTo(Result.Kind.INVALID);
    assertThat(registry.find("u").servers()).hasSize(1);
  }

  @Test
  void anExpectedVersionThatDoesNotHoldIsAConflict() {
    UpstreamRegistry registry = registry(UpstreamRegistry.builder());
    registry.updateUpstream("u", "server 10.0.0.1:80;");
    long version = registry.find("u").version();

    ServerResult result = registry.addServer("u", server("10.0.0.2:80"), version + 100);

    assertThat(result.result().kind()).isEqualTo(Result.Kind.VERSION_CONFLICT);
    assertThat(result.result().version()).isEqualTo(version);
    assertThat(registry.addServer("u", server("10.0.0.2:80"), version).isSuccess()).isTrue();
  }

  @Test
  void listenersAreToldOfAServerChangeAsOfAnUpdate() throws Exception {
    List<UpstreamChange> told = new CopyOnWriteArrayList<>();
    CountDownLatch two = new CountDownLatch(2);
    UpstreamRegistry registry = registry(UpstreamRegistry.builder().listener(change -> {
      told.add(change);
      two.countDown();
    }));
    registry.updateUpstream("u", "server 10.0.0.1:80;");

    registry.addServer("u", server("10.0.0.2:80"));

    assertThat(two.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(told.get(1).current().definition().servers()).hasSize(2);
    assertThat(told.get(1).previous().definition().servers()).hasSize(1);
  }

  @Test
  void idsDependOnTheAddressOnlyAndDuplicatesGetTheirOwn() {
    UpstreamRegistry registry = registry(UpstreamRegistry.builder());
    registry.updateUpstream("a", "server 10.0.0.1:80; server 10.0.0.2:80; server 10.0.0.1:80 backup;");
    registry.updateUpstream("b", "server 10.0.0.2:80 weight=9; server 10.0.0.1:80 max_fails=4;");

    List<UpstreamServer> a = registry.find("a").servers();
    List<UpstreamServer> b = registry.find("b").servers();

    assertThat(a.get(0).id()).isEqualTo(b.get(1).id());
    assertThat(a.get(1).id()).isEqualTo(b.get(0).id());
    assertThat(a.get(2).id()).isEqualTo(a.get(0).id() + 1);
    assertThat(a).allSatisfy(s -> assertThat(s.id()).isNotNegative());
  }

  @Test
  void idsSurviveAWholeUpstreamUpdateThatKeepsTheServerAndARestart() {
    Path file = dir.resolve("upstream.conf");
    UpstreamRegistry first = registry(UpstreamRegistry.builder().persistenceFile(file));
    first.updateUpstream("u", "server 10.0.0.1:80; server 10.0.0.2:80; server 10.0.0.3:80;");
    int kept = id(first, "u", 2);
    first.removeServer("u", id(first, "u", 0));
    first.updateUpstream("u", "server 10.0.0.9:80; server 10.0.0.3:80 weight=4;");
    assertThat(id(first, "u", 1)).isEqualTo(kept);
    List<UpstreamServer> before = first.find("u").servers();
    first.close();

    UpstreamRegistry second = registry(UpstreamRegistry.builder().persistenceFile(file));

    assertThat(second.find("u").servers()).isEqualTo(before);
  }

  @Test
  void aServerChangeIsPersistedBeforeItIsVisible() throws Exception {
    Path file = dir.resolve("upstream.conf");
    UpstreamRegistry registry = registry(UpstreamRegistry.builder().persistenceFile(file));
    registry.updateUpstream("u", "server 10.0.0.1:80;");

    registry.addServer("u", server("10.0.0.2:80").withWeight(3));

    // In the journal beside the file, or already in the file if the background fold ran: read as a start reads
    // them (file and journals read one by one could miss it, were the fold to rename the file in between).
    assertThat(UpstreamFile.read(file)).singleElement()
        .satisfies(stored -> assertThat(stored.definition().toConfig()).contains("server 10.0.0.2:80 weight=3;"));
  }

  @Test
  void concurrentServerChangesOfOneUpstreamAreAllMade() throws Exception {
    UpstreamRegistry registry = registry(UpstreamRegistry.builder());
    registry.updateUpstream("u", "server 10.0.0.1:80;");
    int threads = 4;
    int each = 25;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<List<ServerResult>>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        done.add(pool.submit(() -> {
          start.await();
          List<ServerResult> results = new ArrayList<>();
          for (int i = 0; i < each; i++) {
            results.add(registry.addServer("u", server("10.1." + thread + "." + i + ":80")));
          }
          return results;
        }));
      }
      start.countDown();
      for (Future<List<ServerResult>> future : done) {
        assertThat(future.get(60, TimeUnit.SECONDS)).allSatisfy(r -> assertThat(r.isSuccess()).isTrue());
      }
    } finally {
      pool.shutdownNow();
    }

    assertThat(registry.find("u").servers()).hasSize(1 + threads * each);
  }

  @Test
  void aDrainingServerGetsNoNewRequestsAndReadsDrainingUntilIdle() {
    UpstreamRegistry registry = registry(UpstreamRegistry.builder().workers(1));
    registry.updateUpstream("u", "server 10.0.0.1:80; server 10.0.0.2:80;");
    int id = id(registry, "u", 0);

    registry.changeServer("u", id, s -> s.withDrain(true));

    Upstream drained = registry.find("u");
    Peer draining = drained.peers().asList().get(0);
    assertThat(draining.state()).isEqualTo(Peer.State.DRAINING);
    PeerSelection selection = new PeerSelection();
    for (int i = 0; i < 10; i++) {
      selection.start(drained.peers(), null, null);
      assertThat(selection.next()).isNotSameAs(draining);
      selection.succeeded();
    }
  }

  @Test
  void aRequestInFlightFinishesOnThePeerItPickedWhenItsServerIsDrained() {
    UpstreamRegistry registry = registry(UpstreamRegistry.builder().workers(1));
    registry.updateUpstream("u", "zone z 64k; server 10.0.0.1:80; server 10.0.0.2:80;");
    PeerSelection inFlight = new PeerSelection().start(registry.find("u").peers(), null, null);
    Peer busy = inFlight.next();
    int index = registry.find("u").peers().asList().indexOf(busy);

    registry.changeServer("u", id(registry, "u", index), s -> s.withDrain(true));

    assertThat(busy.activeConnections()).isEqualTo(1);
    inFlight.succeeded();
    assertThat(busy.activeConnections()).isZero();
    assertThat(registry.find("u").peers().asList().get(index).state()).isEqualTo(Peer.State.DRAINING);
  }

  @Test
  void specWithMethodsChangeOneComponent() {
    ServerSpec spec = server("10.0.0.1:80")
        .withWeight(2).withMaxFails(3).withFailTimeout(Duration.ofSeconds(5)).withMaxConns(7)
        .withSlowStart(Duration.ofSeconds(30)).withRoute("r1").withBackup(true);

    assertThat(spec.toConfig()).isEqualTo(
        "server 10.0.0.1:80 weight=2 max_fails=3 fail_timeout=5s max_conns=7 slow_start=30s route=r1 backup;");
    assertThat(spec.withAddress(Address.parse("10.0.0.2:81")).address().toString()).isEqualTo("10.0.0.2:81");
  }
}
