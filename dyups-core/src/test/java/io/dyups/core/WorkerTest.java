package io.dyups.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dyups.parser.UpstreamBlock;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;

/**
 * Balancing state kept once per worker, and the round-robin cycle a worker follows while its peers are clean.
 *
 * <p>The cycle is checked against the loop it stands for: a group that also has a {@code down} server never
 * follows the cycle (a down primary is never clean) and picks exactly as nginx's loop, while the down server, never
 * eligible, changes nothing in the order. Both groups get the same requests, failures, retries and passing time.
 */
class WorkerTest {
  private final FakeTicker ticker = new FakeTicker();

  private PeerGroup group(String commands, int workers) {
    return PeerGroup.create(UpstreamBlock.fromCommands("u", commands), null, ticker, workers);
  }

  private PeerGroup replace(PeerGroup old, String commands) {
    return PeerGroup.create(UpstreamBlock.fromCommands("u", commands), old, ticker, old.workerCount());
  }

  private static String servers(Random random, String method) {
    StringBuilder commands = new StringBuilder(method);
    int peers = 2 + random.nextInt(11);
    for (int i = 0; i < peers; i++) {
      commands.append("server p").append(i).append(" weight=").append(1 + random.nextInt(10))
          .append(" max_fails=").append(random.nextInt(4)).append(';');
    }
    return commands.toString();
  }

  /** The same group that can never follow the cycle. */
  private static String withoutCycle(String commands) {
    return commands + "server never down;";
  }

  @Test
  void aCleanGroupFollowsTheCycleAndPicksAsTheLoop() {
    Random random = new Random(7);
    for (int round = 0; round < 50; round++) {
      String commands = servers(random, "");
      PeerGroup cycled = group(commands, 1);
      PeerGroup looped = group(withoutCycle(commands), 1);

      assertThat(picks(cycled, 200)).as(commands).isEqualTo(picks(looped, 200));
      assertThat(cycled.worker(0).position).as("on the cycle").isNotNegative();
      assertThat(looped.worker(0).position).isNegative();
    }
  }

  @RepeatedTest(40)
  void failuresRetriesAndRecoveryPickAsTheLoop(RepetitionInfo repetition) {
    differential(repetition.getCurrentRepetition(), "");
  }

  @RepeatedTest(40)
  void leastConnWithHeldConnectionsPicksAsTheLoop(RepetitionInfo repetition) {
    differential(1000 + repetition.getCurrentRepetition(), "least_conn;");
  }

  /**
   * Runs the same random requests on a group that may follow the cycle and on one that never does: requests that
   * succeed, fail and retry, requests held open across others, time that passes beyond fail_timeout.
   */
  private void differential(long seed, String method) {
    Random random = new Random(seed);
    String commands = servers(random, method);
    PeerGroup cycled = group(commands, 1);
    PeerGroup looped = group(withoutCycle(commands), 1);
    List<PeerSelection[]> held = new ArrayList<>();
    boolean followedCycle = false;
    for (int step = 0; step < 2000; step++) {
      PeerSelection a = new PeerSelection().start(cycled, null, null);
      PeerSelection b = new PeerSelection().start(looped, null, null);
      followedCycle |= cycled.worker(0).position >= 0;
      // Retries stop before every server was tried: there the looped group, one server more, would try again.
      int retries = 0;
      for (;;) {
        Peer pa = a.next();
        Peer pb = b.next();
        assertThat(name(pa)).as("%s step %d", commands, step).isEqualTo(name(pb));
        if (pa == null) {
          break;
        }
        int roll = random.nextInt(100);
        if (roll < 8) {
          a.failed();
          b.failed();
          if (++retries < cycled.primaries.length - 1) {
            continue;
          }
          break;
        }
        if (roll < 12 && held.size() < 6) {
          held.add(new PeerSelection[] {a, b});
        } else {
          a.succeeded();
          b.succeeded();
        }
        break;
      }
      if (!held.isEmpty() && random.nextInt(4) == 0) {
        PeerSelection[] done = held.remove(random.nextInt(held.size()));
        done[0].succeeded();
        done[1].succeeded();
      }
      if (random.nextInt(50) == 0) {
        ticker.advanceSeconds(11);
      }
    }
    assertThat(followedCycle).as("the cycle was used at all").isTrue();
  }

