package io.dyups.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dyups.parser.HealthCheck;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Per-peer statistics as NGINX Plus's API has them: what picks, releases, reports and health checks add up to. */
class PeerStatisticsTest {
  private final FakeTicker ticker = new FakeTicker();
  private final UpstreamRegistry registry = UpstreamRegistry.builder().ticker(ticker).workers(2).build();
  private final PeerSelection selection = new PeerSelection();

  @AfterEach
  void close() {
    registry.close();
  }

  private void update(String commands) {
    assertThat(registry.updateUpstream("u", commands).status()).isEqualTo(200);
  }

  private Peer peer(int index) {
    return registry.find("u").peers().asList().get(index);
  }

  private PeerStatistics statistics(int index) {
    return peer(index).statistics();
  }

  /** Picks until {@code wanted} comes up; the other peers picked on the way are released as successes. */
  private void pickUntil(Peer wanted) {
    for (int i = 0; i < 100; i++) {
      selection.start(registry.find("u").peers(), null, null);
      Peer peer = selection.next();
      if (peer != null && peer.address().equals(wanted.address())) {
        return;
      }
      if (peer != null) {
        selection.succeeded();
      }
    }
    throw new AssertionError(wanted + " never picked");
  }

  private Instant now() {
    return Instant.ofEpochMilli(ticker.read() / 1_000_000L);
  }

  @Test
  void aPeerNobodyPickedHasOnlyZeros() {
    update("server 10.0.0.1:80; server 10.0.0.2:80;");

    PeerStatistics stats = statistics(0);

    assertThat(stats.requests()).isZero();
    assertThat(stats.active()).isZero();
    assertThat(stats.responses()).isEqualTo(new PeerStatistics.Responses(0, 0, 0, 0, 0, 0, new TreeMap<>()));
    assertThat(stats.fails()).isZero();
    assertThat(stats.unavail()).isZero();
    assertThat(stats.downtime()).isZero();
    assertThat(stats.downstart()).isNull();
    assertThat(stats.selected()).isNull();
    assertThat(stats.headerTime()).isNull();
    assertThat(stats.responseTime()).isNull();
    assertThat(stats.healthChecks()).isEqualTo(new PeerStatistics.HealthChecks(0, 0, 0, null));
  }

  @Test
  void aRequestCountsWhileActiveAndAfterItsRelease() {
    update("server 10.0.0.1:80; server 10.0.0.2:80;");
    pickUntil(peer(0));

    assertThat(statistics(0).requests()).isEqualTo(1);
    assertThat(statistics(0).active()).isEqualTo(1);
    selection.succeeded();

    assertThat(statistics(0).requests()).isEqualTo(1);
    assertThat(statistics(0).active()).isZero();
  }

  @Test
  void reportedResponsesCountByStatusClassWithTheirBytesAndTimes() {
    update("server 10.0.0.1:80; server 10.0.0.2:80;");
    int[] statuses = {101, 200, 204, 302, 404, 502, 200, 999};
    for (int i = 0; i < statuses.length; i++) {
      pickUntil(peer(0));
      selection.succeeded(statuses[i], (i + 1) * 1_000_000L, (i + 1) * 3_000_000L, 101, 1010);
    }

    PeerStatistics stats = statistics(0);

    assertThat(stats.requests()).isEqualTo(statuses.length);
    assertThat(stats.responses()).isEqualTo(new PeerStatistics.Responses(1, 3, 1, 1, 1, 8, new TreeMap<>(
        Map.of(101, 1L, 200, 2L, 204, 1L, 302, 1L, 404, 1L, 502, 1L, 999, 1L))));
    assertThat(stats.responses().codes().keySet()).containsExactly(101, 200, 204, 302, 404, 502, 999);
    assertThat(stats.sent()).isEqualTo(8 * 101);
    assertThat(stats.received()).isEqualTo(8 * 1010);
    // The times were 1..8 ms and 3..24 ms: averages 4.5 and 13.5, in whole milliseconds.
    assertThat(stats.headerTime()).isEqualTo(Duration.ofMillis(4));
    assertThat(stats.responseTime()).isEqualTo(Duration.ofMillis(13));
    assertThat(stats.selected()).isEqualTo(now());
    assertThat(statistics(1).responses().total()).isZero();
  }

