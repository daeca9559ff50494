package io.dyups.benchmarks;

import io.dyups.core.Peer;
import io.dyups.core.PeerSelection;
import io.dyups.core.Upstream;
import io.dyups.core.UpstreamRegistry;
import java.util.Arrays;

/**
 * How soon another thread's pick sees a change: a writer replaces an upstream's only server with a new one and
 * notes the time {@code updateUpstream} returned; a reader picks in a loop and notes the time of the first pick
 * that returns the new server. The lag is reader's time minus writer's time; a negative lag means the reader saw
 * the server before the writer's call had returned (the change is published before the call returns).
 *
 * <p>Not a JMH benchmark: it measures a gap between two threads, which JMH's per-thread timings cannot. Run with
 * {@code java -cp benchmarks.jar io.dyups.benchmarks.VisibilityProbe [rounds]}; both threads spin, so give it
 * two free cores if you can.
 */
public final class VisibilityProbe {
  private VisibilityProbe() {}

  // The reader writes seenAt, then seenPort: a writer that reads its port in seenPort reads that pick's time.
  private static volatile long seenAt;
  private static volatile int seenPort;
  private static volatile boolean stop;

  public static void main(String[] args) throws InterruptedException {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
    int warmup = rounds / 4;
    UpstreamRegistry registry = UpstreamRegistry.builder().build();
    registry.updateUpstream("probe", "server 127.0.0.1:1;");
    Thread reader = new Thread(() -> read(registry), "reader");
    reader.setDaemon(true);
    reader.start();

    long[] lags = new long[rounds];
    for (int round = -warmup; round < rounds; round++) {
      int port = 2 + ((round + warmup) % 60_000);
      if (!registry.updateUpstream("probe", "server 127.0.0.1:" + port + ";").isSuccess()) {
        throw new IllegalStateException("update failed");
      }
      long returned = System.nanoTime();
      while (seenPort != port) {
        Thread.onSpinWait();
      }
      if (round >= 0) {
        lags[round] = seenAt - returned;
      }
    }
    stop = true;
    reader.join();
    registry.close();

    Arrays.sort(lags);
    System.out.printf("rounds %d; lag from updateUpstream returning to the reader's first pick of the new server:%n",
        rounds);
    System.out.printf("min %,d ns  p50 %,d ns  p99 %,d ns  p99.9 %,d ns  max %,d ns%n", lags[0],
        lags[rounds / 2], lags[(int) (rounds * 0.99)], lags[(int) (rounds * 0.999)], lags[rounds - 1]);
    long early = Arrays.stream(lags).filter(lag -> lag <= 0).count();
    System.out.printf("seen before the call returned: %d of %d%n", early, rounds);
  }

  @SuppressWarnings("NullAway") // "probe" exists before the readers start; it has one server
  private static void read(UpstreamRegistry registry) {
    PeerSelection selection = new PeerSelection();
    int lastPort = 1;
    while (!stop) {
      Upstream upstream = registry.find("probe");
      Peer peer = selection.start(upstream.peers(), null, null).next();
      selection.succeeded();
      int port = peer.address().port();
      if (port != lastPort) {
        seenAt = System.nanoTime();
        seenPort = port;
        lastPort = port;
      }
    }
  }
}
