package io.dyups.zookeeper;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.dyups.core.HostResolver;
import io.dyups.core.Upstream;
import io.dyups.core.UpstreamRegistry;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;

/** What the cluster tests compare: a root's upstreams as ZooKeeper holds them and as a registry serves them. */
final class StoreStates {
  private StoreStates() {}

  /** Each upstream under {@code root} as "version text", in order of creation (czxid, then name). */
  static List<String> inZooKeeper(CuratorFramework admin, String root) throws Exception {
    record Node(long czxid, String name, String state) {}
    List<Node> nodes = new ArrayList<>();
    for (String child : admin.getChildren().forPath(root)) {
      Stat stat = new Stat();
      byte[] data;
      try {
        data = admin.getData().storingStatIn(stat).forPath(root + "/" + child);
      } catch (KeeperException.NoNodeException e) {
        continue;
      }
      nodes.add(new Node(stat.getCzxid(), child, stat.getMzxid() + " " + new String(data, UTF_8)));
    }
    nodes.sort(Comparator.comparingLong(Node::czxid).thenComparing(Node::name));
    return nodes.stream().map(Node::state).toList();
  }

  /** Each upstream {@code registry} serves as "version text", in its order: comparable with {@link #inZooKeeper}. */
  static List<String> inRegistry(UpstreamRegistry registry) {
    List<String> state = new ArrayList<>();
    for (Upstream upstream : registry.detail()) {
      state.add(upstream.version() + " " + upstream.definition().toConfig());
    }
    return state;
  }

  /**
   * A resolver that answers every name with 10.0.0.9 (and no SRV record) once {@code answer} completes, and
   * completes {@code asked} when first asked.
   */
  static HostResolver answeringAfter(CompletableFuture<Void> answer, CompletableFuture<Void> asked) {
    InetAddress address;
    try {
      address = InetAddress.getByAddress(new byte[] {10, 0, 0, 9});
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
    return new HostResolver() {
      @Override
      public CompletableFuture<HostResolver.Answer> lookUpAddresses(HostResolver.Query query) {
        asked.complete(null);
        return answer.thenApply(done -> HostResolver.Answer.addresses(List.of(address), Duration.ofMinutes(5)));
      }

      @Override
      public CompletableFuture<HostResolver.Answer> lookUpService(HostResolver.Query query) {
        asked.complete(null);
        return answer.thenApply(done -> HostResolver.Answer.notFound(null));
      }

      @Override
      public void close() {}
    };
  }
}