  @Test
  void aTimeNotKnownIsLeftOutOfTheAverage() {
    update("server 10.0.0.1:80; server 10.0.0.2:80;");
    pickUntil(peer(0));
    selection.succeeded(200, -1, 10_000_000L, 0, 0);
    pickUntil(peer(0));
    selection.succeeded(200, 4_000_000L, 30_000_000L, 0, 0);

    assertThat(statistics(0).headerTime()).isEqualTo(Duration.ofMillis(4));
    assertThat(statistics(0).responseTime()).isEqualTo(Duration.ofMillis(20));
  }

  @Test
  void aRequestWithNothingReportedCountsNoResponseAndIsDatedByTheReadThatFindsIt() {
    update("server 10.0.0.1:80; server 10.0.0.2:80;");
    pickUntil(peer(0));
    selection.succeeded();

    assertThat(statistics(0).responses().total()).isZero();
    // Dated by the first read that finds it: the request path reads no clock for a request that went well.
    assertThat(statistics(0).selected()).isEqualTo(now());
    Instant first = now();
    ticker.advanceSeconds(3);
    assertThat(statistics(0).selected()).as("no new request since the last read").isEqualTo(first);
    pickUntil(peer(0));
    selection.succeeded();
    assertThat(statistics(0).selected()).isEqualTo(now());
  }

  @Test
  void figuresReportedForOneRequestAreNotCountedAgainForTheNext() {
    update("server 10.0.0.1:80; server 10.0.0.2:80;");
    pickUntil(peer(0));
    selection.succeeded(200, 1, 1, 5, 7);
    pickUntil(peer(0));
    selection.succeeded();

    assertThat(statistics(0).responses().total()).isEqualTo(1);
    assertThat(statistics(0).sent()).isEqualTo(5);
    assertThat(statistics(0).received()).isEqualTo(7);
  }

  @Test
  void aFailureWithoutAResponseCountsItsBytesAndNoResponseNorTimes() {
    update("server 10.0.0.1:80; server 10.0.0.2:80;");
    pickUntil(peer(0));
    // Status 0: the peer sent no response; the times are not read.
    selection.failed(0, 7_000_000L, 9_000_000L, 120, 0);

    PeerStatistics stats = statistics(0);
    assertThat(stats.requests()).isEqualTo(1);
    assertThat(stats.fails()).isEqualTo(1);
    assertThat(stats.responses().total()).isZero();
    assertThat(stats.headerTime()).isNull();
    assertThat(stats.responseTime()).isNull();
    assertThat(stats.sent()).isEqualTo(120);
    assertThat(stats.received()).isZero();
  }

  @Test
  void reportingWithoutAPeerPickedIsRefused() {
    update("server 10.0.0.1:80;");

    assertThatThrownBy(() -> selection.succeeded(200, 0, 0, 0, 0)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> selection.failed(200, 0, 0, 0, 0)).isInstanceOf(IllegalStateException.class);
  }

