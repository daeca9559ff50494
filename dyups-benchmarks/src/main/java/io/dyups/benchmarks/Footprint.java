package io.dyups.benchmarks;

import io.dyups.core.PeerSelection;
import io.dyups.core.Upstream;
import io.dyups.core.UpstreamRegistry;
import io.dyups.parser.NginxConfig;
import io.dyups.parser.UpstreamBlock;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.ref.Reference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Heap retained per parsed server: the used heap after full collections with the result held, less the used heap
 * without it, over the number of servers, for an upstream.conf of 100 000 upstreams of 4 servers. Measures the
 * directive tree ({@code NginxConfig}), the typed model ({@code List<UpstreamBlock>}, the tree dropped) and a
 * loaded registry (model plus live peers), and what one worker's balancing state adds once it picks from every
 * upstream; then the same for upstreams of 10 000 servers, which pick by lanes.
 *
 * <p>Not a JMH benchmark (JMH measures time and allocation, not what stays reachable). Run with
 * {@code java -cp benchmarks.jar -Xmx3g io.dyups.benchmarks.Footprint}.
 */
public final class Footprint {
  private static final int UPSTREAMS = 100_000;
  private static final int SERVERS = 4;
  // Upstreams of 10 000 servers, as many as make 400 000 servers in all.
  private static final int LARGE = 10_000;
  private static final int LARGE_UPSTREAMS = 40;

  private Footprint() {}

  public static void main(String[] args) throws IOException {
    String text = Configs.upstreamConf(UPSTREAMS, SERVERS);
    Path file = Files.createTempFile("dyups-footprint-", ".conf");
    try {
      Files.writeString(file, text);
      int servers = UPSTREAMS * SERVERS;
      long base = usedAfterGc();

      NginxConfig tree = NginxConfig.parse(text, "upstream.conf");
      long withTree = usedAfterGc();
      List<UpstreamBlock> model = tree.upstreams();
      tree = null;
      long withModel = usedAfterGc();
      print("directive tree (NginxConfig)", withTree - base, servers);
      print("upstream model (List<UpstreamBlock>)", withModel - base, servers);
      keep(model);
      model = null;

      long beforeRegistry = usedAfterGc();
      UpstreamRegistry registry = UpstreamRegistry.builder().load(file).build();
      long withRegistry = usedAfterGc();
      print("registry (model + peers)", withRegistry - beforeRegistry, servers);
      keep(registry);
      registry.close();
      registry = null;

      // A worker's balancing state is made when it first picks from an upstream: one pick from every upstream
      // on a registry of one worker gives what each worker that uses an upstream adds.
      long beforeUnpicked = usedAfterGc();
      UpstreamRegistry picked = UpstreamRegistry.builder().workers(1).load(file).build();
      long unpicked = usedAfterGc();
      // An upstream's peers are made at its first peers() (usually its first pick): the registry with every
      // group's peers made, then what a worker's state adds to that.
      for (Upstream upstream : picked.detail()) {
        keep(upstream.peers());
      }
      long withPeers = usedAfterGc();
      PeerSelection selection = new PeerSelection();
      for (Upstream upstream : picked.detail()) {
        selection.start(upstream.peers(), null, null);
        if (selection.next() != null) {
          selection.succeeded();
        }
      }
      long withWorker = usedAfterGc();
      print("registry, 1 worker, nothing picked", unpicked - beforeUnpicked, servers);
      print("registry, every group's peers made", withPeers - beforeUnpicked, servers);
      print("one worker's state, each upstream picked", withWorker - withPeers, servers);
      keep(picked);
      picked.close();
      picked = null;

      // A large upstream picks by lanes (round robin and least_conn): what one worker's state adds per server there.
      for (String method : new String[] {"round_robin", "least_conn"}) {
        long beforeLarge = usedAfterGc();
        UpstreamRegistry large = UpstreamRegistry.builder().workers(1).build();
        for (int u = 0; u < LARGE_UPSTREAMS; u++) {
          large.updateUpstream("large" + u, PickBenchmark.directive(method) + PickBenchmark.servers(LARGE, "1-5"));
        }
        // Their peers made first (as before peers were made on first use), so that the next row is the worker's.
        for (Upstream upstream : large.detail()) {
          keep(upstream.peers());
        }
        long largeUnpicked = usedAfterGc();
        for (Upstream upstream : large.detail()) {
          selection.start(upstream.peers(), null, null);
          if (selection.next() != null) {
            selection.succeeded();
          }
        }
        long largePicked = usedAfterGc();
        int largeServers = LARGE_UPSTREAMS * LARGE;
        print("large registry (" + method + "), 1 worker", largeUnpicked - beforeLarge, largeServers);
        print("one worker's state, " + LARGE + "-server upstreams", largePicked - largeUnpicked, largeServers);
        keep(large);
        large.close();
      }
    } finally {
      Files.delete(file);
    }
  }

  // Keeps the object reachable up to here, whatever the JIT sees; called once its heap has been measured.
  @SuppressWarnings("ReachabilityFenceUsage")
  private static void keep(Object object) {
    Reference.reachabilityFence(object);
  }

  private static void print(String what, long bytes, int servers) {
    System.out.printf("%-40s %,12d bytes  %6.1f B/server%n", what, bytes, (double) bytes / servers);
  }

  private static long usedAfterGc() {
    long used = Long.MAX_VALUE;
    for (int i = 0; i < 5; i++) {
      System.gc();
      long now = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
      used = Math.min(used, now);
    }
    return used;
  }
}