  @Test
  void anUpdateTakesTheWeightsOverFromWhereTheCycleWas() {
    String before = "server a weight=5; server b weight=3; server c;";
    String after = "server a weight=5; server b weight=3; server d weight=2;";
    PeerGroup cycled = group(before, 1);
    PeerGroup looped = group(withoutCycle(before), 1);
    assertThat(picks(cycled, 5)).isEqualTo(picks(looped, 5));

    PeerGroup cycledAfter = replace(cycled, after);
    PeerGroup loopedAfter = replace(looped, withoutCycle(after));

    assertThat(picks(cycledAfter, 60)).isEqualTo(picks(loopedAfter, 60));
    assertThat(cycled.worker(0).retired).isTrue();
  }

  /**
   * Issue 22: replacing one server of a 10 000-server upstream keeps the live state of the 9 999 others (their
   * counters in every worker: failures, connections, current weights; their health), and the worker's state for
   * the new generation (its lanes) is made by the writer, ready for the next pick.
   */
  @Test
  void replacingOneServerOfTenThousandKeepsTheStateOfTheOthers() {
    StringBuilder kept = new StringBuilder();
    for (int i = 0; i < 9_999; i++) {
      kept.append("server p").append(i).append(" weight=").append(1 + i % 5).append(" max_fails=3;");
    }
    PeerGroup old = group(kept + "server last;", 2);
    PeerSelection held = new PeerSelection().probe(0).start(old, null, null);
    Peer heldPeer = held.next();
    for (int i = 0; i < 500; i++) {
      PeerSelection selection = new PeerSelection().probe(i % 2).start(old, null, null);
      selection.next();
      if (i % 7 == 0) {
        selection.failed();
      } else {
        selection.succeeded();
      }
    }
    old.asList().get(42).setHealthy(false);
    int[] failures = old.asList().stream().mapToInt(Peer::failures).toArray();
    int[] currentWeights = old.asList().stream().mapToInt(peer -> weightIn(old, peer)).toArray();

    PeerGroup replaced = replace(old, kept + "server other;");

    assertThat(replaced.hasWorker(0)).isTrue();
    assertThat(replaced.hasWorker(1)).isTrue();
    assertThat(replaced.worker(0).lanesLoaded).as("lanes made by the writer").isTrue();
    for (int i = 0; i < 9_999; i++) {
      Peer before = old.asList().get(i);
      Peer after = replaced.asList().get(i);
      assertThat(after.state).as("server %d", i).isSameAs(before.state);
      assertThat(after.counters[0]).isSameAs(before.counters[0]);
      assertThat(after.failures()).isEqualTo(failures[i]);
      assertThat(weightIn(replaced, after)).as("current weight of %d", i).isEqualTo(currentWeights[i]);
    }
    assertThat(replaced.asList().get(42).isHealthy()).isFalse();
    Peer heldNow = replaced.asList().get(old.asList().indexOf(heldPeer));
    assertThat(heldNow.activeConnections()).isEqualTo(1);
    held.succeeded();
    assertThat(heldNow.activeConnections()).isZero();
    assertThat(replaced.asList().get(9_999).failures()).isZero();
  }

  /** A peer's current weight in worker 0, from its lanes or its counters. */
  private static int weightIn(PeerGroup group, Peer peer) {
    Worker worker = group.worker(0);
    WorkerPeerCounters counters = peer.counters[0];
    if (worker.lanesLoaded) {
      worker.lanes.store();
    }
    return counters.currentWeight;
  }

