package io.dyups.parser;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;

/**
 * A host written in several upstreams of one read is one String ({@link SharedHosts}), and a shared host is always
 * the text that was written, whatever shares its slot.
 */
class SharedHostsTest {
  @Test
  void aHostWrittenInTwoUpstreamsOfOneReadIsOneString() {
    List<UpstreamBlock> blocks = NginxConfig.parse("""
        upstream a { server 10.0.0.1:8000; server backend.local:81; }
        upstream b { server [::1]:8001; server backend.local:82; }
        """, "t.conf").upstreams();

    assertThat(blocks.get(1).servers().get(1).address().host())
        .isEqualTo("backend.local")
        .isSameAs(blocks.get(0).servers().get(1).address().host());
  }

  @RepeatedTest(20)
  void aSharedHostIsAlwaysTheTextWritten(RepetitionInfo repetition) {
    int seed = repetition.getCurrentRepetition();
    System.out.println("seed " + seed);
    Random random = new Random(seed);
    SharedHosts hosts = SharedHosts.forOneRead();
    for (int i = 0; i < 20_000; i++) {
      // Few distinct hosts and many more texts than slots: hits, misses and collisions all happen.
      String host = "10." + random.nextInt(4) + "." + random.nextInt(40) + "." + random.nextInt(40);
      String text = host + ":" + (1 + random.nextInt(65535));

      assertThat(hosts.host(text, host.length())).as("seed %s", seed).isEqualTo(host);
    }
  }

  @Test
  void unsharedHostsAreNewStrings() {
    String first = SharedHosts.UNSHARED.host("10.0.0.1:80", 8);
    String second = SharedHosts.UNSHARED.host("10.0.0.1:81", 8);

    assertThat(second).isEqualTo(first).isNotSameAs(first);
  }
}
