package io.dyups.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import io.dyups.parser.Address;
import io.dyups.parser.ConfigSyntaxException;
import io.dyups.parser.ResolverSpec;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Servers written with a host name, through the registry, with answers a test chooses: one peer per address,
 * nginx's refusals and words, lookups off the write lock and off the pick path, and names with {@code resolve}
 * looked up again as their TTLs run out (ngx_parse_url, ngx_http_upstream_zone_resolve_handler).
 */
class HostNamesTest {
  private static final Duration LONG = Duration.ofHours(1);
  private static final String RESOLVER = "zone z 64k; resolver 10.0.0.53 ipv6=on; resolver_timeout 2s; ";

  private final ScriptedHostResolver dns = new ScriptedHostResolver();
  private final List<UpstreamRegistry> opened = new CopyOnWriteArrayList<>();

  // nginx's random draws (ngx_random() % n) as a test scripts them; 0 once the script ends.
  private final Queue<Integer> draws = new ConcurrentLinkedQueue<>();
  private final AtomicInteger drawn = new AtomicInteger();

  private UpstreamRegistry registry() {
    UpstreamRegistry registry = UpstreamRegistry.builder().hostResolver(dns).random(bound -> {
      drawn.incrementAndGet();
      Integer next = draws.poll();
      return next == null ? 0 : next % bound;
    }).build();
    opened.add(registry);
    return registry;
  }

  @AfterEach
  void close() {
    opened.forEach(UpstreamRegistry::close);
  }

  private static List<String> peers(UpstreamRegistry registry, String name) {
    return registry.find(name).peers().asList().stream().map(Peer::toString).toList();
  }

