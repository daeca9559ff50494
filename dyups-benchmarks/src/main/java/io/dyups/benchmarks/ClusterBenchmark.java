package io.dyups.benchmarks;

import io.dyups.core.Result;
import io.dyups.core.Upstream;
import io.dyups.core.UpstreamChange;
import io.dyups.core.UpstreamRegistry;
import io.dyups.zookeeper.ZooKeeperStore;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.curator.test.TestingServer;

/**
 * Registries kept in agreement through ZooKeeper (one server in this JVM, curator-test's {@code TestingServer}), each
 * registry with its own Curator client:
 *
 * <ul>
 *   <li>{@code propagation [updates]}: instance A updates one of 10 upstreams at a time, 10,000 times; for each
 *       acknowledged update, the time until B and C applied it (or a later version of the same upstream): p50, p99,
 *       max.
 *   <li>{@code throughput [seconds]}: unconditional updates per second from 8 threads through one instance, then
 *       through three (the threads spread over them), each thread on upstreams of its own.
 *   <li>{@code coldstart [upstreams]}: ZooKeeper is seeded with 100,000 upstreams of 4 servers, then a new JVM
 *       builds a registry on it; the time from its start to {@code build()} returning with every upstream.
 * </ul>
 *
 * <p>Usage: {@code java -cp benchmarks.jar io.dyups.benchmarks.ClusterBenchmark PART [ARG]}.
 */
public final class ClusterBenchmark {
  private ClusterBenchmark() {}

  public static void main(String[] args) throws Exception {
    String part = args.length > 0 ? args[0] : "propagation";
    switch (part) {
      case "propagation" -> propagation(args.length > 1 ? Integer.parseInt(args[1]) : 10_000);
      case "throughput" -> throughput(args.length > 1 ? Integer.parseInt(args[1]) : 10);
      case "coldstart" -> coldStart(args.length > 1 ? Integer.parseInt(args[1]) : 100_000);
      case "join" -> join(args[1], Integer.parseInt(args[2]));
      default -> throw new IllegalArgumentException("unknown part " + part);
    }
  }

  private static UpstreamRegistry registry(String connect, UpstreamRegistry.Builder builder) {
    return builder.store(ZooKeeperStore.builder(connect).startTimeout(Duration.ofMinutes(2)).build()).build();
  }

  private static void check(Result result) {
    if (!result.isSuccess()) {
      throw new IllegalStateException(result.toString());
    }
  }

  /** When each instance applied each version, by upstream. */
  private static final class Arrivals {
    final Map<String, List<long[]>> byName = new ConcurrentHashMap<>();

    void record(UpstreamChange change) {
      long now = System.nanoTime();
      Upstream current = change.current();
      if (current != null) {
        byName.computeIfAbsent(change.name(), n -> java.util.Collections.synchronizedList(new ArrayList<>()))
            .add(new long[] {current.version(), now});
      }
    }

    /** When the first version at least {@code version} of {@code name} arrived, or -1. */
    long arrival(String name, long version) {
      List<long[]> list = byName.get(name);
      if (list == null) {
        return -1;
      }
      synchronized (list) {
        for (long[] arrival : list) {
          if (arrival[0] >= version) {
            return arrival[1];
          }
        }
      }
      return -1;
    }
  }

  @SuppressWarnings("try") // b and c are held open for their listeners
  static void propagation(int updates) throws Exception {
    try (TestingServer server = new TestingServer(true)) {
      Arrivals onB = new Arrivals();
      Arrivals onC = new Arrivals();
      try (UpstreamRegistry a = registry(server.getConnectString(), UpstreamRegistry.builder());
          UpstreamRegistry b = registry(server.getConnectString(), UpstreamRegistry.builder().listener(onB::record));
          UpstreamRegistry c = registry(server.getConnectString(), UpstreamRegistry.builder().listener(onC::record))) {
        // Warm-up: the same work, not measured.
        run(a, 2_000, new long[2_000][], new String[2_000]);
        long[][] acks = new long[updates][];
        String[] names = new String[updates];
        run(a, updates, acks, names);
        Thread.sleep(2_000);
        long[] latencies = new long[updates * 2];
        int n = 0;
        int missing = 0;
        for (int i = 0; i < updates; i++) {
          for (Arrivals arrivals : List.of(onB, onC)) {
            long at = arrivals.arrival(names[i], acks[i][0]);
            if (at < 0) {
              missing++;
            } else {
              latencies[n++] = Math.max(0, at - acks[i][1]);
            }
          }
        }
        long[] sorted = Arrays.copyOf(latencies, n);
        Arrays.sort(sorted);
        System.out.printf("propagation: %,d updates acknowledged on A, applied on B and C: p50 %.2f ms, p99 %.2f ms,"
            + " max %.2f ms (%d never seen)%n", updates, ms(sorted[n / 2]), ms(sorted[(int) (n * 0.99)]),
            ms(sorted[n - 1]), missing);
      }
    }
  }

