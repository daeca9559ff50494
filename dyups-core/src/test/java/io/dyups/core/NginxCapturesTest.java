package io.dyups.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * dyups beside sequences captured from nginx 1.22.1 (src/test/resources/nginx, with how they were captured),
 * through the public API.
 */
class NginxCapturesTest {
  /** A wall clock the test sets. */
  private static final class SetClock implements InstantSource {
    long millis;

    @Override
    public Instant instant() {
      return Instant.ofEpochMilli(millis);
    }
  }

  private static List<String> lines(String resource) throws IOException {
    try (InputStream in = Objects.requireNonNull(NginxCapturesTest.class.getResourceAsStream("/nginx/" + resource),
        resource)) {
      List<String> lines = new ArrayList<>();
      for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
        if (!line.isBlank() && !line.startsWith("#")) {
          lines.add(line.trim());
        }
      }
      return lines;
    }
  }

  /**
   * Two servers that refuse connections, a request every 100 ms: nginx tries both once, then answers every request
   * at once without a connection attempt until fail_timeout (3 s) has passed in whole seconds of wall-clock time
   * (the failures at 844.863 s come back at 848.0 s, 3.15 s later), and so on. The same requests at the same
   * wall-clock times, each failure reported, try the same servers in the same order.
   */
  @Test
  void whenEveryPeerFailsRequestsTryTheServersNginxTriedWhenNginxTriedThem() throws IOException {
    SetClock clock = new SetClock();
    UpstreamRegistry registry = UpstreamRegistry.builder().clock(clock).workers(1).build();
    registry.updateUpstream("refused",
        "server 127.0.0.1:21991 max_fails=1 fail_timeout=3s; server 127.0.0.1:21992 max_fails=1 fail_timeout=3s;");
    PeerSelection selection = new PeerSelection();
    List<String> captured = lines("all-failed.log");
    int attempted = 0;
    for (String line : captured) {
      // 1796057844.863 502 "127.0.0.1:21991, 127.0.0.1:21992"
      String[] fields = line.split(" ", 3);
      clock.millis = Math.round(Double.parseDouble(fields[0]) * 1000);
      String tried = fields[2].substring(1, fields[2].length() - 1);
      String expected = tried.equals("refused") ? "" : tried;

      selection.start(registry.find("refused").peers(), null, null);
      List<String> actual = new ArrayList<>();
      for (Peer peer = selection.next(); peer != null; peer = selection.next()) {
        actual.add(peer.toString());
        selection.failed();
      }

      assertThat(String.join(", ", actual)).as("request at %s", fields[0]).isEqualTo(expected);
      attempted += actual.isEmpty() ? 0 : 1;
    }
    assertThat(captured).hasSizeGreaterThan(80);
    assertThat(attempted).as("requests that tried the servers").isEqualTo(3);
    registry.close();
  }

  private static long[] counts(String resource) throws IOException {
    long[] counts = new long[4];
    for (String line : lines(resource)) {
      // 280 "127.0.0.1:21911"
      String[] fields = line.split(" +");
      counts[fields[1].charAt(fields[1].length() - 2) - '1'] = Long.parseLong(fields[0]);
    }
    return counts;
  }

  /**
   * nginx's counts over 2000 requests fit the distribution of its rule (two different peers drawn by weight, the
   * second kept on a tie), which BalancingTest checks dyups against; and dyups's counts over 20 000 requests fit
   * nginx's counts (a chi-square test of two samples).
   */
  @ParameterizedTest
  @CsvSource({"random-two.txt,random two", "random-two-least-conn.txt,random two least_conn"})
  void randomTwoPicksAsOftenAsNginxPicked(String resource, String method) throws IOException {
    long[] nginx = counts(resource);
    assertThat(BalancingTest.chiSquareOneInAMillion(nginx,
        BalancingTest.randomTwoDistribution(new int[] {1, 2, 3, 4}, new int[4]), 2000)).isTrue();

    UpstreamRegistry registry = UpstreamRegistry.builder().workers(1).build();
    registry.updateUpstream("two", method + "; server 127.0.0.1:21911 weight=1; server 127.0.0.1:21912 weight=2;"
        + "server 127.0.0.1:21913 weight=3; server 127.0.0.1:21914 weight=4;");
    PeerSelection selection = new PeerSelection();
    long[] dyups = new long[4];
    for (int i = 0; i < 20_000; i++) {
      selection.start(registry.find("two").peers(), null, null);
      dyups[selection.next().address().port() - 21911]++;
      selection.succeeded();
    }
    registry.close();

    assertThat(twoSamplesAlike(nginx, dyups)).as("nginx %s, dyups %s", java.util.Arrays.toString(nginx),
        java.util.Arrays.toString(dyups)).isTrue();
  }

  /**
   * nginx's round robin and least_conn over 1 000 servers (large-servers.conf: weights 1-5, and three of weight 10
   * that refuse connections, {@code max_fails=5 fail_timeout=600s}), 7 000 sequential requests: each request tries
   * the servers nginx tried, in nginx's order, through the lanes; the refusing servers lose effective weight with
   * each failure, recover it pick by pick, are retried past and finally stay out.
   */
  @ParameterizedTest(name = "{0}")
  @CsvSource({"large-round-robin.txt,''", "large-least-conn.txt,least_conn;"})
  void largeUpstreamsTryTheServersNginxTriedInItsOrder(String resource, String method) throws IOException {
    UpstreamRegistry registry = UpstreamRegistry.builder().workers(1).build();
    assertThat(registry.updateUpstream("large", method + String.join("\n", lines("large-servers.conf"))).isSuccess())
        .isTrue();
    Upstream upstream = Objects.requireNonNull(registry.find("large"));
    Map<Peer, Integer> index = new IdentityHashMap<>();
    for (Peer peer : upstream.peers().asList()) {
      index.put(peer, index.size());
    }
    assertThat(index).hasSize(1000);
    List<String> captured = lines(resource);
    PeerSelection selection = new PeerSelection();
    for (int r = 0; r < captured.size(); r++) {
      selection.start(upstream.peers(), null, null);
      List<String> tried = new ArrayList<>();
      for (Peer peer = selection.next(); peer != null; peer = selection.next()) {
        tried.add(String.valueOf(index.get(peer)));
        if (peer.address().port() == 22402) {
          selection.failed();
        } else {
          selection.succeeded();
          break;
        }
      }
      assertThat(String.join(" ", tried)).as("request %d", r + 1).isEqualTo(captured.get(r));
    }
    assertThat(captured).hasSize(7000);
    assertThat(upstream.peers().worker(0).lanesLoaded).as("picked by lanes").isTrue();
    registry.close();
  }

  /** A chi-square test that two samples of counts come from one distribution, failing once in a million runs. */
  private static boolean twoSamplesAlike(long[] a, long[] b) {
    long totalA = 0;
    long totalB = 0;
    for (int i = 0; i < a.length; i++) {
      totalA += a[i];
      totalB += b[i];
    }
    double sum = 0;
    for (int i = 0; i < a.length; i++) {
      double cell = a[i] + b[i];
      double expectedA = cell * totalA / (totalA + totalB);
      double expectedB = cell * totalB / (totalA + totalB);
      sum += (a[i] - expectedA) * (a[i] - expectedA) / expectedA + (b[i] - expectedB) * (b[i] - expectedB) / expectedB;
    }
    // Three degrees of freedom, exceeded with probability 10^-6.
    return sum < 30.66;
  }
}
