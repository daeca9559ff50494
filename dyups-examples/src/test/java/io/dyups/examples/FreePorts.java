package io.dyups.examples;

import java.io.BufferedReader;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Ports for tests whose configuration must name a port before the proxy binds it (the seed's echo servers are
 * named by port in its upstream file, a port no one listens on is the "connection refused" backend).
 *
 * <p>A port asked of the kernel with bind(0) and closed again is free only for a moment: the kernel may hand it
 * to the next bind(0) or connect() of any process, such as the other surefire fork of this module, before the
 * proxy binds it. So the ports come from below the kernel's ephemeral range (which bind(0) and connect() draw
 * from), each surefire fork from its own slice (the fork number is {@code dyups.test.fork}, set by the parent
 * POM), in turn from a random start, each checked free when handed out. A slice comes round again only after a
 * thousand ports: the test that had a port then has long finished.
 */
final class FreePorts {
  private static final int SLICE = 1000;
  // Fork N's slice starts at BASE + N * SLICE; a run outside surefire is fork 0. Surefire numbers the forks alive at
  // once across the whole build (modules built side by side share the numbers: 1 to 6 with three modules of two
  // forks), so no two live forks share a slice.
  private static final int BASE = 10_000;
  private static final int FIRST = firstOfSlice();
  private static int next = ThreadLocalRandom.current().nextInt(SLICE);

  private FreePorts() {}

  /** A port no socket of this host is bound to now, not among the last thousand this JVM handed out. */
  static synchronized int next() throws IOException {
    if (FIRST < 0) {
      return ephemeral();
    }
    for (int tries = 0; tries < SLICE; tries++) {
      int port = FIRST + next;
      next = (next + 1) % SLICE;
      if (isFree(port)) {
        return port;
      }
    }
    throw new IOException("no free port in " + FIRST + "-" + (FIRST + SLICE - 1));
  }

  private static boolean isFree(int port) {
    try (ServerSocket socket = new ServerSocket()) {
      socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Where a kernel without room below its ephemeral range leaves us: a port it chose (may race, as said). */
  private static int ephemeral() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  /** The first port of this fork's slice, or -1 when the slices would overlap the ephemeral range. */
  private static int firstOfSlice() {
    int fork;
    try {
      fork = Integer.parseInt(System.getProperty("dyups.test.fork", "0"));
    } catch (NumberFormatException e) {
      fork = 0;
    }
    int first = BASE + Math.max(fork, 0) * SLICE;
    return first + SLICE <= ephemeralLow() ? first : -1;
  }

  private static int ephemeralLow() {
    // Read by lines: /proc files say they are empty, and a read sized by that stops early.
    try (BufferedReader reader = Files.newBufferedReader(Path.of("/proc/sys/net/ipv4/ip_local_port_range"))) {
      return Integer.parseInt(String.valueOf(reader.readLine()).trim().split("\\s+")[0]);
    } catch (IOException | RuntimeException e) {
      return 32_768;
    }
  }
}
