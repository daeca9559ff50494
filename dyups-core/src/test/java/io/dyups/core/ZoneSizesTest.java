package io.dyups.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A shared memory zone is sized once, by at least one upstream that names it, as nginx requires of a
 * configuration: the registry refuses the change that would break that, so its file always loads again.
 */
class ZoneSizesTest {
  @TempDir Path dir;

  private UpstreamRegistry registry() {
    return UpstreamRegistry.builder().persistenceFile(dir.resolve("upstream.conf")).build();
  }

  @Test
  void aZoneThatNoUpstreamSizesIsRefusedInNginxsWords() {
    try (UpstreamRegistry registry = registry()) {
      Result result = registry.updateUpstream("a", "zone z; server 10.0.0.1;");

      assertThat(result.kind()).isEqualTo(Result.Kind.INVALID);
      assertThat(result.message()).isEqualTo("zero size shared memory zone \"z\"");
      assertThat(registry.find("a")).isNull();
    }
  }

  @Test
  void aZoneSizedByAnotherUpstreamMayBeNamedWithoutASize() {
    try (UpstreamRegistry registry = registry()) {
      assertThat(registry.updateUpstream("a", "zone z 64k; server 10.0.0.1;").isSuccess()).isTrue();

      assertThat(registry.updateUpstream("b", "zone z; server 10.0.0.2;").isSuccess()).isTrue();
      assertThat(registry.updateUpstream("c", "zone z 64k; server 10.0.0.3;").isSuccess()).isTrue();
    }
    try (UpstreamRegistry reloaded = registry()) {
      assertThat(reloaded.list()).containsExactly("a", "b", "c");
    }
  }

  @Test
  void aSecondSizeConflicts() {
    try (UpstreamRegistry registry = registry()) {
      registry.updateUpstream("a", "zone z 64k; server 10.0.0.1;");

      Result result = registry.updateUpstream("b", "zone z 128k; server 10.0.0.2;");

      assertThat(result.kind()).isEqualTo(Result.Kind.INVALID);
      assertThat(result.message())
          .isEqualTo("the size 131072 of shared memory zone \"z\" conflicts with already declared size 65536");
    }
  }

  @Test
  void theOnlyUpstreamThatSizesAZoneMayChangeItsSize() {
    try (UpstreamRegistry registry = registry()) {
      registry.updateUpstream("a", "zone z 64k; server 10.0.0.1;");

      assertThat(registry.updateUpstream("a", "zone z 128k; server 10.0.0.1;").isSuccess()).isTrue();
    }
  }

  @Test
  void theUpstreamThatSizesAZoneOthersNameCannotBeDeletedOrLoseTheSize() {
    try (UpstreamRegistry registry = registry()) {
      registry.updateUpstream("a", "zone z 64k; server 10.0.0.1;");
      registry.updateUpstream("b", "zone z; server 10.0.0.2;");

      Result delete = registry.deleteUpstream("a");
      Result unsize = registry.updateUpstream("a", "zone z; server 10.0.0.1;");
      Result rename = registry.updateUpstream("a", "zone y 64k; server 10.0.0.1;");

      for (Result result : new Result[] {delete, unsize, rename}) {
        assertThat(result.kind()).isEqualTo(Result.Kind.INVALID);
        assertThat(result.message()).startsWith("zero size shared memory zone \"z\"");
      }
      assertThat(delete.message()).contains("upstream \"b\" names it without a size");
      assertThat(registry.list()).containsExactly("a", "b");
    }
    try (UpstreamRegistry reloaded = registry()) {
      assertThat(reloaded.list()).containsExactly("a", "b");
    }
  }

  @Test
  void aZoneNoOtherUpstreamNamesMayGo() {
    try (UpstreamRegistry registry = registry()) {
      registry.updateUpstream("a", "zone z 64k; server 10.0.0.1;");

      assertThat(registry.updateUpstream("a", "server 10.0.0.1;").isSuccess()).isTrue();
      assertThat(registry.deleteUpstream("a").isSuccess()).isTrue();
    }
  }
}
