package io.dyups.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.dyups.parser.Address;
import io.dyups.parser.HealthCheck;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Active health checks driven by hand: a probe that answers from a set of dead addresses, a ticker the tests
 * move, and checks that run in the caller. Real sockets are in {@link SocketHealthProbeTest}.
 */
class HealthCheckerTest {
  private final FakeTicker ticker = new FakeTicker();
  private final Set<String> dead = ConcurrentHashMap.newKeySet();
  private final List<String> probed = new ArrayList<>();
  private final UpstreamRegistry registry = UpstreamRegistry.builder().ticker(ticker).build();
  private final HealthChecker checker = HealthChecker.builder(registry).ticker(ticker).checkInCaller()
      .probe(this::probe).build();
  private final PeerSelection selection = new PeerSelection();

  private synchronized boolean probe(Address address, HealthCheck check) {
    probed.add(address.toString());
    return !dead.contains(address.toString());
  }

  @AfterEach
  void close() {
    checker.close();
    registry.close();
  }

  private void update(String name, String commands) {
    assertThat(registry.updateUpstream(name, commands).status()).isEqualTo(200);
  }

  /** Runs the checks that are due, then moves the clock by one interval of the tests' checks (1 s). */
  private void checkRound() {
    checker.checkDue();
    ticker.advanceMillis(1000);
  }

  private Peer peer(String name, int index) {
    return registry.find(name).peers().asList().get(index);
  }

  private List<String> picks(String name, int n) {
    List<String> picked = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      selection.start(registry.find(name).peers(), null, "key" + i);
      Peer peer = selection.next();
      picked.add(peer == null ? null : peer.address().toString());
      if (peer != null) {
        selection.succeeded();
      }
    }
    return picked;
  }

  @ParameterizedTest(name = "[{0}]")
  @ValueSource(strings = {"", "ip_hash;", "hash $key;", "hash $key consistent;", "least_conn;", "random;",
      "random two least_conn;"})
  void afterFallFailedChecksNoBalancingMethodPicksThePeer(String method) {
    update("u", method + " server 10.0.0.1:80; server 10.0.0.2:80; server 10.0.0.3:80;"
        + " check interval=1000 fall=2 rise=2 default_down=false;");
    dead.add("10.0.0.1:80");

    checkRound();
    assertThat(peer("u", 0).isHealthy()).isTrue();
    checkRound();

    assertThat(peer("u", 0).isHealthy()).isFalse();
    assertThat(peer("u", 0).isAvailable()).isFalse();
    assertThat(picks("u", 60)).doesNotContain("10.0.0.1:80").doesNotContainNull();
  }

  @Test
  void afterRiseGoodChecksThePeerIsPickedAgain() {
    update("u", "server 10.0.0.1:80; server 10.0.0.2:80; check interval=1000 fall=1 rise=3 default_down=false;");
    dead.add("10.0.0.1:80");
    checkRound();
    assertThat(peer("u", 0).isHealthy()).isFalse();

    dead.clear();
    checkRound();
    checkRound();
    assertThat(peer("u", 0).isHealthy()).isFalse();
    checkRound();

    assertThat(peer("u", 0).isHealthy()).isTrue();
    assertThat(picks("u", 4)).contains("10.0.0.1:80");
  }

  @Test
  void aSinglePeerThatFailsItsChecksIsNotPicked() {
    update("u", "server 10.0.0.1:80; check interval=1000 fall=1 default_down=false;");
    dead.add("10.0.0.1:80");

    checkRound();

    assertThat(picks("u", 1)).containsExactly((String) null);
  }

  @Test
  void newServersOfADefaultDownCheckStartDownUntilTheyPassRiseChecks() {
    update("u", "server 10.0.0.1:80; server 10.0.0.2:80; check interval=1000 rise=2;");

    assertThat(peer("u", 0).isHealthy()).isFalse();
    assertThat(picks("u", 1)).containsExactly((String) null);
    checkRound();
    checkRound();

    assertThat(peer("u", 0).isHealthy()).isTrue();
    assertThat(peer("u", 1).isHealthy()).isTrue();
  }

  @Test
  void anUnchangedServerKeepsItsHealthAcrossAnUpdateAndANewOneStartsAsTheCheckSays() {
    update("u", "server 10.0.0.1:80; server 10.0.0.2:80; check interval=1000 fall=1 rise=1;");
    checkRound();
    dead.add("10.0.0.2:80");
    checkRound();
    assertThat(peer("u", 0).isHealthy()).isTrue();
    assertThat(peer("u", 1).isHealthy()).isFalse();

    update("u", "server 10.0.0.1:80; server 10.0.0.2:80; server 10.0.0.3:80; check interval=1000 fall=1 rise=1;");

    assertThat(peer("u", 0).isHealthy()).isTrue();
    assertThat(peer("u", 1).isHealthy()).isFalse();
    assertThat(peer("u", 2).isHealthy()).isFalse();
  }

  @Test
  void removingTheCheckClearsTheHealthItHadSet() {
    update("u", "server 10.0.0.1:80; server 10.0.0.2:80; check interval=1000 fall=1 default_down=false;");
    dead.add("10.0.0.1:80");
    checkRound();
    assertThat(peer("u", 0).isHealthy()).isFalse();

    update("u", "server 10.0.0.1:80; server 10.0.0.2:80;");

    assertThat(peer("u", 0).isHealthy()).isTrue();
    checkRound();
    assertThat(peer("u", 0).isHealthy()).isTrue();
  }

  @Test
  void checksFollowTheRegistryAndWaitForTheirInterval() {
    update("plain", "server 10.0.0.9:80;");
    update("a", "server 10.0.0.1:80; check interval=3000 default_down=false;");

    checker.checkDue();
    checker.checkDue();
    ticker.advanceMillis(2999);
    checker.checkDue();
    assertThat(probed).containsExactly("10.0.0.1:80");

    ticker.advanceMillis(1);
    update("b", "server 10.0.0.2:80; check interval=3000 default_down=false;");
    checker.checkDue();
    assertThat(probed).containsExactly("10.0.0.1:80", "10.0.0.1:80", "10.0.0.2:80");

    assertThat(registry.deleteUpstream("a").status()).isEqualTo(200);
    ticker.advanceMillis(3000);
    checker.checkDue();
    assertThat(probed).containsExactly("10.0.0.1:80", "10.0.0.1:80", "10.0.0.2:80", "10.0.0.2:80");
  }

  @Test
  void downServersAreNotChecked() {
    update("u", "server 10.0.0.1:80 down; server 10.0.0.2:80; check interval=1000 default_down=false;");

    checker.checkDue();

    assertThat(probed).containsExactly("10.0.0.2:80");
  }

  @Test
  void theApplicationCanSetHealthWithoutACheckDirective() {
    update("u", "server 10.0.0.1:80; server 10.0.0.2:80;");

    peer("u", 1).setHealthy(false);
    assertThat(picks("u", 4)).containsOnly("10.0.0.1:80");

    update("u", "server 10.0.0.1:80; server 10.0.0.2:80 weight=1;");
    assertThat(peer("u", 1).isHealthy()).isFalse();
    peer("u", 1).setHealthy(true);
    assertThat(picks("u", 4)).contains("10.0.0.2:80");
  }
}
