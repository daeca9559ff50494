package io.dyups.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An upstream whose servers are all addresses gets its peers at the first {@link Upstream#peers()}: a load makes
 * none for the upstreams nobody picks from, and every caller then gets the one group, whose picks, state and
 * updates are as if it had been made at the publish.
 */
class LazyPeersTest {
  @TempDir Path dir;

  @Test
  void aLoadedUpstreamHoldsNoPeersUntilItsPeersAreAskedFor() throws IOException {
    Path file = dir.resolve("upstream.conf");
    Files.writeString(file, "upstream a { server 10.0.0.1:80; server 10.0.0.2:80 backup; }\n"
        + "upstream b { server unix:/tmp/b.sock; }\n");
    try (UpstreamRegistry registry = UpstreamRegistry.builder().load(file).build()) {
      Upstream a = registry.find("a");

      assertThat(a.peersIfMade()).isNull();
      assertThat(a.hosts()).isEmpty();
      PeerGroup peers = a.peers();
      assertThat(peers.asList()).extracting(Peer::toString).containsExactly("10.0.0.1:80", "10.0.0.2:80");
      assertThat(peers.backups).hasSize(1);
      assertThat(a.peers()).isSameAs(peers);
      assertThat(a.peersIfMade()).isSameAs(peers);
      assertThat(registry.find("b").peersIfMade()).isNull();
    }
  }

  @Test
  void anUpstreamWithHostNamesHasItsPeersMadeWhenPublished() {
    ScriptedHostResolver dns = new ScriptedHostResolver().answer("backend.local", Duration.ofHours(1), "10.0.0.7");
    try (UpstreamRegistry registry = UpstreamRegistry.builder().hostResolver(dns).build()) {
      registry.updateUpstream("u", "server backend.local:8080; server 10.0.0.1:80;");

      Upstream u = registry.find("u");

      assertThat(u.peersIfMade()).isNotNull();
      assertThat(u.peers().asList()).extracting(Peer::toString).containsExactly("10.0.0.7:8080", "10.0.0.1:80");
    }
  }

  @Test
  void anUpdateCarriesTheStateOfPeersMadeBeforeIt() {
    try (UpstreamRegistry registry = UpstreamRegistry.builder().build()) {
      registry.updateUpstream("u", "server 10.0.0.1:80; server 10.0.0.2:80;");
      Peer kept = registry.find("u").peers().asList().get(0);
      kept.setHealthy(false);

      registry.updateUpstream("u", "server 10.0.0.1:80; server 10.0.0.3:80;");

      PeerGroup after = registry.find("u").peersIfMade();
      assertThat(after).isNotNull();
      assertThat(after.asList().get(0).state).isSameAs(kept.state);
      assertThat(after.asList().get(0).isHealthy()).isFalse();
    }
  }

  @Test
  void anUpdateOfAnUpstreamNobodyPickedFromMakesNoPeers() {
    try (UpstreamRegistry registry = UpstreamRegistry.builder().build()) {
      registry.updateUpstream("u", "server 10.0.0.1:80;");

      registry.updateUpstream("u", "server 10.0.0.2:80;");

      Upstream u = registry.find("u");
      assertThat(u.peersIfMade()).isNull();
      assertThat(u.peers().asList()).extracting(Peer::toString).containsExactly("10.0.0.2:80");
    }
  }

  @Test
  void aNewVersionOfTheSameDefinitionKeepsThePeersMadeBeforeIt() {
    try (UpstreamRegistry registry = UpstreamRegistry.builder().build()) {
      registry.updateUpstream("u", "server 10.0.0.1:80;");
      PeerGroup before = registry.find("u").peers();

      registry.updateUpstream("u", "server 10.0.0.1:80;");

      assertThat(registry.find("u").peersIfMade()).isSameAs(before);
    }
  }

  @RepeatedTest(20)
  void threadsAskingAtOnceGetOneGroup() throws Exception {
    try (UpstreamRegistry registry = UpstreamRegistry.builder().build()) {
      registry.updateUpstream("u", "server 10.0.0.1:80; server 10.0.0.2:80;");
      Upstream u = registry.find("u");
      CyclicBarrier start = new CyclicBarrier(2);

      List<CompletableFuture<PeerGroup>> asked = List.of(
          CompletableFuture.supplyAsync(() -> await(start, u)), CompletableFuture.supplyAsync(() -> await(start, u)));

      assertThat(asked.get(0).get()).isSameAs(asked.get(1).get()).isSameAs(u.peers());
    }
  }

  private static PeerGroup await(CyclicBarrier start, Upstream upstream) {
    try {
      start.await();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    return upstream.peers();
  }
}