  @Test
  void aWorkerIsMadeOnFirstUseOrWithTheGenerationAfterOneItPickedFrom() {
    PeerGroup old = group("server a; server b;", 2);
    assertThat(old.hasWorker(0)).isFalse();
    pickOn(old, 0);
    assertThat(old.hasWorker(0)).isTrue();
    assertThat(old.hasWorker(1)).isFalse();

    PeerGroup replaced = replace(old, "server a; server c;");

    assertThat(replaced.hasWorker(0)).isTrue();
    assertThat(replaced.hasWorker(1)).isFalse();
    assertThat(old.worker(0).retired).isTrue();
  }

  @Test
  void eachWorkerCountsItsOwnFailures() {
    PeerGroup group = group("server a; server b;", 2);
    Peer a = group.asList().get(0);

    PeerSelection first = new PeerSelection().probe(0).start(group, null, null);
    assertThat(first.next()).isSameAs(a);
    first.failed();

    assertThat(a.isOut()).isTrue();
    assertThat(a.isAvailable()).as("worker 1 would still send to it").isTrue();
    assertThat(pickOn(group, 0)).isEqualTo("b");
    assertThat(pickOn(group, 1)).isEqualTo("a");
    assertThat(a.failures()).isEqualTo(1);
  }

  @Test
  void aSelectionPicksThroughTheWorkerOfTheThreadThatStartsItNotOfTheOneThatMadeIt() throws Exception {
    PeerGroup group = group("server a; server b;", 2);
    PeerSelection selection = new PeerSelection();
    long mine = Thread.currentThread().getId();
    Thread picker;
    do {
      picker = new Thread(() -> {
        selection.start(group, null, null);
        selection.next();
        selection.succeeded();
      });
    } while ((picker.getId() & 1) == (mine & 1));
    picker.start();
    picker.join();

    assertThat(group.hasWorker((int) (picker.getId() & 1))).isTrue();
    assertThat(group.hasWorker((int) (mine & 1))).isFalse();
  }

  @Test
  void anUpstreamWithZoneHasOneWorkerForEveryThread() {
    PeerGroup group = group("zone shared 64k; server a; server b;", 4);
    PeerSelection first = new PeerSelection().probe(0).start(group, null, null);
    assertThat(first.next()).isSameAs(group.asList().get(0));
    first.failed();

    assertThat(group.workerCount()).isEqualTo(1);
    assertThat(pickOn(group, 1)).isEqualTo("b");
    assertThat(group.asList().get(0).isAvailable()).isFalse();
  }

  @Test
  void activeConnectionsAddUpOverWorkers() {
    PeerGroup group = group("server a; server b;", 2);
    Peer a = group.asList().get(0);
    PeerSelection one = new PeerSelection().probe(0).start(group, null, null);
    PeerSelection two = new PeerSelection().probe(1).start(group, null, null);

    assertThat(one.next()).isSameAs(a);
    assertThat(two.next()).isSameAs(a);
    assertThat(a.activeConnections()).isEqualTo(2);
    one.succeeded();
    two.succeeded();
    assertThat(a.activeConnections()).isZero();
  }

  @Test
  void maxConnsIsCountedPerWorkerWithoutZone() {
    PeerGroup group = group("server a max_conns=1; server b max_conns=1;", 2);
    PeerSelection[] held = new PeerSelection[4];
    for (int i = 0; i < 4; i++) {
      held[i] = new PeerSelection().probe(i % 2).start(group, null, null);
      assertThat(held[i].next()).as("request %d", i).isNotNull();
    }

    assertThat(new PeerSelection().probe(0).start(group, null, null).next()).isNull();
    assertThat(new PeerSelection().probe(1).start(group, null, null).next()).isNull();
  }

  @Test
  void aHealthVerdictReachesEveryWorker() {
    PeerGroup group = group("server a; server b;", 2);
    Peer a = group.asList().get(0);

    a.setHealthy(false);
    for (int i = 0; i < 6; i++) {
      assertThat(pickOn(group, i % 2)).isEqualTo("b");
    }
    a.setHealthy(true);

    assertThat(picks(group, 0, 4) + picks(group, 1, 4)).contains("a");
  }

