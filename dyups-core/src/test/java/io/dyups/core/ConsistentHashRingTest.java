package io.dyups.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.dyups.parser.UpstreamBlock;
import java.util.Random;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;

/**
 * Consistent hash finds a key's point through its slice index (ConsistentHashStrategy.firstPointAtOrAfter); these
 * tests pin it against nginx's binary search over the whole ring (ngx_http_upstream_find_chash_point).
 */
class ConsistentHashRingTest {
  private final FakeTicker ticker = new FakeTicker();

  /** Rings of 1 to 2 000 servers of weights 1 to 20 (160 to 6.4 million points), random hashes and the edges. */
  @RepeatedTest(40)
  void eachHashFindsThePointThatNginxsSearchOfTheWholeRingFinds(RepetitionInfo repetition) {
    long seed = repetition.getCurrentRepetition();
    Random random = new Random(seed);
    int servers = 1 + random.nextInt(seed % 4 == 0 ? 2_000 : 100);
    int maxWeight = 1 + random.nextInt(20);
    StringBuilder commands = new StringBuilder("hash $request_uri consistent;");
    for (int i = 0; i < servers; i++) {
      commands.append("server ").append(address(random.nextInt(1 << 24))).append(" weight=")
          .append(1 + random.nextInt(maxWeight)).append(';');
    }
    ConsistentHashStrategy ring = ring(commands.toString());

    assertFindsWhatNginxFinds(ring, random, 20_000, "seed " + seed + ", " + servers + " servers");
  }

  /**
   * 10 000 servers of weights 1-5 (PickBenchmark's upstream): 4.8 million points in 2^20 slices, some of which hold
   * more than the points a lookup scans, so the halving before the scan runs too.
   */
  @Test
  void aRingOfTenThousandServersFindsThePointsThatNginxFinds() {
    StringBuilder commands = new StringBuilder("hash $request_uri consistent;");
    for (int i = 0; i < 10_000; i++) {
      commands.append("server 127.0.0.1:").append(8001 + i).append(" weight=").append(i % 5 + 1).append(';');
    }
    ConsistentHashStrategy ring = ring(commands.toString());

    assertFindsWhatNginxFinds(ring, new Random(10_000), 200_000, "10 000 servers");
  }

  private ConsistentHashStrategy ring(String commands) {
    return (ConsistentHashStrategy) PeerGroup.create(UpstreamBlock.fromCommands("u", commands), null, ticker)
        .strategy;
  }

  private static String address(int n) {
    return "10." + (n >>> 16 & 0xFF) + "." + (n >>> 8 & 0xFF) + "." + (n & 0xFF) + ":" + (1 + (n & 0x3FF));
  }

  /**
   * Random hashes, then 0 and 2^32 - 1, then each of a sample of points' hash and the hashes just before and after
   * it (a key on a point, and keys at the edges of the points' slices).
   */
  private static void assertFindsWhatNginxFinds(ConsistentHashStrategy ring, Random random, int probes,
      String context) {
    for (int probe = 0; probe < probes; probe++) {
      long hash = random.nextInt() & 0xFFFFFFFFL;
      assertFindsWhatNginxFinds(ring, hash, context);
    }
    for (long hash : new long[] {0, 0xFFFFFFFFL}) {
      assertFindsWhatNginxFinds(ring, hash, context);
    }
    int step = Math.max(1, ring.pointCount() / probes);
    for (int point = 0; point < ring.pointCount(); point += step) {
      long at = ring.pointHash(point);
      for (long hash = Math.max(0, at - 1); hash <= Math.min(0xFFFFFFFFL, at + 1); hash++) {
        assertFindsWhatNginxFinds(ring, hash, context);
      }
    }
  }

  private static void assertFindsWhatNginxFinds(ConsistentHashStrategy ring, long hash, String context) {
    int found = ring.firstPointAtOrAfter(hash);
    int expected = nginxFindChashPoint(ring, hash);
    // An assertion only on a difference: hundreds of thousands of them would take most of the test's time.
    if (found != expected) {
      assertThat(found).as("%s, hash %d", context, hash).isEqualTo(expected);
    }
  }

  /**
   * ngx_http_upstream_find_chash_point: a binary search over the whole ring for the first point at or after the
   * hash (the ring's length past the last point).
   */
  private static int nginxFindChashPoint(ConsistentHashStrategy ring, long hash) {
    int i = 0;
    int j = ring.pointCount();
    while (i < j) {
      int k = (i + j) >>> 1;
      long point = ring.pointHash(k);
      if (hash > point) {
        i = k + 1;
      } else if (hash < point) {
        j = k;
      } else {
        return k;
      }
    }
    return i;
  }
}
