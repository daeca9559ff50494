package io.dyups.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import io.dyups.core.Peer;
import io.dyups.core.PeerSelection;
import io.dyups.core.UpstreamRegistry;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The meters of a registry's peers in a SimpleMeterRegistry: their figures, and how they follow changes. */
class UpstreamMetricsTest {
  private final UpstreamRegistry registry = UpstreamRegistry.builder().workers(1).build();
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

  @AfterEach
  void close() {
    registry.close();
    meters.close();
  }

  private String id(String upstream, int server) {
    return Integer.toString(registry.find(upstream).servers().get(server).id());
  }

  private double counter(String name, String upstream, String server, String... tags) {
    FunctionCounter counter = meters.find(name).tag("upstream", upstream).tag("server", server).tags(tags)
        .functionCounter();
    assertThat(counter).as(name + " of " + server).isNotNull();
    return counter.count();
  }

  private double gauge(String name, String upstream, String server) {
    Gauge gauge = meters.find(name).tag("upstream", upstream).tag("server", server).gauge();
    assertThat(gauge).as(name + " of " + server).isNotNull();
    return gauge.value();
  }

  // The meters every peer has from its first sync (the per-status counters come as statuses are seen).
  private static final List<String> EVERY_PEER_HAS = List.of("dyups.peer.requests", "dyups.peer.responses",
      "dyups.peer.sent", "dyups.peer.received", "dyups.peer.fails", "dyups.peer.unavail", "dyups.peer.health.checks",
      "dyups.peer.health.fails", "dyups.peer.health.unhealthy", "dyups.peer.active", "dyups.peer.state",
      "dyups.peer.downtime", "dyups.peer.header.time", "dyups.peer.response.time");

  private Set<String> meterNames(String upstream, String server) {
    return meters.getMeters().stream().map(Meter::getId)
        .filter(id -> upstream.equals(id.getTag("upstream")) && server.equals(id.getTag("server")))
        .map(Meter.Id::getName).collect(Collectors.toSet());
  }

  /** Whether every meter of the peer is registered: the listener registers (and removes) them one by one. */
  private boolean hasMeters(String upstream, String server) {
    return meterNames(upstream, server).containsAll(EVERY_PEER_HAS);
  }

  private boolean hasNoMeters(String upstream, String server) {
    return meterNames(upstream, server).isEmpty();
  }

