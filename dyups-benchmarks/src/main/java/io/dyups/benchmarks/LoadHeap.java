package io.dyups.benchmarks;

import io.dyups.core.UpstreamRegistry;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The heap a registry needs to load its persistence file, against the heap it holds once loaded: how much room a
 * state that was accepted needs to load again at the next start. Peak is the sum of the heap pools' peak use while
 * {@code build()} runs (garbage included, as the collector saw it); held is the heap in use after a full GC.
 *
 * <p>Usage: {@code java -Xmx4g -cp benchmarks.jar io.dyups.benchmarks.LoadHeap [upstreams] [servers]} (default 100,000
 * upstreams of 4 servers).
 */
public final class LoadHeap {
  private LoadHeap() {}

  public static void main(String[] args) throws Exception {
    int upstreams = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
    int servers = args.length > 1 ? Integer.parseInt(args[1]) : 4;
    Path dir = Files.createTempDirectory("dyups-loadheap");
    Path file = dir.resolve("upstream.conf");
    try {
      // Written by a registry, as a restart finds it: folded, with versions.
      Files.writeString(file, Configs.upstreamConf(upstreams, servers));
      UpstreamRegistry.builder().persistenceFile(file).build().close();
      long fileBytes = Files.size(file);
      long before = settledHeap();
      for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
        pool.resetPeakUsage();
      }
      long start = System.nanoTime();
      UpstreamRegistry registry = UpstreamRegistry.builder().persistenceFile(file)
          .maxUpstreams(Math.max(upstreams, UpstreamRegistry.DEFAULT_MAX_UPSTREAMS)).build();
      long millis = (System.nanoTime() - start) / 1_000_000;
      long peak = 0;
      for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
        if (pool.getType() == MemoryType.HEAP) {
          peak += pool.getPeakUsage().getUsed();
        }
      }
      long held = settledHeap() - before;
      System.out.printf("load heap: %,d upstreams x %d servers, file %,d MB, loaded in %,d ms: peak %,d MB while"
          + " loading, %,d MB held after (%.1fx)%n", registry.size(), servers, fileBytes >> 20, millis,
          (peak - before) >> 20, held >> 20, (double) (peak - before) / held);
      registry.close();
    } finally {
      try (var entries = Files.list(dir)) {
        for (Path entry : entries.toList()) {
          Files.delete(entry);
        }
      }
      Files.delete(dir);
    }
  }

  private static long settledHeap() {
    Runtime runtime = Runtime.getRuntime();
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return runtime.totalMemory() - runtime.freeMemory();
  }
}
