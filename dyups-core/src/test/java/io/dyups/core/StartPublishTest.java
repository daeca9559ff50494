package io.dyups.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dyups.parser.NginxConfig;
import io.dyups.parser.UpstreamBlock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A start publishes every upstream at once into an empty registry ({@code Sink.replaceAll}'s path for it): it must
 * give what publishing them one by one gives.
 */
class StartPublishTest {
  @TempDir Path dir;
  private final List<UpstreamRegistry> opened = new ArrayList<>();

  @AfterEach
  void close() {
    opened.forEach(UpstreamRegistry::close);
  }

  private UpstreamRegistry registry(UpstreamRegistry.Builder builder) {
    UpstreamRegistry registry = builder.build();
    opened.add(registry);
    return registry;
  }

  /** A store that gives the registry {@code upstreams} at its start and accepts no change. */
  private static UpstreamStore giving(List<StoredUpstream> upstreams) {
    return new UpstreamStore() {
      @Override
      public void open(StoreSink sink, Seed seed) {
        sink.replaceAll(upstreams);
      }

      @Override
      public Result commit(StoreChange change) {
        return Result.of(Result.Kind.UNAVAILABLE, "test store");
      }

      @Override
      public StoreStatus status() {
        return new StoreStatus("test", true, "open", "", 0, null, 0, 0);
      }

      @Override
      public void close() {}
    };
  }

  private static StoredUpstream stored(String name, long version, long order) {
    return new StoredUpstream(UpstreamBlock.fromCommands(name, "server 10.0.0.1:80;"), version, order);
  }

  // Names in mixed case, some upstreams with a health check, some with another method.
  private Path config(int count) throws Exception {
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < count; i++) {
      text.append("upstream Up_").append(i).append(" {\n");
      if (i % 3 == 1) {
        text.append("  least_conn;\n");
      }
      text.append("  server 10.0.").append(i / 250).append('.').append(i % 250 + 1).append(":80;\n");
      text.append("  server 10.1.0.1:").append(8000 + i).append(" weight=2;\n");
      if (i % 7 == 3) {
        text.append("  check interval=1000 fall=2 rise=2 default_down=false;\n");
      }
      text.append("}\n");
    }
    Path file = dir.resolve("upstream.conf");
    Files.writeString(file, text);
    return file;
  }

  @Test
  void aStartGivesWhatPublishingTheUpstreamsOneByOneGives() throws Exception {
    Path file = config(600);
    UpstreamRegistry started = registry(UpstreamRegistry.builder().load(file));
    UpstreamRegistry oneByOne = registry(UpstreamRegistry.builder());
    List<UpstreamBlock> blocks = new ArrayList<>();
    NginxConfig.forEachUpstream(file, blocks::add, warning -> {});
    for (UpstreamBlock block : blocks) {
      assertThat(oneByOne.updateUpstream(block).isSuccess()).isTrue();
    }

    assertThat(started.list()).hasSize(600).isEqualTo(oneByOne.list());
    assertThat(started.detail()).extracting(Upstream::definition)
        .isEqualTo(oneByOne.detail().stream().map(Upstream::definition).toList());
    assertThat(started.detail()).extracting(Upstream::version)
        .isEqualTo(oneByOne.detail().stream().map(Upstream::version).toList());
    assertThat(started.find("UP_599").definition()).isEqualTo(oneByOne.find("up_599").definition());
    assertThat(started.healthChecked()).extracting(Upstream::name)
        .containsExactlyInAnyOrderElementsOf(oneByOne.healthChecked().stream().map(Upstream::name).toList())
        .hasSize(86);
  }

  @Test
  void upstreamsAStoreGivesOutOfOrderAreListedInTheirStoreOrder() {
    UpstreamRegistry registry = registry(UpstreamRegistry.builder().store(giving(List.of(
        stored("c", 3, 30), stored("a", 1, 10), stored("b", 2, 20)))));

    assertThat(registry.list()).containsExactly("a", "b", "c");
  }

  @Test
  void upstreamsOfOneStoreOrderAreListedByName() {
    // ZooKeeper gives the upstreams created in one transaction the same order (its creation zxid).
    UpstreamRegistry registry = registry(UpstreamRegistry.builder().store(giving(List.of(
        stored("b", 1, 7), stored("a", 2, 7), stored("c", 3, 5)))));

    assertThat(registry.list()).containsExactly("c", "a", "b");
  }

  @Test
  void aStartWithANameGivenTwiceIsRefused() {
    UpstreamRegistry.Builder builder = UpstreamRegistry.builder().store(giving(List.of(
        stored("a", 1, 1), stored("B", 2, 2), stored("b", 3, 3))));

    assertThatThrownBy(builder::build).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("upstream \"b\" is given twice");
  }

  @Test
  void aListenerOfTheBuilderIsToldOfEveryUpstreamOfTheStartInOrder() throws Exception {
    List<UpstreamChange> told = new CopyOnWriteArrayList<>();
    UpstreamRegistry registry = UpstreamRegistry.builder().load(config(50)).listener(told::add).build();
    List<Upstream> started = registry.detail();
    registry.close(); // tells the listeners of every change before it returns

    assertThat(told).extracting(UpstreamChange::current).isEqualTo(started);
    assertThat(told).extracting(UpstreamChange::previous).containsOnlyNulls();
  }

  @Test
  void aStartedRegistryReplacesInPlaceAddsLastAndDeletes() throws Exception {
    UpstreamRegistry registry = registry(UpstreamRegistry.builder().load(config(3)));

    assertThat(registry.updateUpstream("up_1", "server 10.9.9.9:80;").isSuccess()).isTrue();
    assertThat(registry.updateUpstream("added", "server 10.9.9.8:80;").isSuccess()).isTrue();
    assertThat(registry.deleteUpstream("UP_0").isSuccess()).isTrue();

    assertThat(registry.list()).containsExactly("Up_1", "Up_2", "added");
    assertThat(registry.find("up_1").definition().servers()).hasSize(1);
    assertThat(registry.find("up_0")).isNull();
    assertThat(registry.size()).isEqualTo(3);
  }
}