  @ParameterizedTest
  @CsvSource({"99, 0, 0", "1000, 0, 0", "-200, 0, 0", "200, -1, 0", "200, 0, -1"})
  void badFiguresAreRefusedAndThePeerIsStillToBeReported(int status, long sent, long received) {
    update("server 10.0.0.1:80;");
    selection.start(registry.find("u").peers(), null, null);
    selection.next();

    assertThatThrownBy(() -> selection.succeeded(status, 0, 0, sent, received))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> selection.failed(status, 0, 0, sent, received))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(statistics(0).active()).isEqualTo(1);
    selection.succeeded(200, 0, 0, 1, 1);
    assertThat(statistics(0).active()).isZero();
    assertThat(statistics(0).responses().total()).isEqualTo(1);
    assertThat(statistics(0).fails()).isZero();
  }

  @Test
  void reachingMaxFailsCountsOneUnavailAndTheDowntimeUntilTheFailureWindowEnds() {
    update("server 10.0.0.1:80 max_fails=2 fail_timeout=10s; server 10.0.0.2:80;");
    pickUntil(peer(0));
    selection.failed();
    assertThat(peer(0).state()).isEqualTo(Peer.State.UP);
    Instant out = now();
    pickUntil(peer(0));
    selection.failed();

    assertThat(statistics(0).fails()).isEqualTo(2);
    assertThat(statistics(0).unavail()).isEqualTo(1);
    assertThat(statistics(0).downstart()).isEqualTo(out);
    ticker.advanceSeconds(4);
    assertThat(statistics(0).downtime()).isEqualTo(Duration.ofSeconds(4));

    // Out until the second after fail_timeout; then a pick tries it again and it answers well.
    ticker.advanceSeconds(20);
    assertThat(statistics(0).downstart()).isNull();
    assertThat(statistics(0).downtime()).isEqualTo(Duration.ofSeconds(11));
    pickUntil(peer(0));
    selection.succeeded();
    ticker.advanceSeconds(60);

    assertThat(statistics(0).downtime()).isEqualTo(Duration.ofSeconds(11));
    assertThat(statistics(0).unavail()).isEqualTo(1);
    assertThat(statistics(0).fails()).isEqualTo(2);
    assertThat(peer(0).state()).isEqualTo(Peer.State.UP);
  }

  @Test
  void aTrialRequestThatFailsAgainStartsAnotherOutPeriod() {
    update("server 10.0.0.1:80 max_fails=1 fail_timeout=10s; server 10.0.0.2:80;");
    pickUntil(peer(0));
    selection.failed();
    ticker.advanceSeconds(30);
    pickUntil(peer(0));
    selection.failed();
    ticker.advanceSeconds(2);

    assertThat(statistics(0).unavail()).isEqualTo(2);
    assertThat(statistics(0).downtime()).isEqualTo(Duration.ofSeconds(11 + 2));
  }

  @Test
  void theOnlyPeerCountsItsFailuresButIsNeverUnavail() {
    update("server 10.0.0.1:80 max_fails=1;");
    selection.start(registry.find("u").peers(), null, null);
    selection.next();
    selection.failed();

    assertThat(statistics(0).fails()).isEqualTo(1);
    assertThat(statistics(0).selected()).isEqualTo(now());
    assertThat(statistics(0).unavail()).isZero();
    assertThat(peer(0).state()).isEqualTo(Peer.State.UP);
  }

  @Test
  void healthChecksCountChecksFailuresAndTimesUnhealthyWithTheirDowntime() {
    update("server 10.0.0.1:80; server 10.0.0.2:80; check interval=1000 fall=2 rise=1 default_down=false;");
    HealthCheck check = registry.find("u").definition().healthCheck();
    HealthChecker.record(peer(0), check, true);
    HealthChecker.record(peer(0), check, false);
    Instant down = now();
    HealthChecker.record(peer(0), check, false);
    assertThat(statistics(0).downstart()).isEqualTo(down);
    ticker.advanceSeconds(3);
    HealthChecker.record(peer(0), check, false);
    HealthChecker.record(peer(0), check, true);
    ticker.advanceSeconds(5);

    PeerStatistics stats = statistics(0);

    assertThat(stats.healthChecks()).isEqualTo(new PeerStatistics.HealthChecks(5, 3, 1, true));
    assertThat(stats.downtime()).isEqualTo(Duration.ofSeconds(3));
    assertThat(stats.downstart()).isNull();
  }

  @Test
  void aServerDownByDefaultIsCheckingUntilItsFirstCheckThenUnhealthyOrUp() {
    update("server 10.0.0.1:80; server 10.0.0.2:80; check interval=1000 fall=1 rise=1 default_down=true;");
    HealthCheck check = registry.find("u").definition().healthCheck();
    assertThat(peer(0).state()).isEqualTo(Peer.State.CHECKING);

    HealthChecker.record(peer(0), check, false);
    HealthChecker.record(peer(1), check, true);

    assertThat(peer(0).state()).isEqualTo(Peer.State.UNHEALTHY);
    assertThat(peer(1).state()).isEqualTo(Peer.State.UP);
    assertThat(peer(1).statistics().healthChecks().unhealthy()).isZero();
    registry.find("u").peers().resetStatistics();
    assertThat(peer(0).state()).isEqualTo(Peer.State.UNHEALTHY);
  }

  @Test
  void codesAddUpOverTheWorkers() {
    update("server 10.0.0.1:80; server 10.0.0.2:80;");
    // Two workers (the registry's), each seeing the statuses in another order, one status (503) on one only.
    int[][] byWorker = {{200, 404, 200, 503, 200}, {404, 404, 200, 301}};
    for (int worker = 0; worker < byWorker.length; worker++) {
      for (int status : byWorker[worker]) {
        selection.probe(worker);
        pickUntil(peer(0));
        selection.succeeded(status, 1, 1, 0, 0);
      }
    }

    PeerStatistics.Responses responses = statistics(0).responses();

    assertThat(responses.codes()).containsExactly(Map.entry(200, 4L), Map.entry(301, 1L), Map.entry(404, 3L),
        Map.entry(503, 1L));
    assertThat(responses.total()).isEqualTo(9);
    assertThat(responses.successful()).isEqualTo(4);
    assertThat(responses.clientError()).isEqualTo(3);
  }

  @Test
  void aResetEmptiesTheCodesAndLaterResponsesCountFromZero() {
    update("server 10.0.0.1:80; server 10.0.0.2:80;");
    pickUntil(peer(0));
    selection.succeeded(404, 1, 1, 0, 0);
    pickUntil(peer(0));
    selection.succeeded(200, 1, 1, 0, 0);

    registry.find("u").peers().resetStatistics();
    assertThat(statistics(0).responses().codes()).isEmpty();
    pickUntil(peer(0));
    selection.succeeded(200, 1, 1, 0, 0);

    assertThat(statistics(0).responses().codes()).containsExactly(Map.entry(200, 1L));
    assertThat(statistics(0).responses().total()).isEqualTo(1);
  }

  @Test
  void aWorkerThatSawManyStatusesCountsEachOnce() {
    update("server 10.0.0.1:80; server 10.0.0.2:80;");
    for (int status = 100; status < 140; status++) {
      pickUntil(peer(0));
      selection.succeeded(status, 1, 1, 0, 0);
      pickUntil(peer(0));
      selection.succeeded(status, 1, 1, 0, 0);
    }

    PeerStatistics.Responses responses = statistics(0).responses();

    assertThat(responses.codes()).hasSize(40).allSatisfy((status, count) -> assertThat(count).isEqualTo(2));
    assertThat(responses.informational()).isEqualTo(80);
  }

  @Test
  void anUpdateThatKeepsTheServerKeepsItsStatisticsAndANewServerStartsFromZero() {
    update("server 10.0.0.1:80; server 10.0.0.2:80;");
    pickUntil(peer(0));
    selection.succeeded(200, 1, 1, 0, 0);
    update("server 10.0.0.1:80; server 10.0.0.2:80 weight=2; server 10.0.0.3:80;");

    assertThat(statistics(0).requests()).isGreaterThanOrEqualTo(1);
    assertThat(statistics(0).responses().successful()).isEqualTo(1);
    assertThat(statistics(2).requests()).isZero();
  }

  @Test
  void statisticsSurviveAChangeOfTheNumberOfWorkers() {
    update("server 10.0.0.1:80; server 10.0.0.2:80;");
    pickUntil(peer(0));
    selection.failed(500, 1, 1, 3, 4);
    long requests = statistics(0).requests();
    update("zone z 64k; server 10.0.0.1:80; server 10.0.0.2:80;");

    PeerStatistics stats = statistics(0);

    assertThat(stats.requests()).isEqualTo(requests);
    assertThat(stats.responses().serverError()).isEqualTo(1);
    assertThat(stats.fails()).isEqualTo(1);
    assertThat(stats.sent()).isEqualTo(3);
  }

  @Test
  void resetForgetsTheFiguresButNotTheRequestsRunningOrTheState() {
    update("server 10.0.0.1:80 max_fails=1; server 10.0.0.2:80;");
    pickUntil(peer(0));
    selection.failed(200, 1, 1, 3, 4);
    pickUntil(peer(1));
    ticker.advanceSeconds(2);

    registry.find("u").peers().resetStatistics();

    PeerStatistics failed = statistics(0);
    assertThat(failed.requests()).isZero();
    assertThat(failed.fails()).isZero();
    assertThat(failed.unavail()).isZero();
    assertThat(failed.responses().total()).isZero();
    assertThat(failed.sent()).isZero();
    assertThat(failed.selected()).isNull();
    assertThat(failed.downtime()).isZero();
    assertThat(failed.downstart()).isEqualTo(now());
    assertThat(peer(0).state()).isEqualTo(Peer.State.UNAVAIL);
    assertThat(statistics(1).active()).isEqualTo(1);
    assertThat(statistics(1).requests()).isZero();
    selection.succeeded();
    assertThat(statistics(1).requests()).isZero();
    assertThat(statistics(1).active()).isZero();
  }

  @Test
  void underConcurrentTrafficRequestsAreTheResponsesAndFailuresReported() throws Exception {
    // max_fails=0: a failure never takes a peer out, so every request finds one while the clock stands still.
    update("server 10.0.0.1:80 max_fails=0; server 10.0.0.2:80 weight=2 max_fails=0;"
        + " server 10.0.0.3:80 max_fails=0;");
    long seed = ThreadLocalRandom.current().nextLong();
    System.out.println("PeerStatisticsTest seed " + seed);
    int threads = 4;
    int requests = 20_000;
    long[][] expected = new long[threads][3];
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> running = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      long[] mine = expected[t];
      java.util.Random random = new java.util.Random(seed + t);
      Thread thread = new Thread(() -> {
        PeerSelection own = new PeerSelection();
        try {
          start.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
        for (int i = 0; i < requests; i++) {
          own.start(registry.find("u").peers(), null, null);
          if (own.next() == null) {
            throw new AssertionError("no peer");
          }
          if (random.nextInt(10) == 0) {
            own.failed();
            mine[0]++;
          } else {
            own.succeeded(200, 0, 0, 1, 2);
            mine[1]++;
          }
        }
      });
      thread.start();
      running.add(thread);
    }
    start.countDown();
    for (Thread thread : running) {
      thread.join();
    }
    long fails = 0;
    long responses = 0;
    for (long[] mine : expected) {
      fails += mine[0];
      responses += mine[1];
    }

    long requestsSeen = 0;
    long failsSeen = 0;
    long responsesSeen = 0;
    long sentSeen = 0;
    for (Peer peer : registry.find("u").peers().asList()) {
      PeerStatistics stats = peer.statistics();
      assertThat(stats.active()).isZero();
      assertThat(stats.requests()).isEqualTo(stats.responses().total() + stats.fails());
      requestsSeen += stats.requests();
      failsSeen += stats.fails();
      responsesSeen += stats.responses().successful();
      sentSeen += stats.sent();
    }
    assertThat(requestsSeen).isEqualTo((long) threads * requests);
    assertThat(failsSeen).isEqualTo(fails);
    assertThat(responsesSeen).isEqualTo(responses);
    assertThat(sentSeen).isEqualTo(responses);
  }
}
