package io.dyups.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dyups.parser.UpstreamBlock;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** nginx's balancing methods, peer for peer. */
class BalancingTest {
  private final FakeTicker ticker = new FakeTicker();
  private final PeerSelection selection = new PeerSelection();

  private PeerGroup group(String commands) {
    return PeerGroup.create(UpstreamBlock.fromCommands("u", commands), null, ticker);
  }

  /** One request that succeeds on its first peer; returns that peer's host (or port for IP addresses). */
  private String pick(PeerGroup group, InetAddress client, String key) {
    selection.start(group, client, key);
    Peer peer = selection.next();
    if (peer == null) {
      return null;
    }
    selection.succeeded();
    return name(peer);
  }

  private static String name(Peer peer) {
    return peer.address().kind() == io.dyups.parser.Address.Kind.HOST ? peer.address().host()
        : String.valueOf(peer.address().port());
  }

  private String picks(PeerGroup group, int n) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < n; i++) {
      out.append(pick(group, null, null));
    }
    return out.toString();
  }

  @Test
  void smoothRoundRobinOfFiveOneOneIsNginxsOrder() {
    // nginx's own comment on ngx_http_upstream_get_peer: weights 5,1,1 give a a b a c a a.
    PeerGroup group = group("server a weight=5; server b; server c;");

    assertThat(picks(group, 14)).isEqualTo("aabacaa" + "aabacaa");
  }

  @Test
  void equalWeightsAlternateInWrittenOrder() {
    assertThat(picks(group("server a; server b; server c;"), 6)).isEqualTo("abcabc");
  }

  /**
   * Weight sets against a reference written straight from nginx's description of smooth weighted round robin
   * (every peer's current weight grows by its weight, the largest wins, the first among equals, and gives back
   * the total), independent of the production code's tiers, bitmaps and locks.
   */
  @RepeatedTest(50)
  void smoothRoundRobinMatchesTheReferenceForRandomWeights(RepetitionInfo repetition) {
    Random random = new Random(repetition.getCurrentRepetition());
    int n = 1 + random.nextInt(8);
    int[] weights = new int[n];
    StringBuilder commands = new StringBuilder();
    for (int i = 0; i < n; i++) {
      weights[i] = 1 + random.nextInt(random.nextBoolean() ? 5 : 50);
      commands.append("server ").append((char) ('a' + i)).append(" weight=").append(weights[i]).append(';');
    }
    PeerGroup group = group(commands.toString());
    int[] current = new int[n];
    int total = 0;
    for (int weight : weights) {
      total += weight;
    }
    for (int step = 0; step < 3 * total + 7; step++) {
      int best = -1;
      for (int i = 0; i < n; i++) {
        current[i] += weights[i];
        if (best < 0 || current[i] > current[best]) {
          best = i;
        }
      }
      current[best] -= total;
      assertThat(pick(group, null, null)).as("step %s of weights %s", step, java.util.Arrays.toString(weights))
          .isEqualTo(String.valueOf((char) ('a' + best)));
    }
  }

  @Test
  void downPeersAreNeverPicked() {
    assertThat(picks(group("server a; server b down; server c;"), 6)).isEqualTo("acacac");
  }

  @Test
  void maxFailsWithinFailTimeoutTakesAPeerOutForFailTimeout() {
    PeerGroup group = group("server a max_fails=2 fail_timeout=10s; server b;");
    Peer a = group.asList().get(0);

    fail(group, "a");
    assertThat(a.isOut()).isFalse();
    fail(group, "a");
    assertThat(a.isOut()).isTrue();
    assertThat(a.failures()).isEqualTo(2);
    assertThat(picks(group, 4)).isEqualTo("bbbb");

    ticker.advanceSeconds(11);
    assertThat(a.isOut()).isFalse();
    assertThat(picks(group, 6)).contains("a");
  }

  /**
   * nginx's ngx_time() is the whole second of the wall clock (gettimeofday), and fail_timeout is counted in it; so
   * by default is ours, through the registry as an application builds it.
   */
  @Test
  void failureWindowsCountWholeSecondsOfTheSystemClockByDefault() {
    UpstreamRegistry registry = UpstreamRegistry.builder().build();
    registry.updateUpstream("u", "server 10.0.0.1; server 10.0.0.2;");

    long before = System.currentTimeMillis() / 1000;
    long seconds = registry.find("u").peers().nowSeconds();
    long after = System.currentTimeMillis() / 1000;

    assertThat(seconds).isBetween(before, after);
    registry.close();
  }

  @Test
  void aSuccessAfterTheWindowClearsTheFailures() {
    PeerGroup group = group("server a max_fails=3 fail_timeout=5s; server b;");
    Peer a = group.asList().get(0);
    fail(group, "a");
    assertThat(a.failures()).isEqualTo(1);

    ticker.advanceSeconds(6);
    for (int i = 0; i < 4; i++) {
      pick(group, null, null);
    }

    assertThat(a.failures()).isZero();
  }

  @Test
  void maxFailsZeroNeverTakesAPeerOut() {
    PeerGroup group = group("server a max_fails=0; server b;");

    for (int i = 0; i < 10; i++) {
      fail(group, "a");
    }

    assertThat(group.asList().get(0).isOut()).isFalse();
    assertThat(picks(group, 4)).contains("a");
  }

  @Test
  void failuresLowerTheEffectiveWeightWhichRecoversByOnePerPick() {
    PeerGroup group = group("server a weight=4 max_fails=4; server b weight=4 max_fails=4;");

    fail(group, "a");

    // a's effective weight fell from 4 to 3 and climbs back; b takes more of the next picks.
    String next = picks(group, 8);
    assertThat(next.chars().filter(c -> c == 'b').count()).isGreaterThan(4);
  }

  /** Picks until {@code host} comes up and reports it failed. */
  private void fail(PeerGroup group, String host) {
    for (int i = 0; i < 20; i++) {
      selection.start(group, null, null);
      Peer peer = selection.next();
      if (peer != null && name(peer).equals(host)) {
        selection.failed();
        return;
      }
      if (peer != null) {
        selection.succeeded();
      }
    }
    throw new AssertionError(host + " was never picked");
  }

  @Test
  void backupsServeOnlyWhenNoPrimaryCan() {
    PeerGroup group = group("server a max_fails=1; server b max_fails=1; server c backup;");
    assertThat(picks(group, 4)).isEqualTo("abab");

    fail(group, "a");
    fail(group, "b");

    assertThat(picks(group, 3)).isEqualTo("ccc");
  }

  /**
   * nginx since 1.11.5 (commit "Upstream: removed the quick recovery mechanism"): when no peer can serve, the
   * failures stand and every request is answered at once, without a connection attempt, until fail_timeout ends.
   * Every method falls back to round robin's tiers for that.
   */
  @ParameterizedTest
  @ValueSource(strings = {"", "least_conn;", "hash $arg_k;", "hash $arg_k consistent;", "ip_hash;", "random;",
      "random two;", "random two least_conn;"})
  void whenEveryPeerHasFailedNoRequestGetsOneUntilFailTimeoutEnds(String method) {
    // Backups are for round robin and least_conn only, as in nginx.
    boolean backups = method.isEmpty() || method.startsWith("least_conn");
    PeerGroup group = group(method + "server a max_fails=1 fail_timeout=10s; server b max_fails=1 fail_timeout=10s;"
        + (backups ? "server c backup max_fails=1;" : ""));
    selection.start(group, null, "k");
    for (Peer peer = selection.next(); peer != null; peer = selection.next()) {
      selection.failed();
    }

    for (int second = 0; second <= 10; second++) {
      assertThat(pick(group, null, "k")).as("%d s after the failures", second).isNull();
      ticker.advanceSeconds(1);
    }
    assertThat(group.asList().stream().mapToInt(Peer::failures).sum()).isEqualTo(group.asList().size());
    assertThat(pick(group, null, "k")).as("11 s after the failures").isNotNull();
  }

  @Test
  void aBackupThatFailedStaysOutWhileThePrimariesServe() {
    PeerGroup group = group("server a max_fails=1; server b backup max_fails=1;");
    fail(group, "a");
    assertThat(pick(group, null, null)).isEqualTo("b");
    fail(group, "b");

    assertThat(pick(group, null, null)).isNull();
    assertThat(group.asList().get(1).failures()).isEqualTo(1);
  }

  @Test
  void whenEveryPeerIsOutThereIsNoPeer() {
    PeerGroup group = group("server a max_fails=1; server b max_fails=1;");
    fail(group, "a");
    fail(group, "b");

    assertThat(pick(group, null, null)).isNull();
    assertThat(group.asList().get(0).failures()).isEqualTo(1);
    assertThat(pick(group, null, null)).isNull();
  }

  @Test
  void aSinglePeerIsNeverTakenOutForFailures() {
    PeerGroup group = group("server a max_fails=1;");
    for (int i = 0; i < 5; i++) {
      fail(group, "a");
    }

    assertThat(pick(group, null, null)).isEqualTo("a");
  }

  @Test
  void retriesNeverPickTheSamePeerTwiceAndStopAfterEveryPeer() {
    PeerGroup group = group("server a max_fails=0; server b max_fails=0; server c max_fails=0; server d backup;");
    selection.start(group, null, null);
    List<String> tried = new ArrayList<>();

    for (Peer peer = selection.next(); peer != null; peer = selection.next()) {
      tried.add(name(peer));
      selection.failed();
    }

    assertThat(tried).containsExactlyInAnyOrder("a", "b", "c", "d");
    assertThat(tried.get(3)).isEqualTo("d");
  }

  @Test
  void maxConnsLimitsConcurrentUse() {
    PeerGroup group = group("zone shared; server a max_conns=1; server b max_conns=1;");
    PeerSelection first = new PeerSelection().start(group, null, null);
    PeerSelection second = new PeerSelection().start(group, null, null);
    PeerSelection third = new PeerSelection().start(group, null, null);

    Peer one = first.next();
    Peer two = second.next();

    assertThat(one).isNotSameAs(two);
    assertThat(third.next()).isNull();
    assertThat(one.isAvailable()).isFalse();
    first.succeeded();
    assertThat(one.activeConnections()).isZero();
    assertThat(new PeerSelection().start(group, null, null).next()).isSameAs(one);
  }

  @Test
  void reportingTwiceOrPickingBeforeReportingIsAnError() {
    PeerGroup group = group("server a; server b;");
    selection.start(group, null, null);
    selection.next();

    assertThatThrownBy(selection::next).isInstanceOf(IllegalStateException.class);
    selection.succeeded();
    assertThatThrownBy(selection::succeeded).isInstanceOf(IllegalStateException.class);
  }

  private static final String SERVERS =
      "server 127.0.0.1:9001; server 127.0.0.1:9002 weight=2; server 127.0.0.1:9003;";

  /** Peers nginx 1.22.1 (Debian) chose for these keys with the same upstream, through proxy_pass and ?k=KEY. */
  @ParameterizedTest(name = "{0}")
  @CsvSource({"a,9001,9003", "b,9002,9002", "c,9001,9002", "/x,9002,9003", "/y,9002,9001", "/z,9003,9002",
      "key1,9002,9001", "key2,9001,9002", "user42,9003,9003", "hello,9001,9001"})
  void hashAndConsistentHashPickWhatNginxPicks(String key, String consistent, String plain) {
    assertThat(pick(group("hash $arg_k consistent; " + SERVERS), null, key)).isEqualTo(consistent);
    assertThat(pick(group("hash $arg_k; " + SERVERS), null, key)).isEqualTo(plain);
  }

  /** Peers nginx 1.22.1 (Debian) chose for these client addresses (curl --interface). */
  @ParameterizedTest(name = "{0}")
  @CsvSource({"127.0.0.1,9001", "127.1.2.3,9003", "127.9.8.7,9002", "127.200.100.50,9001", "127.4.5.6,9002"})
  void ipHashPicksWhatNginxPicks(String client, String port) throws Exception {
    assertThat(pick(group("ip_hash; " + SERVERS), InetAddress.getByName(client), null)).isEqualTo(port);
  }

  @Test
  void ipHashUsesOnlyTheFirstThreeOctetsOfIpv4() throws Exception {
    PeerGroup group = group("ip_hash; " + SERVERS);

    assertThat(pick(group, InetAddress.getByName("10.20.30.1"), null))
        .isEqualTo(pick(group, InetAddress.getByName("10.20.30.254"), null));
  }

  @Test
  void ipHashOfIpv6IsStable() throws Exception {
    PeerGroup group = group("ip_hash; " + SERVERS);
    InetAddress client = InetAddress.getByName("2001:db8::7");

    assertThat(pick(group, client, null)).isEqualTo(pick(group, client, null));
  }

  @Test
  void hashMovesOnWhenItsPeerIsDown() {
    PeerGroup all = group("hash $arg_k; " + SERVERS);
    String usual = pick(all, null, "a");
    PeerGroup withDown = group("hash $arg_k; " + SERVERS.replace(usual + ";", usual + " down;"));

    assertThat(pick(withDown, null, "a")).isNotNull().isNotEqualTo(usual);
  }

  @Test
  void consistentHashMovesOnlyTheKeysOfARemovedServer() {
    PeerGroup three = group("hash $arg_k consistent; " + SERVERS);
    PeerGroup two = group("hash $arg_k consistent; server 127.0.0.1:9001; server 127.0.0.1:9002 weight=2;");
    int moved = 0;
    for (int i = 0; i < 2000; i++) {
      String before = pick(three, null, "key" + i);
      String after = pick(two, null, "key" + i);
      if (!before.equals("9003")) {
        assertThat(after).isEqualTo(before);
      } else {
        moved++;
      }
    }
    assertThat(moved).isBetween(300, 700);
  }

  @Test
  void anEmptyHashKeyFallsBackToRoundRobin() {
    assertThat(picks(group("hash $arg_k; server a; server b;"), 4)).isEqualTo("abab");
  }

  @Test
  void leastConnPicksThePeerWithFewestConnectionsRelativeToWeight() {
    PeerGroup group = group("least_conn; server a; server b; server c weight=2;");
    PeerSelection busy = new PeerSelection().start(group, null, null);
    Peer first = busy.next();

    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i < 4; i++) {
      String picked = pick(group, null, null);
      counts.merge(picked, 1, Integer::sum);
    }

    assertThat(counts).doesNotContainKey(name(first));
    busy.succeeded();
  }

  @Test
  void leastConnTiesGoByWeightedRoundRobin() {
    assertThat(picks(group("least_conn; server a weight=2; server b;"), 6)).isEqualTo("abaaba");
  }

  @Test
  void randomFollowsTheWeights() {
    PeerGroup group = group("random; server a; server b weight=3;");
    int b = 0;
    int n = 40_000;
    for (int i = 0; i < n; i++) {
      if ("b".equals(pick(group, null, null))) {
        b++;
      }
    }
    // Expected 30 000; six standard deviations (about 520) either way never happen by chance.
    assertThat(b).isBetween(29_000, 31_000);
  }

  @ParameterizedTest
  @ValueSource(strings = {"random two;", "random two least_conn;"})
  void randomTwoComparesTwoDifferentPeersSoTheIdleOfTwoAlwaysWins(String method) {
    PeerGroup group = group(method + "server a; server b;");
    PeerSelection busy = new PeerSelection().start(group, null, null);
    Peer held = busy.next();
    String idle = name(held).equals("a") ? "b" : "a";

    for (int i = 0; i < 1000; i++) {
      assertThat(pick(group, null, null)).as("pick %d", i).isEqualTo(idle);
    }
    busy.succeeded();
  }

  /**
   * {@code random two} over weights 1, 2, 3, 4, all idle (so the second of the two wins, as nginx's
   * ngx_http_upstream_get_random2_peer keeps the second on a tie), and with a request held open on the heaviest:
   * 20 000 picks against the distribution of nginx's rule (two different peers, each drawn by weight), by a
   * chi-square test that a correct implementation fails once in a million runs.
   */
  @ParameterizedTest
  @CsvSource({"random two,false", "random two least_conn,false", "random two,true", "random two least_conn,true"})
  void randomTwoFollowsNginxsDistribution(String method, boolean oneBusy) {
    PeerGroup group = group(method + "; server a weight=1; server b weight=2; server c weight=3; server d weight=4;");
    int[] weights = {1, 2, 3, 4};
    int[] conns = new int[4];
    PeerSelection busy = new PeerSelection();
    if (oneBusy) {
      // The first pick of a fresh group is random; hold whichever comes up.
      busy.start(group, null, null);
      conns["abcd".indexOf(name(busy.next()))] = 1;
    }
    int n = 20_000;
    long[] observed = new long[4];
    for (int i = 0; i < n; i++) {
      observed["abcd".indexOf(pick(group, null, null))]++;
    }
    if (oneBusy) {
      busy.succeeded();
    }

    double[] expected = randomTwoDistribution(weights, conns);
    assertThat(chiSquareOneInAMillion(observed, expected, n)).as("observed %s, expected %s",
        java.util.Arrays.toString(observed), java.util.Arrays.toString(expected)).isTrue();
  }

  /**
   * True unless the counts differ from the chances by more than a chi-square test lets through once in a million
   * runs. A peer of chance 0 must not have been picked at all.
   */
  static boolean chiSquareOneInAMillion(long[] observed, double[] chance, long n) {
    // The value a chi-square statistic of 1, 2, 3 degrees of freedom exceeds with probability 10^-6.
    double[] critical = {0, 23.93, 27.63, 30.66};
    double sum = 0;
    int cells = 0;
    for (int i = 0; i < observed.length; i++) {
      if (chance[i] == 0) {
        if (observed[i] != 0) {
          return false;
        }
        continue;
      }
      double expected = chance[i] * n;
      sum += (observed[i] - expected) * (observed[i] - expected) / expected;
      cells++;
    }
    return sum < critical[cells - 1];
  }

  /**
   * The chance of each peer under nginx's random two: a first peer i drawn by weight, a second j != i drawn by
   * weight among the others, j kept unless it has more connections relative to its weight than i.
   */
  static double[] randomTwoDistribution(int[] weights, int[] conns) {
    double total = 0;
    for (int weight : weights) {
      total += weight;
    }
    double[] chance = new double[weights.length];
    for (int i = 0; i < weights.length; i++) {
      for (int j = 0; j < weights.length; j++) {
        if (i == j) {
          continue;
        }
        double p = weights[i] / total * (weights[j] / (total - weights[i]));
        boolean second = (long) conns[j] * weights[i] <= (long) conns[i] * weights[j];
        chance[second ? j : i] += p;
      }
    }
    return chance;
  }


  @Test
  void unchangedServersKeepTheirStateAcrossAnUpdate() {
    PeerGroup old = group("server a max_fails=5; server b max_fails=5;");
    fail(old, "a");
    fail(old, "a");
    PeerSelection inFlight = new PeerSelection().start(old, null, null);
    Peer held = inFlight.next();

    PeerGroup replaced = PeerGroup.create(
        UpstreamBlock.fromCommands("u", "server a max_fails=5; server b max_fails=5; server c;"), old, ticker);

    Peer a = replaced.asList().get(0);
    assertThat(a.failures()).isEqualTo(2);
    assertThat(replaced.asList().get(2).failures()).isZero();
    Peer heldNow = replaced.asList().stream().filter(p -> p.spec().equals(held.spec())).findFirst().orElseThrow();
    assertThat(heldNow.activeConnections()).isEqualTo(1);
    inFlight.succeeded();
    assertThat(heldNow.activeConnections()).isZero();
  }

  @Test
  void aChangedServerStartsFresh() {
    PeerGroup old = group("server a max_fails=5; server b;");
    fail(old, "a");

    PeerGroup replaced = PeerGroup.create(UpstreamBlock.fromCommands("u", "server a max_fails=4; server b;"), old,
        ticker);

    assertThat(replaced.asList().get(0).failures()).isZero();
  }

  @ParameterizedTest
  @CsvSource({"hash $request_uri", "hash $request_uri consistent"})
  void aKeyGivenAsBytesPicksAsItsStringIncludingRetries(String method) {
    String commands = method + "; server a weight=3; server b; server c weight=2; server d; server e weight=5;";
    PeerGroup byString = group(commands);
    PeerGroup byBytes = group(commands);
    PeerSelection bytesSelection = new PeerSelection();
    Random random = new Random(method.length());
    for (int round = 0; round < 300; round++) {
      StringBuilder key = new StringBuilder("/k/");
      for (int i = random.nextInt(40); i > 0; i--) {
        int kind = random.nextInt(10);
        key.append(kind < 8 ? (char) ('a' + random.nextInt(26)) : kind == 8 ? 'é' : '€');
      }
      byte[] utf8 = key.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
      // The key in the middle of a larger array, as a proxy's buffer holds it.
      byte[] buffer = new byte[utf8.length + 7];
      System.arraycopy(utf8, 0, buffer, 3, utf8.length);
      selection.start(byString, null, key);
      bytesSelection.start(byBytes, null, buffer, 3, utf8.length);
      for (int attempt = 0; attempt < 3; attempt++) {
        Peer expected = selection.next();
        Peer actual = bytesSelection.next();
        assertThat(name(actual)).as("%s try %d", key, attempt).isEqualTo(name(expected));
        if (attempt < 2) {
          selection.failed();
          bytesSelection.failed();
        } else {
          selection.succeeded();
          bytesSelection.succeeded();
        }
      }
      ticker.advanceSeconds(11);
    }
  }

  @Test
  void anEmptyKeyGivenAsBytesIsRoundRobinAsAnEmptyString() {
    PeerGroup byString = group("hash $request_uri; server a weight=3; server b; server c weight=2;");
    PeerGroup byBytes = group("hash $request_uri; server a weight=3; server b; server c weight=2;");
    PeerSelection bytesSelection = new PeerSelection();
    StringBuilder expected = new StringBuilder();
    StringBuilder actual = new StringBuilder();
    for (int i = 0; i < 12; i++) {
      expected.append(name(selection.start(byString, null, "").next()));
      selection.succeeded();
      actual.append(name(bytesSelection.start(byBytes, null, new byte[4], 2, 0).next()));
      bytesSelection.succeeded();
    }

    assertThat(actual.toString()).isEqualTo(expected.toString()).isEqualTo("acabca" + "acabca");
  }

  @Test
  void keyBytesOutsideTheArrayAreRefused() {
    PeerGroup group = group("hash $request_uri; server a; server b;");

    assertThatThrownBy(() -> selection.start(group, null, new byte[4], 2, 3))
        .isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> selection.start(group, null, null, 0, 0)).isInstanceOf(NullPointerException.class)
        .hasMessageContaining("hashKey");
  }

  @ParameterizedTest
  @CsvSource({"random; server a weight=3; server b; server c weight=2;",
      "random; server a weight=3000; server b weight=1000; server c weight=2000;",
      "ip_hash; server a weight=3000; server b weight=1000; server c weight=2000;"})
  void eachUnitOfWeightBelongsToItsPrimaryWithATableOrWithout(String commands) {
    PeerGroup group = group(commands);
    int[] weights = group.asList().stream().mapToInt(peer -> peer.spec().weight()).toArray();

    int unit = 0;
    for (int i = 0; i < weights.length; i++) {
      for (int j = 0; j < weights[i]; j++, unit++) {
        assertThat(Strategy.byWeight(group, unit)).as("unit %d", unit).isEqualTo(i);
      }
    }
    assertThat(group.weightUnits.tabled()).isEqualTo(unit <= WeightUnits.MAX_TABLE);
  }

  /**
   * Without a table the units are found through a guide of slices; random sets of weights, from equal to one
   * server holding most of them, against nginx's walk that subtracts weights (ngx_http_upstream_get_hash_peer).
   */
  @RepeatedTest(30)
  void eachUnitOfWeightBelongsToItsPrimaryThroughTheGuide(RepetitionInfo repetition) {
    Random random = new Random(repetition.getCurrentRepetition());
    int n = 1 + random.nextInt(3000);
    StringBuilder commands = new StringBuilder("random;");
    int[] weights = new int[n];
    for (int i = 0; i < n; i++) {
      int kind = random.nextInt(10);
      weights[i] = kind < 6 ? 1 + random.nextInt(5) : kind < 9 ? 1 + random.nextInt(100) : 1 + random.nextInt(50_000);
      commands.append("server p").append(i).append(" weight=").append(weights[i]).append(';');
    }
    PeerGroup group = group(commands.toString());
    int total = java.util.Arrays.stream(weights).sum();

    for (int probe = 0; probe < 5_000; probe++) {
      int unit = probe < 2 ? probe * (total - 1) : random.nextInt(total);
      int w = unit;
      int expected = 0;
      while (w >= weights[expected]) {
        w -= weights[expected];
        expected++;
      }
      assertThat(Strategy.byWeight(group, unit)).as("seed %d, unit %d of %d", repetition.getCurrentRepetition(),
          unit, total).isEqualTo(expected);
    }
  }
}
