package io.dyups.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Readers finding and picking while writers replace and delete. Every update writes servers that all carry one
 * generation in their port, so a reader can tell a snapshot that mixes two updates.
 */
class RegistryConcurrencyTest {
  private static final int NAMES = 4;

  private static String commands(int generation, int servers) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < servers; i++) {
      out.append("server 10.0.").append(i).append(".1:").append(1000 + generation % 60000).append(';');
    }
    return out.toString();
  }

  @Test
  void readersNeverSeeAHalfAppliedUpstreamAndCountersReturnToZero() throws Exception {
    UpstreamRegistry registry = UpstreamRegistry.builder().build();
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong picks = new AtomicLong();
    AtomicLong writes = new AtomicLong();
    Set<Peer> seen = ConcurrentHashMap.newKeySet();
    ExecutorService executor = Executors.newFixedThreadPool(8);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<?>> tasks = new ArrayList<>();
    for (int w = 0; w < 2; w++) {
      int writer = w;
      tasks.add(executor.submit(() -> {
        start.await();
        for (int generation = 1; !stop.get(); generation++) {
          String name = "u" + (generation + writer) % NAMES;
          if (generation % 7 == 0) {
            registry.deleteUpstream(name);
          } else {
            assertThat(registry.updateUpstream(name, commands(generation, 1 + generation % 5)).status())
                .isEqualTo(200);
          }
          writes.incrementAndGet();
        }
        return null;
      }));
    }
    for (int r = 0; r < 6; r++) {
      tasks.add(executor.submit(() -> {
        PeerSelection selection = new PeerSelection();
        start.await();
        while (!stop.get()) {
          for (int n = 0; n < NAMES; n++) {
            Upstream upstream = registry.find("u" + n);
            if (upstream == null) {
              continue;
            }
            int port = upstream.definition().servers().get(0).address().port();
            assertThat(upstream.definition().servers()).allMatch(s -> s.address().port() == port);
            assertThat(upstream.peers().asList()).hasSize(upstream.definition().servers().size());
            selection.start(upstream.peers(), null, null);
            Peer peer = selection.next();
            assertThat(peer).isNotNull();
            assertThat(peer.address().port()).isEqualTo(port);
            seen.add(peer);
            selection.succeeded();
            picks.incrementAndGet();
          }
        }
        return null;
      }));
    }
    start.countDown();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
    while (System.nanoTime() < deadline && picks.get() < 200_000) {
      Thread.sleep(20);
    }
    stop.set(true);
    for (Future<?> task : tasks) {
      task.get(30, TimeUnit.SECONDS);
    }
    executor.shutdown();

    assertThat(picks.get()).isGreaterThan(1000);
    assertThat(writes.get()).isGreaterThan(100);
    assertThat(seen).allMatch(peer -> peer.activeConnections() == 0);
  }

  @Test
  void aChangeIsVisibleToAnotherThreadWhenUpdateReturns() throws Exception {
    UpstreamRegistry registry = UpstreamRegistry.builder().build();
    ExecutorService reader = Executors.newSingleThreadExecutor();
    try {
      for (int i = 1; i <= 500; i++) {
        assertThat(registry.updateUpstream("u", commands(i, 1)).status()).isEqualTo(200);
        int expected = 1000 + i;
        int seen = reader.submit(() -> registry.find("u").definition().servers().get(0).address().port())
            .get(10, TimeUnit.SECONDS);
        assertThat(seen).isEqualTo(expected);
      }
    } finally {
      reader.shutdown();
    }
  }
}