  // Waits (at most 10 s) until the upstream's peers satisfy the condition: re-resolution runs on its own timer.
  private static List<String> awaitPeers(UpstreamRegistry registry, String name, Predicate<List<String>> done)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    List<String> peers = peers(registry, name);
    while (!done.test(peers) && System.nanoTime() < deadline) {
      Thread.sleep(20);
      peers = peers(registry, name);
    }
    return peers;
  }

  @Test
  void eachAddressOfANameIsAPeerWithTheServersParameters() {
    dns.answer("backend.local", LONG, "10.0.0.1", "2001:db8::1", "10.0.0.2");
    UpstreamRegistry registry = registry();

    assertThat(registry.updateUpstream("u", "server backend.local:8080 weight=3 max_fails=2;").isSuccess()).isTrue();

    List<Peer> peers = registry.find("u").peers().asList();
    assertThat(peers).extracting(Peer::toString)
        .containsExactly("10.0.0.1:8080", "[2001:db8::1]:8080", "10.0.0.2:8080");
    assertThat(peers).allSatisfy(peer -> {
      assertThat(peer.spec().weight()).isEqualTo(3);
      assertThat(peer.spec().maxFails()).isEqualTo(2);
      assertThat(peer.address()).isEqualTo(new Address(Address.Kind.HOST, "backend.local", 8080));
    });
    assertThat(peers.get(1).socketAddress()).isInstanceOfSatisfying(InetSocketAddress.class, socket -> {
      assertThat(socket.isUnresolved()).isFalse();
      assertThat(socket.getPort()).isEqualTo(8080);
    });
  }

  @Test
  void aNameThatIsNotFoundIsRefusedInNginxWordsWith400() {
    UpstreamRegistry registry = registry();

    Result result = registry.updateUpstream("u", "server 10.0.0.9; server backend.invalid:8080;");

    assertThat(result.kind()).isEqualTo(Result.Kind.INVALID);
    assertThat(result.status()).isEqualTo(400);
    assertThat(result.message()).isEqualTo("host not found in upstream \"backend.invalid:8080\"");
    assertThat(registry.find("u")).isNull();
  }

  @Test
  void aFailedLookupRefusesTooAndKeepsTheOldDefinition() {
    dns.answer("backend.local", LONG, "10.0.0.1");
    UpstreamRegistry registry = registry();
    registry.updateUpstream("u", "server backend.local;");
    dns.answer("backend.local", HostResolver.Answer.failed("Operation timed out"));

    Result result = registry.updateUpstream("u", "server backend.local weight=2;");

    assertThat(result.status()).isEqualTo(400);
    assertThat(result.message()).isEqualTo("host not found in upstream \"backend.local\"");
    assertThat(registry.find("u").definition().servers().get(0).weight()).isEqualTo(1);
  }

  @Test
  void aNameWithResolveNeedsAResolver() {
    UpstreamRegistry registry = registry();

    Result result = registry.updateUpstream("u", "zone z 64k; server backend.local resolve;");

    assertThat(result.status()).isEqualTo(400);
    assertThat(result.message()).isEqualTo("no resolver defined to resolve names at run time in upstream \"u\"");
  }

  @Test
  void theRegistrysResolverServesUpstreamsWithoutTheirOwn() {
    dns.answer("backend.local", LONG, "10.0.0.1");
    UpstreamRegistry registry = UpstreamRegistry.builder().hostResolver(dns)
        .resolver(ResolverSpec.parse(List.of("10.0.0.53:5353"))).build();
    opened.add(registry);

    assertThat(registry.updateUpstream("u", "zone z 64k; server backend.local resolve;").isSuccess()).isTrue();

    assertThat(peers(registry, "u")).containsExactly("10.0.0.1:80");
    assertThat(dns.queries.get(0).nameServers()).containsExactly(new InetSocketAddress("10.0.0.53", 5353));
  }

  @Test
  void aNameWithResolveThatIsNotFoundIsAcceptedWithoutPeersAndSaysSo() {
    UpstreamRegistry registry = registry();

    assertThat(registry.updateUpstream("u", RESOLVER + "server 10.0.0.9; server backend.local resolve;")
        .isSuccess()).isTrue();

    assertThat(peers(registry, "u")).containsExactly("10.0.0.9:80");
    HostStatus host = registry.find("u").hosts().get(0);
    assertThat(host.state()).isEqualTo(HostStatus.State.NOT_FOUND);
    assertThat(host.addresses()).isEmpty();
    assertThat(host.error()).isEqualTo("Host not found");
  }

  @Test
  void aSlowLookupDoesNotHoldOtherWritersOrReadersUp() throws Exception {
    CompletableFuture<Void> gate = dns.hold("slow.local");
    dns.answer("slow.local", LONG, "10.0.0.1");
    UpstreamRegistry registry = registry();
    registry.updateUpstream("seen", "server 10.0.0.5;");
    ExecutorService writer = Executors.newSingleThreadExecutor();
    try {
      Future<Result> slow = writer.submit(() -> registry.updateUpstream("slow", "server slow.local;"));
      while (dns.lookupsOf("slow.local") == 0) {
        Thread.sleep(5);
      }

      assertThat(registry.updateUpstream("other", "server 10.0.0.2;").isSuccess()).isTrue();
      assertThat(registry.deleteUpstream("seen").isSuccess()).isTrue();
      assertThat(registry.list()).containsExactly("other");
      assertThat(slow.isDone()).isFalse();

      gate.complete(null);
      assertThat(slow.get(10, TimeUnit.SECONDS).isSuccess()).isTrue();
      assertThat(peers(registry, "slow")).containsExactly("10.0.0.1:80");
    } finally {
      gate.complete(null);
      writer.shutdownNow();
    }
  }

  @Test
  void picksNeverLookANameUp() throws Exception {
    dns.answer("backend.local", Duration.ZERO, "10.0.0.1", "10.0.0.2");
    UpstreamRegistry registry = registry();
    registry.updateUpstream("u", RESOLVER + "server backend.local resolve;");
    // Every later lookup waits for the gate: a pick that looked the name up would wait for it too.
    CompletableFuture<Void> gate = dns.hold("backend.local");
    long lookups = dns.lookupsOf("backend.local");
    try {
      PeerSelection selection = new PeerSelection();
      for (int i = 0; i < 1000; i++) {
        selection.start(registry.find("u").peers(), null, null);
        selection.next();
        selection.succeeded();
      }
      // The one lookup the timer may have started meanwhile is waiting at the gate, not in a pick.
      assertThat(dns.lookupsOf("backend.local") - lookups).isLessThanOrEqualTo(1);
    } finally {
      gate.complete(null);
    }
  }

  @Test
  void peersFollowTheAnswerWhenItsTtlRunsOut() throws Exception {
    dns.answer("backend.local", Duration.ZERO, "10.0.0.1", "10.0.0.2");
    UpstreamRegistry registry = registry();
    registry.updateUpstream("u", RESOLVER + "server backend.local:8080 resolve;");
    assertThat(peers(registry, "u")).containsExactly("10.0.0.1:8080", "10.0.0.2:8080");
    long version = registry.find("u").version();

    dns.answer("backend.local", Duration.ofHours(1), "10.0.0.3", "10.0.0.2");

    List<String> peers = awaitPeers(registry, "u", now -> now.contains("10.0.0.3:8080"));
    // The kept address keeps its place; the new one comes after it, as nginx adds peers.
    assertThat(peers).containsExactly("10.0.0.2:8080", "10.0.0.3:8080");
    assertThat(registry.find("u").version()).isEqualTo(version);
  }

  @Test
  void aPeerWhoseAddressStaysKeepsItsState() throws Exception {
    dns.answer("backend.local", Duration.ZERO, "10.0.0.1", "10.0.0.2");
    UpstreamRegistry registry = registry();
    registry.updateUpstream("u", RESOLVER + "server backend.local resolve max_fails=5;");
    PeerSelection selection = new PeerSelection();
    selection.start(registry.find("u").peers(), null, null);
    Peer failed = selection.next();
    selection.failed();

    dns.answer("backend.local", LONG, "10.0.0.1", "10.0.0.2", "10.0.0.7");
    awaitPeers(registry, "u", now -> now.size() == 3);

    Peer again = registry.find("u").peers().asList().stream()
        .filter(peer -> peer.toString().equals(failed.toString())).findFirst().orElseThrow();
    assertThat(again).isNotSameAs(failed);
    assertThat(again.failures()).isEqualTo(1);
  }

  @Test
  void aNameThatStopsAnsweringKeepsItsLastAddressesAndSaysSo() throws Exception {
    dns.answer("backend.local", Duration.ZERO, "10.0.0.1", "10.0.0.2");
    UpstreamRegistry registry = registry();
    registry.updateUpstream("u", RESOLVER + "server backend.local resolve;");

    dns.answer("backend.local", HostResolver.Answer.failed("Operation timed out"));

    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (registry.find("u").hosts().get(0).state() != HostStatus.State.STALE && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    HostStatus host = registry.find("u").hosts().get(0);
    assertThat(host.state()).isEqualTo(HostStatus.State.STALE);
    assertThat(host.error()).isEqualTo("Operation timed out");
    assertThat(host.addresses()).hasSize(2);
    assertThat(peers(registry, "u")).containsExactly("10.0.0.1:80", "10.0.0.2:80");
  }

  @Test
  void aNameThatNoLongerExistsLosesItsPeers() throws Exception {
    dns.answer("backend.local", Duration.ZERO, "10.0.0.1");
    UpstreamRegistry registry = registry();
    registry.updateUpstream("u", RESOLVER + "server 10.0.0.9; server backend.local resolve;");

    dns.answer("backend.local", HostResolver.Answer.notFound(LONG));

    assertThat(awaitPeers(registry, "u", now -> now.size() == 1)).containsExactly("10.0.0.9:80");
    assertThat(registry.find("u").hosts().get(0).state()).isEqualTo(HostStatus.State.NOT_FOUND);
  }

  @Test
  void theAddressesOfNamesWithResolveFollowTheOtherPeers() {
    dns.answer("a.local", LONG, "10.0.0.1").answer("b.local", LONG, "10.0.0.2", "2001:db8::2", "10.0.0.3");
    UpstreamRegistry registry = registry();

    registry.updateUpstream("u", RESOLVER + "server b.local resolve; server 10.0.0.9; server a.local;");

    // IPv4 first for a name with resolve (ngx_resolver_export), after the peers made when the block was read.
    assertThat(peers(registry, "u"))
        .containsExactly("10.0.0.9:80", "10.0.0.1:80", "10.0.0.2:80", "10.0.0.3:80", "[2001:db8::2]:80");
  }

  @Test
  void aServiceBecomesPeersByPriorityWithItsRecordsWeightsAndPorts() {
    dns.service("_http._tcp.svc.local", LONG,
        new HostResolver.ServiceRecord(10, 5, 8081, "a.svc.local"),
        new HostResolver.ServiceRecord(20, 1, 8082, "b.svc.local"),
        new HostResolver.ServiceRecord(10, 2, 8083, "c.svc.local"));
    dns.answer("a.svc.local", LONG, "10.0.1.1").answer("b.svc.local", LONG, "10.0.1.2")
        .answer("c.svc.local", LONG, "10.0.1.3", "10.0.1.4");
    UpstreamRegistry registry = registry();

    assertThat(registry.updateUpstream("u", RESOLVER + "server svc.local service=http resolve;").isSuccess())
        .isTrue();

    List<Peer> peers = registry.find("u").peers().asList();
    assertThat(peers).extracting(Peer::toString)
        .containsExactly("10.0.1.1:8081", "10.0.1.3:8083", "10.0.1.4:8083", "10.0.1.2:8082");
    assertThat(peers).extracting(peer -> peer.spec().weight()).containsExactly(5, 2, 2, 1);
    assertThat(peers).extracting(peer -> peer.spec().backup()).containsExactly(false, false, false, true);
  }

  @Test
  void aConsistentHashReadsAServicesRecordTargetAndEveryOtherServerAsWritten() {
    dns.service("_http._tcp.svc.local", LONG, new HostResolver.ServiceRecord(10, 5, 8081, "a.svc.local"));
    dns.answer("a.svc.local", LONG, "10.0.1.1").answer("backend.local", LONG, "10.0.0.2");
    UpstreamRegistry registry = registry();

    registry.updateUpstream("u", RESOLVER + "server svc.local service=http resolve; server 10.0.0.9:8080;"
        + " server backend.local; server [2001:db8::1]:81; server unix:/tmp/dyups.sock;");

    // nginx's peer->server: what the line says (a name with its port), or the SRV record's target.
    assertThat(registry.find("u").peers().asList()).extracting(Peer::hashName).containsExactly(
        "10.0.0.9:8080", "backend.local:80", "[2001:db8::1]:81", "unix:/tmp/dyups.sock", "a.svc.local");
  }

  @Test
  void aServiceRecordOfWeightZeroWeighsOneAsInNginx() {
    dns.service("_http._tcp.svc.local", LONG, new HostResolver.ServiceRecord(1, 0, 8081, "a.svc.local"),
        new HostResolver.ServiceRecord(1, 0, 8082, "b.svc.local"));
    dns.answer("a.svc.local", LONG, "10.0.1.1").answer("b.svc.local", LONG, "10.0.1.2");
    UpstreamRegistry registry = registry();

    registry.updateUpstream("u", RESOLVER + "server svc.local service=http resolve;");

    // ngx_resolver_process_srv reads weight 0 as 1: both peers are picked in turn, neither is starved.
    assertThat(registry.find("u").peers().asList()).extracting(peer -> peer.spec().weight()).containsExactly(1, 1);
    PeerSelection selection = new PeerSelection();
    List<String> picks = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      selection.start(registry.find("u").peers(), null, null);
      picks.add(selection.next().toString());
      selection.succeeded();
    }
    assertThat(picks).filteredOn("10.0.1.1:8081"::equals).hasSize(2);
    assertThat(picks).filteredOn("10.0.1.2:8082"::equals).hasSize(2);
  }

  @Test
  void anUpstreamThatBeginsToUseANameWithAnAnswerGetsItRotatedAsNginxServesACachedAnswer() {
    dns.answer("backend.local", LONG, "10.0.0.1", "10.0.0.2", "10.0.0.3", "2001:db8::1");
    UpstreamRegistry registry = registry();
    registry.updateUpstream("first", RESOLVER + "server backend.local resolve;");
    assertThat(drawn.get()).isZero();
    // ngx_resolver_export with rotate: written from place 1 of 4, the IPv4 addresses from the third, then IPv6.
    draws.addAll(List.of(1, 2, 0));

    registry.updateUpstream("second", RESOLVER + "server backend.local resolve;");

    // The answer as it came, to the upstream whose lookup got it; rotated, to the one served from the table.
    assertThat(peers(registry, "first"))
        .containsExactly("10.0.0.1:80", "10.0.0.2:80", "10.0.0.3:80", "[2001:db8::1]:80");
    assertThat(peers(registry, "second"))
        .containsExactly("[2001:db8::1]:80", "10.0.0.3:80", "10.0.0.1:80", "10.0.0.2:80");
    assertThat(drawn.get()).isEqualTo(3);
    assertThat(dns.lookupsOf("backend.local")).isEqualTo(1);
  }

  @Test
  void aSingleIpv4AddressIsServedFromTheTableAsItIs() {
    dns.answer("backend.local", LONG, "10.0.0.1");
    UpstreamRegistry registry = registry();
    registry.updateUpstream("first", RESOLVER + "server backend.local resolve;");

    registry.updateUpstream("second", RESOLVER + "server backend.local resolve;");

    assertThat(peers(registry, "second")).containsExactly("10.0.0.1:80");
    assertThat(drawn.get()).isZero();
  }

  @ParameterizedTest
  @CsvSource({"0, '10.0.1.1:8081,10.0.1.2:8082,10.0.1.3:8083'", "1, '10.0.1.2:8082,10.0.1.3:8083,10.0.1.1:8081'",
      "3, '10.0.1.2:8082,10.0.1.3:8083,10.0.1.1:8081'", "4, '10.0.1.3:8083,10.0.1.1:8081,10.0.1.2:8082'"})
  void aServicesRecordsStartAtOnePickedByWeightAsNginxReportsThem(int draw, String expected) {
    // Shares 1, 3 and 2 of 6: a draw of 0 starts at the first record, 1 to 3 at the second, 4 and 5 at the third.
    dns.service("_http._tcp.svc.local", LONG, new HostResolver.ServiceRecord(1, 1, 8081, "a.svc.local"),
        new HostResolver.ServiceRecord(1, 3, 8082, "b.svc.local"),
        new HostResolver.ServiceRecord(1, 2, 8083, "c.svc.local"));
    dns.answer("a.svc.local", LONG, "10.0.1.1").answer("b.svc.local", LONG, "10.0.1.2")
        .answer("c.svc.local", LONG, "10.0.1.3");
    draws.add(draw);
    UpstreamRegistry registry = registry();

    registry.updateUpstream("u", RESOLVER + "server svc.local service=http resolve;");

    assertThat(peers(registry, "u")).containsExactly(expected.split(","));
  }

  @Test
  void theLowestPriorityWithAddressesIsPrimary() {
    dns.service("_http._tcp.svc.local", LONG, new HostResolver.ServiceRecord(1, 1, 8081, "gone.svc.local"),
        new HostResolver.ServiceRecord(2, 1, 8082, "b.svc.local"),
        new HostResolver.ServiceRecord(3, 1, 8083, "c.svc.local"));
    dns.answer("b.svc.local", LONG, "10.0.1.2").answer("c.svc.local", LONG, "10.0.1.3");
    UpstreamRegistry registry = registry();

    registry.updateUpstream("u", RESOLVER + "server svc.local service=http resolve;");

    // ngx_http_upstream_zone_resolve_handler's min_priority is over the addresses reported.
    assertThat(registry.find("u").peers().asList()).extracting(Peer::toString, peer -> peer.spec().backup())
        .containsExactly(tuple("10.0.1.2:8082", false), tuple("10.0.1.3:8083", true));
  }

  @Test
  void aServiceWithAWeightWrittenKeepsIt() {
    dns.service("_http._tcp.svc.local", LONG, new HostResolver.ServiceRecord(1, 50, 9000, "a.svc.local"));
    dns.answer("a.svc.local", LONG, "10.0.1.1");
    UpstreamRegistry registry = registry();

    registry.updateUpstream("u", RESOLVER + "server svc.local service=http resolve weight=3;");

    assertThat(registry.find("u").peers().asList()).singleElement()
        .satisfies(peer -> assertThat(peer.spec().weight()).isEqualTo(3));
  }

  @ParameterizedTest
  @CsvSource({"late.local:8080", "late.local", "LATE.local:80"})
  void aNameNotFoundInAConfigurationRefusesTheStartAtItsServerLineInNginxWords(String written, @TempDir Path dir)
      throws Exception {
    Path conf = dir.resolve("nginx.conf");
    Files.writeString(conf, "http {\n  upstream u {\n    server 10.0.0.9;\n    server " + written + " weight=2;\n  }\n}\n");

    assertThatThrownBy(() -> UpstreamRegistry.builder().hostResolver(dns).load(conf).build())
        .isInstanceOfSatisfying(ConfigSyntaxException.class, e -> {
          // nginx: host not found in upstream "late.local:8080" in nginx.conf:4
          assertThat(e.reason()).isEqualTo("host not found in upstream \"" + written + "\"");
          assertThat(e.file()).isEqualTo(conf.toAbsolutePath().normalize().toString());
          assertThat(e.line()).isEqualTo(4);
          assertThat(e.column()).isEqualTo(5);
        });
  }

  @Test
  void aNameWithResolveAndNoResolverRefusesTheStart(@TempDir Path dir) throws Exception {
    Path conf = dir.resolve("upstream.conf");
    Files.writeString(conf, "upstream u {\n  zone z 64k;\n  server late.local resolve;\n}\n");

    assertThatThrownBy(() -> UpstreamRegistry.builder().hostResolver(dns).load(conf).build())
        .isInstanceOfSatisfying(ConfigSyntaxException.class, e -> {
          assertThat(e.reason()).isEqualTo("no resolver defined to resolve names at run time in upstream \"u\"");
          assertThat(e.line()).isEqualTo(3);
        });
  }

  @Test
  void aNameWithResolveNotFoundAtStartDoesNotStopTheStart(@TempDir Path dir) throws Exception {
    Path conf = dir.resolve("upstream.conf");
    // valid=1s: a name not found is looked up again after 2 s (nginx's 10 s for a negative answer otherwise).
    Files.writeString(conf, "upstream u { zone z 64k; resolver 10.0.0.53 valid=1s; "
        + "server 10.0.0.9; server late.local resolve; }\n");

    UpstreamRegistry registry = UpstreamRegistry.builder().hostResolver(dns).load(conf).build();
    opened.add(registry);

    assertThat(peers(registry, "u")).containsExactly("10.0.0.9:80");
    assertThat(registry.find("u").hosts().get(0).state()).isEqualTo(HostStatus.State.NOT_FOUND);
    dns.answer("late.local", LONG, "10.0.0.1");
    assertThat(awaitPeers(registry, "u", now -> now.size() == 2)).containsExactly("10.0.0.9:80", "10.0.0.1:80");
  }

  @Test
  void aNameOfThePersistenceFileNotFoundAtStartDoesNotStopTheStart(@TempDir Path dir) throws Exception {
    dns.answer("late.local", LONG, "10.0.0.1");
    Path file = dir.resolve("upstream.conf");
    UpstreamRegistry first = UpstreamRegistry.builder().hostResolver(dns).persistenceFile(file).build();
    assertThat(first.updateUpstream("u", "server 10.0.0.9; server late.local;").isSuccess()).isTrue();
    first.close();
    dns.answer("late.local", HostResolver.Answer.failed("Operation timed out"));

    // The file holds what the registry accepted: it always loads again, the name looked up until it is found.
    UpstreamRegistry registry = UpstreamRegistry.builder().hostResolver(dns).persistenceFile(file).build();
    opened.add(registry);

    assertThat(peers(registry, "u")).containsExactly("10.0.0.9:80");
    assertThat(registry.find("u").hosts().get(0).state()).isEqualTo(HostStatus.State.FAILED);
  }

  @Test
  void aNameUsedByNoUpstreamIsForgotten() {
    dns.answer("backend.local", LONG, "10.0.0.1");
    UpstreamRegistry registry = registry();
    registry.updateUpstream("u", RESOLVER + "server backend.local resolve;");
    long lookups = dns.lookupsOf("backend.local");

    registry.deleteUpstream("u");
    registry.updateUpstream("u", RESOLVER + "server backend.local resolve;");

    assertThat(dns.lookupsOf("backend.local")).isEqualTo(lookups + 1);
  }

  @Test
  void changesAndRefreshesAtOnceEndWithTheLastDefinitionAndTheLastAnswer() throws Exception {
    dns.answer("backend.local", Duration.ZERO, "10.0.0.1", "10.0.0.2");
    UpstreamRegistry registry = registry();
    registry.updateUpstream("u", RESOLVER + "server backend.local resolve;");
    ExecutorService answers = Executors.newSingleThreadExecutor();
    try {
      // The answer changes every few milliseconds while the definition changes too; refreshes land between them.
      Future<?> changing = answers.submit(() -> {
        for (int i = 0; i < 300 && !Thread.currentThread().isInterrupted(); i++) {
          dns.answer("backend.local", Duration.ZERO, "10.0.1." + (i % 200 + 1), "10.0.2." + (i % 100 + 1));
          try {
            Thread.sleep(5);
          } catch (InterruptedException e) {
            return;
          }
        }
      });
      Result last = null;
      for (int weight = 1; weight <= 200; weight++) {
        last = registry.updateUpstream("u", RESOLVER + "server backend.local resolve weight=" + weight + ";");
        assertThat(last.isSuccess()).isTrue();
      }
      changing.get(30, TimeUnit.SECONDS);
      dns.answer("backend.local", LONG, "10.0.0.7", "10.0.0.8");

      List<String> peers = awaitPeers(registry, "u", now -> now.equals(List.of("10.0.0.7:80", "10.0.0.8:80")));

      assertThat(peers).containsExactly("10.0.0.7:80", "10.0.0.8:80");
      assertThat(registry.find("u").version()).isEqualTo(last.version());
      assertThat(registry.find("u").peers().asList())
          .allSatisfy(peer -> assertThat(peer.spec().weight()).isEqualTo(200));
    } finally {
      answers.shutdownNow();
    }
  }
}
