package io.dyups.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.dyups.parser.Address;
import io.dyups.parser.ServerSpec;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * NGINX Plus's {@code slow_start=TIME}: a server that becomes available again (after its failure window, after an
 * active health check found it healthy) or is added to a running upstream recovers its weight from zero over that
 * time, linearly. The weight is measured from picks: smooth weighted round robin gives a server of effective weight
 * {@code e} beside one of weight 10 exactly {@code e} picks in every {@code e + 10}.
 */
class SlowStartTest {
  private static final int PICKS = 2 * 2 * 3 * 5 * 7 * 11 * 13;

  private final FakeTicker ticker = new FakeTicker();
  private final UpstreamRegistry registry = UpstreamRegistry.builder().ticker(ticker).workers(1).build();
  private final PeerSelection selection = new PeerSelection();

  @AfterEach
  void close() {
    registry.close();
  }

  private void update(String commands) {
    assertThat(registry.updateUpstream("u", commands).status()).isEqualTo(200);
  }

  /** Picks {@link #PICKS} times, each a success, and counts those of {@code address}. */
  private int picksOf(String address) {
    int count = 0;
    for (int i = 0; i < PICKS; i++) {
      selection.start(registry.find("u").peers(), null, null);
      Peer peer = selection.next();
      if (peer.address().toString().equals(address)) {
        count++;
      }
      selection.succeeded();
    }
    return count;
  }

  /** The picks a server of effective weight {@code weight} gets beside one of weight 10 (tests allow 2 either way). */
  private static int expected(int weight) {
    return PICKS * weight / (weight + 10);
  }

  private void failOnce(String address) {
    for (int i = 0; i < 100; i++) {
      selection.start(registry.find("u").peers(), null, null);
      Peer peer = selection.next();
      if (peer.address().toString().equals(address)) {
        selection.failed();
        return;
      }
      selection.succeeded();
    }
    throw new AssertionError(address + " never picked");
  }

  @ParameterizedTest(name = "weight {0}, {1} ms of {2} ms: {3}")
  @CsvSource({
      "10, 0, 10000, 0",
      "10, 1, 10000, 1",
      "10, 1000, 10000, 1",
      "10, 1001, 10000, 2",
      "10, 5000, 10000, 5",
      "10, 9999, 10000, 10",
      "10, 10000, 10000, 10",
      "10, 60000, 10000, 10",
      "1, 1, 10000, 1",
      "3, 5000, 10000, 2",
      "100, 2500, 30000, 9",
  })
  void theWeightGrowsLinearlyRoundedUp(int weight, long elapsedMillis, long slowStartMillis, int ramped) {
    assertThat(WorkerPeerCounters.rampWeight(weight, elapsedMillis * 1_000_000L, slowStartMillis * 1_000_000L))
        .isEqualTo(ramped);
  }

  @Test
  void afterItsFailureWindowAServerRecoversItsWeightOverSlowStart() {
    update("server 10.0.0.1:80 weight=10 max_fails=1 fail_timeout=10s slow_start=10s;"
        + " server 10.0.0.2:80 weight=10;");
    failOnce("10.0.0.1:80");
    // Out for failures until the second after fail_timeout: no picks.
    ticker.advanceSeconds(5);
    assertThat(picksOf("10.0.0.1:80")).isZero();
    // The ramp starts when the window ends, 11 s after the failure.
    ticker.advanceSeconds(6);
    for (int second = 1; second <= 10; second++) {
      ticker.advanceSeconds(1);
      assertThat(picksOf("10.0.0.1:80")).as("%d s into slow_start", second)
          .isBetween(expected(second) - 2, expected(second) + 2);
    }
    ticker.advanceSeconds(1);
    assertThat(picksOf("10.0.0.1:80")).isBetween(PICKS / 2 - 1, PICKS / 2 + 1);
  }

  @Test
  void withoutSlowStartAServerIsBackAtOnceAsInNginx() {
    update("server 10.0.0.1:80 weight=10 max_fails=1 fail_timeout=10s; server 10.0.0.2:80 weight=10;");
    failOnce("10.0.0.1:80");
    ticker.advanceSeconds(12);

    // nginx's recovery: the effective weight grows by one with each pick, so the share is back within the first few.
    assertThat(picksOf("10.0.0.1:80")).isBetween(PICKS / 2 - 10, PICKS / 2 + 1);
  }

  @Test
  void aServerFoundHealthyAgainRecoversItsWeightOverSlowStart() {
    update("server 10.0.0.1:80 weight=10 slow_start=20s; server 10.0.0.2:80 weight=10;");
    Peer peer = registry.find("u").peers().asList().get(0);
    peer.setHealthy(false);
    assertThat(picksOf("10.0.0.1:80")).isZero();

    peer.setHealthy(true);
    ticker.advanceSeconds(6);

    assertThat(picksOf("10.0.0.1:80")).isBetween(expected(3) - 2, expected(3) + 2);
  }

  @Test
  void aServerAddedToARunningUpstreamRampsUpAndTheServersOfANewUpstreamDoNot() {
    update("server 10.0.0.2:80 weight=10 slow_start=10s;");
    assertThat(picksOf("10.0.0.2:80")).isEqualTo(PICKS);
    ServerSpec added = ServerSpec.of(Address.parse("10.0.0.1:80")).withWeight(10)
        .withSlowStart(Duration.ofSeconds(10));
    assertThat(registry.addServer("u", added).isSuccess()).isTrue();

    ticker.advanceMillis(2500);

    assertThat(picksOf("10.0.0.1:80")).isBetween(expected(3) - 2, expected(3) + 2);
    ticker.advanceSeconds(10);
    assertThat(picksOf("10.0.0.1:80")).isBetween(PICKS / 2 - 1, PICKS / 2 + 1);
  }

  @Test
  void changingAServersParametersStartsNoRamp() {
    update("server 10.0.0.1:80 weight=5 slow_start=10s; server 10.0.0.2:80 weight=10;");
    int id = registry.find("u").servers().get(0).id();

    assertThat(registry.changeServer("u", id, spec -> spec.withWeight(10)).isSuccess()).isTrue();

    assertThat(picksOf("10.0.0.1:80")).isBetween(PICKS / 2 - 1, PICKS / 2 + 1);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"hash $x;", "hash $x consistent;", "ip_hash;", "random;", "random two least_conn;"})
  void slowStartIsRefusedUnderTheHashMethodsAndRandomInNginxWords(String method) {
    Result result = registry.updateUpstream("u", method + " server 10.0.0.1:80 slow_start=30s;");

    assertThat(result.kind()).isEqualTo(Result.Kind.INVALID);
    assertThat(result.message()).startsWith("balancing method does not support parameter \"slow_start=30s\"");
  }

  @Test
  void addingAServerWithSlowStartUnderHashIsRefusedAndLeastConnTakesIt() {
    update("hash $x; server 10.0.0.1:80;");
    ServerSpec slow = ServerSpec.of(Address.parse("10.0.0.2:80")).withSlowStart(Duration.ofSeconds(30));

    ServerResult refused = registry.addServer("u", slow);

    assertThat(refused.result().message())
        .isEqualTo("balancing method does not support parameter \"slow_start=30s\"");
    assertThat(registry.updateUpstream("v", "least_conn; server 10.0.0.1:80 slow_start=30s;").status())
        .isEqualTo(200);
  }
}