  /**
   * Waits until the listener has synced the meters after a change (it runs on the registry's listener thread):
   * all of the peer's meters there, or none left.
   */
  private void awaitMeters(String upstream, String server, boolean present) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!(present ? hasMeters(upstream, server) : hasNoMeters(upstream, server)) && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
  }

  private void request(String upstream, String server, int status, boolean failed) {
    PeerSelection selection = new PeerSelection();
    for (int i = 0; i < 20; i++) {
      selection.start(registry.find(upstream).peers(), null, null);
      Peer peer = selection.next();
      if (peer.toString().equals(server)) {
        if (failed) {
          selection.failed();
        } else {
          selection.succeeded(status, 2_000_000L, 5_000_000L, 100, 900);
        }
        return;
      }
      selection.succeeded();
    }
    throw new AssertionError(server + " never picked");
  }

  @Test
  void eachPeerHasItsFiguresTaggedWithUpstreamServerAndId() {
    registry.updateUpstream("u", "server 10.0.0.1:80; server 10.0.0.2:80 max_fails=0;");
    UpstreamMetrics.of(registry).bindTo(meters);

    request("u", "10.0.0.1:80", 200, false);
    request("u", "10.0.0.1:80", 503, false);
    request("u", "10.0.0.2:80", 0, true);

    assertThat(counter("dyups.peer.responses", "u", "10.0.0.1:80", "status", "2xx", "id", id("u", 0))).isEqualTo(1);
    assertThat(counter("dyups.peer.responses", "u", "10.0.0.1:80", "status", "5xx")).isEqualTo(1);
    assertThat(counter("dyups.peer.sent", "u", "10.0.0.1:80")).isEqualTo(200);
    assertThat(counter("dyups.peer.received", "u", "10.0.0.1:80")).isEqualTo(1800);
    assertThat(counter("dyups.peer.fails", "u", "10.0.0.2:80")).isEqualTo(1);
    assertThat(counter("dyups.peer.requests", "u", "10.0.0.2:80"))
        .isEqualTo(registry.find("u").peers().asList().get(1).statistics().requests());
    assertThat(gauge("dyups.peer.active", "u", "10.0.0.1:80")).isZero();
    assertThat(gauge("dyups.peer.state", "u", "10.0.0.1:80")).isEqualTo(1);
    TimeGauge response = meters.find("dyups.peer.response.time").tag("server", "10.0.0.1:80").timeGauge();
    assertThat(response.value(TimeUnit.MILLISECONDS)).isEqualTo(5);
    TimeGauge header = meters.find("dyups.peer.header.time").tag("server", "10.0.0.2:80").timeGauge();
    assertThat(header.value(TimeUnit.MILLISECONDS)).isNaN();
  }

  @Test
  void aPeerTakenOutReadsUnavailAndADrainingOneDraining() {
    registry.updateUpstream("u", "server 10.0.0.1:80 max_fails=1; server 10.0.0.2:80; server 10.0.0.3:80 drain;");
    UpstreamMetrics.of(registry).bindTo(meters);

    request("u", "10.0.0.1:80", 0, true);

    assertThat(gauge("dyups.peer.state", "u", "10.0.0.1:80")).isEqualTo(4);
    assertThat(counter("dyups.peer.unavail", "u", "10.0.0.1:80")).isEqualTo(1);
    assertThat(gauge("dyups.peer.state", "u", "10.0.0.3:80")).isEqualTo(2);
    assertThat(gauge("dyups.peer.state", "u", "10.0.0.2:80")).isEqualTo(1);
  }

  @Test
  void metersComeWithNewServersAndUpstreamsAndGoWithThem() throws Exception {
    registry.updateUpstream("u", "server 10.0.0.1:80; server 10.0.0.2:80;");
    UpstreamMetrics.of(registry).bindTo(meters);
    assertThat(hasMeters("u", "10.0.0.2:80")).isTrue();

    registry.updateUpstream("u", "server 10.0.0.1:80; server 10.0.0.3:80;");
    registry.updateUpstream("v", "server 10.0.0.9:80;");
    awaitMeters("v", "10.0.0.9:80", true);
    awaitMeters("u", "10.0.0.2:80", false);

    assertThat(hasNoMeters("u", "10.0.0.2:80")).isTrue();
    assertThat(hasMeters("u", "10.0.0.3:80")).isTrue();
    assertThat(hasMeters("u", "10.0.0.1:80")).isTrue();
    assertThat(hasMeters("v", "10.0.0.9:80")).isTrue();

    registry.deleteUpstream("v");
    awaitMeters("v", "10.0.0.9:80", false);
    assertThat(meters.getMeters()).extracting(Meter::getId).noneMatch(id -> "v".equals(id.getTag("upstream")));
  }

  @Test
  void anUpstreamCreatedAgainUnderAnotherSpellingHasItsMetersUnderThatSpellingOnly() throws Exception {
    registry.updateUpstream("Web", "server 10.0.0.1:80;");
    UpstreamMetrics.of(registry).bindTo(meters);

    registry.deleteUpstream("Web");
    registry.updateUpstream("web", "server 10.0.0.1:80;");
    awaitMeters("Web", "10.0.0.1:80", false);
    awaitMeters("web", "10.0.0.1:80", true);
    assertThat(hasNoMeters("Web", "10.0.0.1:80")).isTrue();
    assertThat(hasMeters("web", "10.0.0.1:80")).isTrue();

    registry.deleteUpstream("web");
    awaitMeters("web", "10.0.0.1:80", false);
    assertThat(meters.getMeters()).isEmpty();
  }

  @Test
  void aPeerKeptByAnUpdateKeepsItsMetersWhichReadTheNewestPeer() throws Exception {
    registry.updateUpstream("u", "server 10.0.0.1:80; server 10.0.0.2:80;");
    UpstreamMetrics.of(registry).bindTo(meters);
    request("u", "10.0.0.1:80", 200, false);

    registry.updateUpstream("u", "server 10.0.0.1:80; server 10.0.0.2:80; server 10.0.0.4:80;");
    awaitMeters("u", "10.0.0.4:80", true);
    request("u", "10.0.0.1:80", 200, false);

    assertThat(counter("dyups.peer.responses", "u", "10.0.0.1:80", "status", "2xx")).isEqualTo(2);
    assertThat(meters.find("dyups.peer.requests").tag("server", "10.0.0.1:80").meters()).hasSize(1);
  }

  @Test
  void twoMeterRegistriesEachGetTheMeters() {
    registry.updateUpstream("u", "server 10.0.0.1:80;");
    SimpleMeterRegistry other = new SimpleMeterRegistry();
    UpstreamMetrics metrics = UpstreamMetrics.of(registry);

    metrics.bindTo(meters);
    metrics.bindTo(other);

    assertThat(other.find("dyups.peer.requests").tag("server", "10.0.0.1:80").functionCounter()).isNotNull();
    assertThat(hasMeters("u", "10.0.0.1:80")).isTrue();
    other.close();
  }

  private boolean hasCode(String upstream, String server, int code) {
    return !meters.find("dyups.peer.responses.codes").tag("upstream", upstream).tag("server", server)
        .tag("code", Integer.toString(code)).meters().isEmpty();
  }

  @Test
  void eachStatusAnsweredHasACounterOfItsResponses() {
    registry.updateUpstream("u", "server 10.0.0.1:80; server 10.0.0.2:80;");
    request("u", "10.0.0.1:80", 200, false);
    request("u", "10.0.0.1:80", 200, false);
    request("u", "10.0.0.1:80", 404, false);
    request("u", "10.0.0.2:80", 503, false);

    UpstreamMetrics.of(registry).bindTo(meters);

    assertThat(counter("dyups.peer.responses.codes", "u", "10.0.0.1:80", "code", "200", "id", id("u", 0)))
        .isEqualTo(2);
    assertThat(counter("dyups.peer.responses.codes", "u", "10.0.0.1:80", "code", "404")).isEqualTo(1);
    assertThat(counter("dyups.peer.responses.codes", "u", "10.0.0.2:80", "code", "503")).isEqualTo(1);
    assertThat(hasCode("u", "10.0.0.1:80", 503)).isFalse();
    assertThat(hasCode("u", "10.0.0.2:80", 200)).isFalse();
  }

  @Test
  void aStatusFirstAnsweredAfterBindingIsInTheNextScrape() {
    registry.updateUpstream("u", "server 10.0.0.1:80;");
    PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    UpstreamMetrics.of(registry).bindTo(prometheus);
    request("u", "10.0.0.1:80", 200, false);
    String line429 = "dyups_peer_responses_codes_total{code=\"429\",id=\"" + id("u", 0)
        + "\",server=\"10.0.0.1:80\",upstream=\"u\"} ";

    prometheus.scrape();
    request("u", "10.0.0.1:80", 429, false);
    request("u", "10.0.0.1:80", 429, false);
    prometheus.scrape();
    String scrape = prometheus.scrape();

    assertThat(scrape).contains(line429 + "2.0").contains("code=\"200\"");
    prometheus.close();
  }

  @Test
  void aStatusCounterReadsZeroAfterAResetAndGoesWithItsPeer() throws Exception {
    registry.updateUpstream("u", "server 10.0.0.1:80; server 10.0.0.2:80;");
    request("u", "10.0.0.2:80", 502, false);
    UpstreamMetrics.of(registry).bindTo(meters);

    registry.find("u").peers().resetStatistics();
    assertThat(counter("dyups.peer.responses.codes", "u", "10.0.0.2:80", "code", "502")).isZero();

    registry.updateUpstream("u", "server 10.0.0.1:80;");
    // The listener removes the peer's meters on its own thread: wait for the last of them.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (hasCode("u", "10.0.0.2:80", 502) && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertThat(hasCode("u", "10.0.0.2:80", 502)).isFalse();
    assertThat(hasNoMeters("u", "10.0.0.2:80")).isTrue();
  }

  @Test
  void theStateNumbersAreNginxPrometheusExportersOnes() {
    assertThat(UpstreamMetrics.stateNumber(Peer.State.UP)).isEqualTo(1);
    assertThat(UpstreamMetrics.stateNumber(Peer.State.DRAINING)).isEqualTo(2);
    assertThat(UpstreamMetrics.stateNumber(Peer.State.DOWN)).isEqualTo(3);
    assertThat(UpstreamMetrics.stateNumber(Peer.State.UNAVAIL)).isEqualTo(4);
    assertThat(UpstreamMetrics.stateNumber(Peer.State.CHECKING)).isEqualTo(5);
    assertThat(UpstreamMetrics.stateNumber(Peer.State.UNHEALTHY)).isEqualTo(6);
  }
}
