package io.dyups.core;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@link HostResolver#system()}: {@link InetAddress#getAllByName} on a few daemon threads, so that a caller that
 * asks for many names waits for the slowest, not for their sum. The JDK gives no TTL and cannot tell a name that
 * does not exist from a lookup that failed, so every miss is {@link HostResolver.Status#FAILED}: a name with
 * {@code resolve} keeps its last addresses, as nginx keeps them when its resolver gets no answer.
 */
final class SystemHostResolver implements HostResolver {
  private static final int THREADS = 4;
  private static final AtomicInteger POOLS = new AtomicInteger();

  private final ThreadPoolExecutor executor;

  SystemHostResolver() {
    int pool = POOLS.incrementAndGet();
    AtomicInteger threads = new AtomicInteger();
    executor = new ThreadPoolExecutor(THREADS, THREADS, 10, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), task -> {
      Thread thread = new Thread(task, "dyups-system-resolver-" + pool + "-" + threads.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    });
    executor.allowCoreThreadTimeOut(true);
  }

  @Override
  public CompletableFuture<Answer> lookUpAddresses(Query query) {
    try {
      return CompletableFuture.supplyAsync(() -> lookUp(query), executor);
    } catch (RejectedExecutionException e) {
      return CompletableFuture.completedFuture(Answer.failed("the resolver is closed"));
    }
  }

  private static Answer lookUp(Query query) {
    InetAddress[] all;
    try {
      all = InetAddress.getAllByName(query.name());
    } catch (UnknownHostException e) {
      return Answer.failed("Host not found");
    } catch (RuntimeException e) {
      return Answer.failed(String.valueOf(e.getMessage()));
    }
    List<InetAddress> kept = new ArrayList<>(all.length);
    for (InetAddress address : all) {
      if ((address instanceof Inet4Address && query.ipv4()) || (address instanceof Inet6Address && query.ipv6())) {
        kept.add(address);
      }
    }
    return kept.isEmpty() ? Answer.failed("Host not found") : Answer.addresses(kept, null);
  }

  @Override
  public CompletableFuture<Answer> lookUpService(Query query) {
    return CompletableFuture.completedFuture(Answer.failed(
        "the JDK's resolver cannot look up SRV records: give the registry a DNS client (dyups-dns)"));
  }

  @Override
  public void close() {
    executor.shutdownNow();
  }
}