  @Test
  void theWorkerCountIsAPowerOfTwoWithinBounds() {
    assertThat(group("server a;", 3).workerCount()).isEqualTo(4);
    assertThat(group("server a;", 1).workerCount()).isEqualTo(1);
    assertThat(UpstreamRegistry.builder().workers(2).build()).isNotNull();
    assertThatThrownBy(() -> UpstreamRegistry.builder().workers(0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("workers must be in 1..1024: 0");
    assertThatThrownBy(() -> group("server a;", 1025)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void theRegistryBuildsGroupsWithItsWorkers() {
    UpstreamRegistry registry = UpstreamRegistry.builder().workers(8).build();
    registry.updateUpstream("plain", "server 10.0.0.1;");
    registry.updateUpstream("zoned", "zone z 64k; server 10.0.0.1;");

    assertThat(registry.find("plain").peers().workerCount()).isEqualTo(8);
    assertThat(registry.find("zoned").peers().workerCount()).isEqualTo(1);
  }

  @Test
  void aTooLongCycleIsNotKeptAndTheLoopPicks() {
    PeerGroup group = group("server a weight=4000; server b weight=200;", 1);

    assertThat(picks(group, 10)).isEqualTo("a a a a a a a a a a ");
    assertThat(group.worker(0).position).isNegative();
  }

  @Test
  void aRequestTriesEachOfManyServersOnceAcrossTheTriedWords() {
    StringBuilder commands = new StringBuilder();
    for (int i = 0; i < 150; i++) {
      commands.append("server p").append(i).append(" weight=").append(1 + i % 3).append(" max_fails=0;");
    }
    for (int i = 0; i < 70; i++) {
      commands.append("server b").append(i).append(" backup max_fails=0;");
    }
    PeerGroup group = group(commands.toString(), 1);
    java.util.Set<Peer> tried = new java.util.HashSet<>();

    for (int round = 0; round < 2; round++) {
      tried.clear();
      PeerSelection selection = new PeerSelection().start(group, null, null);
      for (Peer peer = selection.next(); peer != null; peer = selection.next()) {
        assertThat(tried.add(peer)).as("tried twice: %s", peer).isTrue();
        selection.failed();
      }
      assertThat(tried).hasSize(220);
    }
  }

  @Test
  void theRemainderByMultiplicationIsTheRemainder() {
    Random random = new Random(40);
    for (int divisor = 1; divisor <= 5000; divisor++) {
      long reciprocal = PeerGroup.reciprocal(divisor);
      for (int h : new int[] {0, 1, divisor - 1, divisor, divisor + 1, (1 << 20) - 1, random.nextInt(1 << 20)}) {
        assertThat(PeerGroup.remainder(h, divisor, reciprocal)).as("%d %% %d", h, divisor).isEqualTo(h % divisor);
      }
    }
    for (int round = 0; round < 100_000; round++) {
      int divisor = 1 + random.nextInt(1 << 20);
      int h = random.nextInt(1 << 21);
      assertThat(PeerGroup.remainder(h, divisor, PeerGroup.reciprocal(divisor))).isEqualTo(h % divisor);
    }
  }

  private String pickOn(PeerGroup group, int worker) {
    PeerSelection selection = new PeerSelection().probe(worker).start(group, null, null);
    Peer peer = selection.next();
    selection.succeeded();
    return name(peer);
  }

  private String picks(PeerGroup group, int worker, int n) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < n; i++) {
      out.append(pickOn(group, worker));
    }
    return out.toString();
  }

  private String picks(PeerGroup group, int n) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < n; i++) {
      out.append(pickOn(group, 0)).append(' ');
    }
    return out.toString();
  }

  private static String name(Peer peer) {
    return peer == null ? null : peer.address().host();
  }
}
