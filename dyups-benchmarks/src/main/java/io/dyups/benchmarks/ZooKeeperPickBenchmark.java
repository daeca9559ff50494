package io.dyups.benchmarks;

import io.dyups.core.Peer;
import io.dyups.core.PeerSelection;
import io.dyups.core.UpstreamRegistry;
import io.dyups.zookeeper.ZooKeeperStore;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.concurrent.TimeUnit;
import org.apache.curator.test.TestingServer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The request path of {@link PickBenchmark}'s {@code pick} (round robin over the same 10 weighted servers) on a
 * registry whose upstreams come from ZooKeeper (a server in this JVM), while another registry on the same
 * ZooKeeper changes an unrelated upstream every millisecond: the store adds nothing to a pick. Run beside
 * {@code PickBenchmark.pick -p method=round_robin} with {@code -prof gc}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Benchmark)
// As PickBenchmark: the upstream exists from setUp on, and a null check in the measured code would be measured too.
@SuppressWarnings("NullAway")
public class ZooKeeperPickBenchmark {
  TestingServer server;
  UpstreamRegistry registry;
  UpstreamRegistry writer;
  Thread churn;
  volatile boolean running = true;

  @Setup
  public void setUp() throws Exception {
    server = new TestingServer(true);
    registry = UpstreamRegistry.builder()
        .store(ZooKeeperStore.builder(server.getConnectString()).build()).build();
    writer = UpstreamRegistry.builder()
        .store(ZooKeeperStore.builder(server.getConnectString()).build()).build();
    PickBenchmark.check(writer.updateUpstream("bench", PickBenchmark.servers(10, "1-5")));
    while (registry.find("bench") == null) {
      Thread.sleep(1);
    }
    churn = new Thread(() -> {
      int i = 0;
      while (running) {
        writer.updateUpstream("other", "server 10.0.0." + (i++ % 250 + 1) + ":80;");
        try {
          Thread.sleep(1);
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "churn");
    churn.setDaemon(true);
    churn.start();
  }

  @TearDown
  public void tearDown() throws Exception {
    running = false;
    churn.join();
    registry.close();
    writer.close();
    server.close();
  }

  /** What one thread carries from request to request. */
  @State(Scope.Thread)
  public static class Request {
    final PeerSelection selection = new PeerSelection();
    final InetAddress[] clients = new InetAddress[64];
    int next;

    @Setup
    public void setUp() throws UnknownHostException {
      for (int i = 0; i < clients.length; i++) {
        clients[i] = InetAddress.getByAddress(new byte[] {10, 0, (byte) i, (byte) (7 * i)});
      }
    }
  }

  @Benchmark
  public Peer pick(Request request) {
    int i = request.next++ & 63;
    PeerSelection selection = request.selection.start(registry.find("bench").peers(), request.clients[i], null);
    Peer peer = selection.next();
    selection.succeeded();
    return peer;
  }
}
