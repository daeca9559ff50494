package io.dyups.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.dyups.parser.UpstreamBlock;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Round robin and least_conn against {@link NginxReference}, nginx's loops written out plainly: the same random
 * requests on both, with failures, retries, requests held open across others, passing time, health verdicts,
 * updates that keep the state of unchanged servers and requests that still find the generation an update replaced;
 * every pick compared. Small upstreams (nginx's loop and the cycle) and large ones (the lanes), up to 10 000
 * servers. The production side runs with one worker (each worker is an nginx worker process of its own).
 */
class NginxDifferentialTest {
  private final FakeTicker ticker = new FakeTicker();

  @RepeatedTest(60)
  void roundRobinPicksAsNginx(RepetitionInfo repetition) {
    run(repetition.getCurrentRepetition(), "", small(repetition), 3000);
  }

  @RepeatedTest(60)
  void leastConnPicksAsNginx(RepetitionInfo repetition) {
    run(10_000 + repetition.getCurrentRepetition(), "least_conn;", small(repetition), 3000);
  }

  @RepeatedTest(30)
  void roundRobinOnLargeUpstreamsPicksAsNginx(RepetitionInfo repetition) {
    run(20_000 + repetition.getCurrentRepetition(), "", large(repetition), 3000);
  }

  @RepeatedTest(30)
  void leastConnOnLargeUpstreamsPicksAsNginx(RepetitionInfo repetition) {
    run(30_000 + repetition.getCurrentRepetition(), "least_conn;", large(repetition), 3000);
  }

  @ParameterizedTest(name = "{0} servers {1}")
  @CsvSource({"1000,''", "1000,least_conn;", "10000,''", "10000,least_conn;"})
  void veryLargeUpstreamsPickAsNginx(int servers, String method) {
    run(40_000 + servers + method.length(), method, servers, 2000);
  }

  /**
   * Clean upstreams for a whole cycle of smooth round robin and more (every current weight back at 0), where the
   * lanes pick in runs without comparing their heads; least_conn with every peer idle ties them all alike and picks
   * in the same runs.
   */
  @ParameterizedTest(name = "{0} servers, weights 1-{1} {2}")
  @CsvSource({"1000,100,''", "1000,5,''", "300,100,least_conn;", "1000,100,least_conn;", "2000,5,least_conn;",
      "64,3,''", "10000,1,''", "10000,1,least_conn;"})
  void cleanLargeUpstreamsPickAsNginxForAWholeCycle(int servers, int maxWeight, String method) {
    StringBuilder commands = new StringBuilder(method);
    int total = 0;
    for (int i = 0; i < servers; i++) {
      int weight = 1 + (i * 7 + i / maxWeight) % maxWeight;
      total += weight;
      commands.append("server p").append(i).append(" weight=").append(weight).append(';');
    }
    UpstreamBlock definition = UpstreamBlock.fromCommands("u", commands.toString());
    NginxReference reference = new NginxReference(() -> ticker.read() / 1_000_000_000L);
    reference.update(definition);
    PeerGroup group = PeerGroup.create(definition, null, ticker, 1);
    Generation generation = new Generation(group, reference.generation());
    List<Held> held = new ArrayList<>();
    Random never = new Random(0) {
      @Override
      public int nextInt(int bound) {
        // Every request succeeds on its first peer: 99 is above every roll that fails, retries or holds.
        return bound - 1;
      }
    };
    for (int step = 0; step < total + 100; step++) {
      request(never, generation, reference, held, servers + " servers " + method + ", step " + step);
    }
    assertThat(held).isEmpty();
  }

  private static int small(RepetitionInfo repetition) {
    return 1 + new Random(repetition.getCurrentRepetition()).nextInt(12);
  }

  // From the smallest that picks by lanes to a few hundred.
  private static int large(RepetitionInfo repetition) {
    return SmoothLanes.MIN_PEERS + new Random(repetition.getCurrentRepetition()).nextInt(300);
  }

  /**
   * A server line of random settings: weights from a few values or from 1 to 100, sometimes max_conns, rarely
   * down, a backup now and then but never the first.
   */
  private static String server(Random random, int id, int servers, boolean first) {
    StringBuilder line = new StringBuilder("server p").append(id);
    int[] weights = {1, 1, 2, 3, 5, 10, 1 + random.nextInt(100)};
    line.append(" weight=").append(weights[random.nextInt(weights.length)]);
    line.append(" max_fails=").append(random.nextInt(4));
    line.append(" fail_timeout=").append(1 + random.nextInt(20)).append('s');
    if (random.nextInt(8) == 0) {
      line.append(" max_conns=").append(1 + random.nextInt(3));
    }
    if (random.nextInt(Math.max(6, servers)) == 0) {
      line.append(" down");
    } else if (!first && random.nextInt(6) == 0) {
      line.append(" backup");
    }
    return line.append(';').toString();
  }

  /** One generation of the upstream on both sides. */
  private record Generation(PeerGroup group, NginxReference.Generation reference) {}

  private void run(long seed, String method, int servers, int steps) {
    Random random = new Random(seed);
    List<String> lines = new ArrayList<>();
    int nextId = 0;
    for (int i = 0; i < servers; i++) {
      lines.add(server(random, nextId++, servers, i == 0));
    }
    String context = "seed " + seed + ", " + servers + " servers, " + (method.isEmpty() ? "round robin" : method);
    NginxReference reference = new NginxReference(() -> ticker.read() / 1_000_000_000L);
    UpstreamBlock definition = UpstreamBlock.fromCommands("u", method + String.join("", lines));
    reference.update(definition);
    PeerGroup group = PeerGroup.create(definition, null, ticker, 1);
    Generation current = new Generation(group, reference.generation());
    Generation previous = null;
    List<Held> held = new ArrayList<>();
    for (int step = 0; step < steps; step++) {
      int roll = random.nextInt(1000);
      if (roll < 20) {
        ticker.advanceSeconds(random.nextInt(15));
      } else if (roll < 26) {
        int i = random.nextInt(lines.size());
        boolean healthy = random.nextBoolean();
        group.asList().get(i).setHealthy(healthy);
        reference.peers().get(i).checkDown = !healthy;
      } else if (roll < 30) {
        int i = random.nextInt(lines.size());
        int change = random.nextInt(3);
        // The first line is never a backup, so that there is a primary.
        if (change == 0 && i > 0) {
          lines.remove(i);
        } else if (change == 1) {
          lines.add(i + 1, server(random, nextId++, servers, false));
        } else {
          lines.set(i, server(random, nextId++, servers, i == 0));
        }
        definition = UpstreamBlock.fromCommands("u", method + String.join("", lines));
        group = PeerGroup.create(definition, group, ticker, 1);
        reference.update(definition);
        previous = current;
        current = new Generation(group, reference.generation());
        // Health is kept by the servers that stayed; a new server is healthy.
        for (int p = 0; p < lines.size(); p++) {
          assertThat(group.asList().get(p).isHealthy()).as("health of %s", p)
              .isEqualTo(!reference.peers().get(p).checkDown);
        }
      }
      // Now and then a request that found the generation an update replaced.
      Generation on = previous != null && random.nextInt(50) == 0 ? previous : current;
      request(random, on, reference, held, context + ", step " + step + (on == current ? "" : ", old generation"));
      if (!held.isEmpty() && random.nextInt(3) == 0) {
        Held done = held.remove(random.nextInt(held.size()));
        boolean failed = random.nextInt(10) == 0;
        done.selection.release(failed);
        done.request.free(failed);
      }
      checkCounts(group, reference, context + ", step " + step);
    }
    if (servers >= SmoothLanes.MIN_PEERS) {
      assertThat(group.worker(0).picksByLanes()).as("%s: picks by lanes", context).isTrue();
    }
    for (Held done : held) {
      done.selection.release(false);
      done.request.free(false);
    }
  }

  private record Held(Selection selection, NginxReference.Request request) {}

  /** A production selection with the index of what it picked in the group's written order. */
  private static final class Selection {
    final PeerSelection selection = new PeerSelection();
    final PeerGroup group;

    Selection(PeerGroup group) {
      this.group = group;
      selection.start(group, null, null);
    }

    int next() {
      Peer peer = selection.next();
      return peer == null ? -1 : indexOf(group.asList(), peer);
    }

    void release(boolean failed) {
      if (failed) {
        selection.failed();
      } else {
        selection.succeeded();
      }
    }
  }

  /**
   * The worker's counts that decide whether its cycle holds, against the reference's state: the primaries that are
   * not in nginx's fresh state (failures, lost weight, down, unhealthy, max_conns), and the active connections.
   */
  private static void checkCounts(PeerGroup group, NginxReference reference, String context) {
    int unclean = 0;
    int busy = 0;
    for (NginxReference.Peer peer : reference.peers()) {
      if (peer.spec.backup()) {
        continue;
      }
      boolean clean = peer.fails == 0 && peer.effectiveWeight == peer.weight && !peer.checkDown && !peer.down
          && peer.maxConns == 0;
      unclean += clean ? 0 : 1;
      busy += peer.conns;
    }
    Worker worker = group.worker(0);
    assertThat(worker.unclean).as("%s: unclean primaries", context).isEqualTo(unclean);
    assertThat(worker.busy).as("%s: connections on primaries", context).isEqualTo(busy);
  }

  /** Each peer's weights, connections and failures as the counters have them, for a failure's message. */
  private static String state(PeerGroup group) {
    StringBuilder out = new StringBuilder();
    for (Peer peer : group.asList()) {
      WorkerPeerCounters c = peer.counters[0];
      out.append(String.format("[%s cw=%d ew=%d/%d conns=%d fails=%d checked=%d] ", peer, c == null ? 0
          : c.currentWeight, c == null ? 0 : c.effectiveWeight, peer.weight, c == null ? 0 : c.conns,
          c == null ? 0 : c.fails, c == null ? 0 : c.checked));
    }
    return out.toString();
  }

  private static String state(List<NginxReference.Peer> peers) {
    StringBuilder out = new StringBuilder();
    for (NginxReference.Peer peer : peers) {
      out.append(String.format("[%s cw=%d ew=%d/%d conns=%d fails=%d checked=%d] ", peer, peer.currentWeight,
          peer.effectiveWeight, peer.weight, peer.conns, peer.fails, peer.checked));
    }
    return out.toString();
  }

  private static int indexOf(List<?> list, Object item) {
    for (int i = 0; i < list.size(); i++) {
      if (list.get(i) == item) {
        return i;
      }
    }
    throw new AssertionError(item + " not in the group");
  }

  private static void request(Random random, Generation generation, NginxReference reference, List<Held> held,
      String context) {
    PeerGroup group = generation.group();
    Selection selection = new Selection(group);
    NginxReference.Request request = reference.new Request(generation.reference());
    for (int attempt = 0; ; attempt++) {
      int actual = selection.next();
      NginxReference.Peer expected = request.next();
      int expectedIndex = expected == null ? -1 : indexOf(generation.reference().all(), expected);
      if (actual != expectedIndex) {
        // The state is shown only for small upstreams; a large one's would fill the report.
        boolean show = group.asList().size() <= 40;
        assertThat(actual).as("%s, attempt %d%nproduction %s%nreference  %s", context, attempt,
            show ? state(group) : "", show ? state(generation.reference().all()) : "").isEqualTo(expectedIndex);
      }
      if (actual < 0) {
        return;
      }
      int roll = random.nextInt(100);
      if (roll < 6) {
        // Failed; retried more often than not.
        selection.release(true);
        request.free(true);
        if (random.nextInt(3) > 0) {
          continue;
        }
        return;
      }
      if (roll < 8) {
        // Went to the next peer without a failure (nginx's NGX_PEER_NEXT, as for a 404 with
        // proxy_next_upstream http_404).
        selection.release(false);
        request.free(false);
        continue;
      }
      if (roll < 14 && held.size() < 8) {
        held.add(new Held(selection, request));
        return;
      }
      selection.release(false);
      request.free(false);
      return;
    }
  }
}