  private static void run(UpstreamRegistry a, int updates, long[][] acks, String[] names) {
    for (int i = 0; i < updates; i++) {
      String name = "p" + (i % 10);
      Result result = a.updateUpstream(name, "server 10.0." + (i / 250 % 250) + "." + (i % 250 + 1) + ":80;");
      check(result);
      acks[i] = new long[] {result.version(), System.nanoTime()};
      names[i] = name;
    }
  }

  private static double ms(long nanos) {
    return nanos / 1e6;
  }

  static void throughput(int seconds) throws Exception {
    try (TestingServer server = new TestingServer(true)) {
      List<UpstreamRegistry> registries = new ArrayList<>();
      try {
        for (int i = 0; i < 3; i++) {
          registries.add(registry(server.getConnectString(), UpstreamRegistry.builder()));
        }
        for (int instances : new int[] {1, 3}) {
          measure(registries.subList(0, instances), 8, 2);
          double rate = measure(registries.subList(0, instances), 8, seconds);
          System.out.printf("throughput: %,.0f updates/s through %d instance%s (8 threads)%n", rate, instances,
              instances == 1 ? "" : "s");
        }
        double single = measure(registries.subList(0, 1), 1, seconds);
        System.out.printf("throughput: %,.0f updates/s from 1 thread through 1 instance (%.2f ms per update)%n",
            single, 1000 / single);
      } finally {
        for (UpstreamRegistry registry : registries) {
          registry.close();
        }
      }
    }
  }

  private static double measure(List<UpstreamRegistry> registries, int threads, int seconds)
      throws InterruptedException {
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicLong done = new AtomicLong();
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      UpstreamRegistry registry = registries.get(t % registries.size());
      String name = "t" + t;
      workers.add(new Thread(() -> {
        int i = 0;
        while (running.get()) {
          check(registry.updateUpstream(name, "server 10.1." + (i / 250 % 250) + "." + (i % 250 + 1) + ":80;"));
          i++;
          done.incrementAndGet();
        }
      }));
    }
    long start = System.nanoTime();
    workers.forEach(Thread::start);
    Thread.sleep(seconds * 1000L);
    running.set(false);
    for (Thread worker : workers) {
      worker.join();
    }
    return done.get() / ((System.nanoTime() - start) / 1e9);
  }

  static void coldStart(int upstreams) throws Exception {
    Path dir = Files.createTempDirectory("dyups-coldstart");
    Path conf = dir.resolve("upstream.conf");
    Files.writeString(conf, Configs.upstreamConf(upstreams, 4));
    try (TestingServer server = new TestingServer(true)) {
      long seedStart = System.nanoTime();
      try (UpstreamRegistry seeder = registry(server.getConnectString(), UpstreamRegistry.builder().load(conf)
          .maxUpstreams(Math.max(upstreams, UpstreamRegistry.DEFAULT_MAX_UPSTREAMS)))) {
        System.out.printf("coldstart: seeding ZooKeeper with %,d upstreams x 4 servers took %.1f s%n",
            seeder.size(), (System.nanoTime() - seedStart) / 1e9);
        Files.delete(conf);
        for (int round = 0; round < 3; round++) {
          String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
          Process joiner = new ProcessBuilder(java, "-Xmx2g", "-cp", System.getProperty("java.class.path"),
              ClusterBenchmark.class.getName(), "join", server.getConnectString(), Integer.toString(upstreams))
              .redirectErrorStream(true).start();
          try (BufferedReader out = new BufferedReader(
              new InputStreamReader(joiner.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = out.readLine(); line != null; line = out.readLine()) {
              System.out.println(line);
            }
          }
          joiner.waitFor();
        }
      }
    } finally {
      Files.deleteIfExists(conf);
      Files.delete(dir);
    }
  }

  /** In a new JVM: builds a registry on ZooKeeper and says how long it took to hold every upstream. */
  static void join(String connect, int upstreams) {
    long start = System.nanoTime();
    try (UpstreamRegistry joiner = registry(connect, UpstreamRegistry.builder())) {
      long built = System.nanoTime();
      if (joiner.size() != upstreams) {
        throw new IllegalStateException("joined with " + joiner.size() + " upstreams, not " + upstreams);
      }
      Runtime runtime = Runtime.getRuntime();
      System.gc();
      System.out.printf("coldstart: a new JVM joined with %,d upstreams x 4 servers in %.2f s (heap held %,d MB)%n",
          joiner.size(), (built - start) / 1e9, (runtime.totalMemory() - runtime.freeMemory()) >> 20);
    }
  }
}
