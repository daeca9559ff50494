package io.dyups.dns;

import static org.assertj.core.api.Assertions.assertThat;

import io.dyups.core.HostStatus;
import io.dyups.core.Peer;
import io.dyups.core.PeerSelection;
import io.dyups.core.Result;
import io.dyups.core.UpstreamRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Host names of a registry's upstreams looked up with {@link DnsHostResolver} against a DNS server started by the
 * test: peers made from A, AAAA and SRV records, and changed, kept or removed as the answers change when their
 * TTLs run out (nginx's server ... resolve).
 */
class RegistryDnsTest {
  private TestDnsServer dns;
  private DnsHostResolver resolver;
  private UpstreamRegistry registry;

  @BeforeEach
  void start() throws InterruptedException {
    dns = new TestDnsServer();
    resolver = DnsHostResolver.create();
    registry = UpstreamRegistry.builder().hostResolver(resolver).build();
  }

  @AfterEach
  void stop() {
    registry.close();
    resolver.close();
    dns.close();
  }

  /** An upstream block's directives that look names up with the test's server. */
  private String resolverOf(String timeout) {
    return "zone z 64k; resolver 127.0.0.1:" + dns.address().getPort() + "; resolver_timeout " + timeout + "; ";
  }

  private List<String> peers(String upstream) {
    return registry.find(upstream).peers().asList().stream().map(Peer::toString).toList();
  }

  private static void await(BooleanSupplier done) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (!done.getAsBoolean() && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
  }

  private List<String> picks(String upstream, int count) {
    List<String> picked = new ArrayList<>();
    PeerSelection selection = new PeerSelection();
    for (int i = 0; i < count; i++) {
      selection.start(registry.find(upstream).peers(), null, null);
      picked.add(selection.next().toString());
      selection.succeeded();
    }
    return picked;
  }

  @Test
  void theAAndAaaaRecordsOfANameBecomePeers() {
    dns.addresses("backend.test", 300, "10.0.0.1", "2001:db8::1", "10.0.0.2");

    Result result = registry.updateUpstream("u", resolverOf("5s") + "server backend.test:8080 resolve weight=2;");

    assertThat(result.isSuccess()).isTrue();
    assertThat(peers("u")).containsExactly("10.0.0.1:8080", "10.0.0.2:8080", "[2001:db8::1]:8080");
    assertThat(registry.find("u").peers().asList()).allSatisfy(peer -> assertThat(peer.spec().weight()).isEqualTo(2));
    HostStatus host = registry.find("u").hosts().get(0);
    assertThat(host.state()).isEqualTo(HostStatus.State.RESOLVED);
    assertThat(host.addresses()).hasSize(3);
  }

  @Test
  void aChangedAnswerAddsAndRemovesPeersWhenItsTtlRunsOut() throws Exception {
    dns.addresses("backend.test", 1, "10.0.0.1", "10.0.0.2");
    registry.updateUpstream("u", resolverOf("5s") + "server backend.test resolve;");
    assertThat(peers("u")).containsExactly("10.0.0.1:80", "10.0.0.2:80");

    dns.addresses("backend.test", 300, "10.0.0.2", "10.0.0.3");
    await(() -> peers("u").contains("10.0.0.3:80"));

    assertThat(peers("u")).containsExactly("10.0.0.2:80", "10.0.0.3:80");
  }

  @Test
  void afterAChangeThePeersArePickedAsNginxPicksTheSameResolvedSet() throws Exception {
    dns.addresses("backend.test", 1, "10.0.0.1", "10.0.0.2");
    registry.updateUpstream("u", resolverOf("5s") + "server backend.test resolve weight=2; server 10.0.0.9;");
    dns.addresses("backend.test", 300, "10.0.0.2", "10.0.0.3");
    await(() -> peers("u").contains("10.0.0.3:80"));

    // nginx's zone resolve handler keeps 10.0.0.2 in its place and adds 10.0.0.3 after it, behind the server
    // written with an address: the same peers, in that order, as these lines.
    registry.updateUpstream("same", "server 10.0.0.9; server 10.0.0.2 weight=2; server 10.0.0.3 weight=2;");
    assertThat(picks("u", 50)).containsExactlyElementsOf(picks("same", 50));
  }

  @Test
  void aServerThatStopsAnsweringLeavesTheLastAddresses() throws Exception {
    dns.addresses("backend.test", 1, "10.0.0.1", "10.0.0.2");
    registry.updateUpstream("u", resolverOf("500ms") + "server backend.test resolve;");

    dns.silent(true);
    await(() -> registry.find("u").hosts().get(0).state() == HostStatus.State.STALE);

    HostStatus host = registry.find("u").hosts().get(0);
    assertThat(host.state()).isEqualTo(HostStatus.State.STALE);
    assertThat(host.error()).isEqualTo("Operation timed out");
    assertThat(peers("u")).containsExactly("10.0.0.1:80", "10.0.0.2:80");

    dns.silent(false);
    dns.addresses("backend.test", 300, "10.0.0.5");
    await(() -> peers("u").equals(List.of("10.0.0.5:80")));
    assertThat(registry.find("u").hosts().get(0).state()).isEqualTo(HostStatus.State.RESOLVED);
  }

  @Test
  void theSrvRecordsOfAServiceBecomePeersWithTheirWeightsAndPorts() {
    dns.service("_http._tcp.svc.test", 300, new TestDnsServer.Srv(1, 10, 8080, "a.svc.test"),
            new TestDnsServer.Srv(1, 30, 8081, "b.svc.test"), new TestDnsServer.Srv(5, 1, 9000, "c.svc.test"))
        .addresses("a.svc.test", 300, "10.0.1.1").addresses("b.svc.test", 300, "10.0.1.2")
        .addresses("c.svc.test", 300, "10.0.1.3");

    Result result = registry.updateUpstream("u", resolverOf("5s") + "server svc.test service=http resolve;");

    assertThat(result.isSuccess()).isTrue();
    List<Peer> peers = registry.find("u").peers().asList();
    assertThat(peers).extracting(Peer::toString).containsExactly("10.0.1.1:8080", "10.0.1.2:8081", "10.0.1.3:9000");
    assertThat(peers).extracting(peer -> peer.spec().weight()).containsExactly(10, 30, 1);
    assertThat(peers).extracting(peer -> peer.spec().backup()).containsExactly(false, false, true);
  }

  @Test
  void anSrvRecordOfWeightZeroBecomesAPeerOfWeightOne() {
    dns.service("_http._tcp.zero.test", 300, new TestDnsServer.Srv(1, 0, 8080, "a.zero.test"))
        .addresses("a.zero.test", 300, "10.0.2.1");

    registry.updateUpstream("u", resolverOf("5s") + "server zero.test service=http resolve;");

    // ngx_resolver_process_srv: a weight of 0 is read as 1.
    assertThat(registry.find("u").peers().asList()).singleElement().satisfies(peer -> {
      assertThat(peer.toString()).isEqualTo("10.0.2.1:8080");
      assertThat(peer.spec().weight()).isEqualTo(1);
    });
  }

  @Test
  void aNameThatDoesNotResolveIsRefused() {
    Result result = registry.updateUpstream("u", "server nothing.invalid:8080;");

    assertThat(result.status()).isEqualTo(400);
    assertThat(result.message()).isEqualTo("host not found in upstream \"nothing.invalid:8080\"");
  }

  @Test
  void aNameWithResolveThatDoesNotExistIsAcceptedWithoutPeers() throws Exception {
    registry.updateUpstream("u", resolverOf("5s") + "server 10.0.0.9; server later.test resolve;");
    assertThat(peers("u")).containsExactly("10.0.0.9:80");
    assertThat(registry.find("u").hosts().get(0).state()).isEqualTo(HostStatus.State.NOT_FOUND);
  }
}
