package io.dyups.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client that stalls while the proxy streams it a listing holds the writer, not the whole listing: a listing of
 * about 36 MB, far larger than what the socket buffers take before the writer must wait (a few MB), so a listing
 * made whole would show in the allocation and a streamed one does not. The listing's size is what counts here, not
 * its count: 10 000 upstreams (past the 4 096 servers from which the handler streams) whose names are 255 bytes
 * long and whose hash key is 3 000 bytes (under nginx's 4 096-byte limit on a parameter) make it with a tenth of the
 * peers 100 000 one-line upstreams took, and the proxy's start (Micrometer meters are registered per peer) in
 * seconds instead of most of a minute.
 */
class AdminStreamingStallTest {
  private static final int UPSTREAMS = 10_000;
  private static final String NAME_PREFIX = "u".repeat(250);
  private static final String HASH = "hash " + "k".repeat(3000) + "; ";

  @TempDir static Path prefix;
  private static ProxyServer proxy;
  private static int admin;

  @BeforeAll
  static void start() throws Exception {
    admin = ProxyScenarioTest.freePort();
    proxy = AdminStreamingProxyTest.startWith(prefix, admin, UPSTREAMS, NAME_PREFIX, HASH);
  }

  @AfterAll
  static void stop() {
    if (proxy != null) {
      proxy.close();
    }
  }

  /**
   * A client that reads the head and stops: the proxy writes until the connection's buffers are full and then
   * waits, having allocated less than the listing's size (made whole, the listing would be allocated at least
   * twice, the growing buffer and its copy, before its first byte left; streamed, about what the socket buffers
   * took). Then the client goes, and the writer lets go.
   */
  @Test
  void aClientThatStopsReadingHoldsTheWriterNotTheWholeListing() throws Exception {
    int size = AdminStreamingProxyTest.handlerAnswer(proxy, "/detail?format=json").length;
    assertThat(size).as("the listing's bytes, against the few MB the socket buffers take").isGreaterThan(30_000_000);
    long before = allocatedByAllThreads();
    try (Socket stalled = new Socket()) {
      stalled.setReceiveBufferSize(4096);
      stalled.connect(new InetSocketAddress("127.0.0.1", admin));
      stalled.getOutputStream().write("GET /detail?format=json HTTP/1.1\r\nHost: x\r\n\r\n"
          .getBytes(StandardCharsets.US_ASCII));
      byte[] first = stalled.getInputStream().readNBytes(1024);
      assertThat(new String(first, StandardCharsets.ISO_8859_1)).startsWith("HTTP/1.1 200 ")
          .containsIgnoringCase("Transfer-Encoding: chunked");

      awaitWriterWaiting();
      long allocated = allocatedByAllThreads() - before;
      System.out.println("listing " + size + " bytes; allocated by the proxy (all threads) while the client stalled: "
          + allocated + " bytes");
      assertThat(allocated).as("bytes allocated, against a listing of %d bytes", size).isLessThan(size);
    }
    awaitNoWriterWaiting();
  }

  /** Waits until an admin stream thread waits for its client to take what it wrote. */
  private static void awaitWriterWaiting() throws InterruptedException {
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (!writerWaiting()) {
      assertThat(System.nanoTime()).as("an admin stream waiting for its client").isLessThan(deadline);
      Thread.sleep(10);
    }
  }

  private static void awaitNoWriterWaiting() throws InterruptedException {
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (writerWaiting()) {
      assertThat(System.nanoTime()).as("the admin stream let go of its client").isLessThan(deadline);
      Thread.sleep(10);
    }
  }

  private static boolean writerWaiting() {
    for (Map.Entry<Thread, StackTraceElement[]> thread : Thread.getAllStackTraces().entrySet()) {
      if (thread.getKey().getName().startsWith("dyups-admin-stream-")
          && Arrays.stream(thread.getValue()).anyMatch(frame -> frame.getClassName().equals(
              AdminBodyStream.class.getName()) && frame.getMethodName().equals("send"))
          && thread.getKey().getState() == Thread.State.TIMED_WAITING) {
        return true;
      }
    }
    return false;
  }

  /** Bytes allocated so far by the threads alive now (HotSpot counts them per thread). */
  private static long allocatedByAllThreads() {
    com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long total = 0;
    for (long bytes : threads.getThreadAllocatedBytes(threads.getAllThreadIds())) {
      total += Math.max(0, bytes);
    }
    return total;
  }

}
