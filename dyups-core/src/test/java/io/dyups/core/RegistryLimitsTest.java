package io.dyups.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RegistryLimitsTest {
  private static String servers(int count) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < count; i++) {
      out.append("server 10.0.").append(i / 250).append('.').append(i % 250 + 1).append(":80;");
    }
    return out.toString();
  }

  @Test
  void anUpstreamWithMoreServersThanTheLimitIsRefusedWith413SayingTheLimit() {
    try (UpstreamRegistry registry = UpstreamRegistry.builder().maxServersPerUpstream(3).build()) {
      assertThat(registry.updateUpstream("a", servers(3)).isSuccess()).isTrue();
      Result refused = registry.updateUpstream("a", servers(4));
      assertThat(refused.kind()).isEqualTo(Result.Kind.TOO_LARGE);
      assertThat(refused.status()).isEqualTo(413);
      assertThat(refused.message()).isEqualTo("too many servers in upstream \"a\": 4, the limit is 3 per upstream");
      assertThat(registry.find("a").definition().servers()).hasSize(3);
    }
  }

  @Test
  void oneUpstreamMoreThanTheLimitIsRefusedButReplacingOneIsNot() {
    try (UpstreamRegistry registry = UpstreamRegistry.builder().maxUpstreams(2).build()) {
      registry.updateUpstream("a", servers(1));
      registry.updateUpstream("b", servers(1));
      Result refused = registry.updateUpstream("c", servers(1));
      assertThat(refused.kind()).isEqualTo(Result.Kind.TOO_LARGE);
      assertThat(refused.message()).isEqualTo("too many upstreams: the registry holds 2, the limit is 2");
      assertThat(registry.updateUpstream("A", servers(2)).isSuccess()).isTrue();
      assertThat(registry.deleteUpstream("b").isSuccess()).isTrue();
      assertThat(registry.updateUpstream("c", servers(1)).isSuccess()).isTrue();
      assertThat(registry.list()).containsExactly("a", "c");
    }
  }

  @Test
  void serversInAllAreCountedAcrossReplacementsAndDeletions() {
    try (UpstreamRegistry registry = UpstreamRegistry.builder().maxServers(5).build()) {
      registry.updateUpstream("a", servers(3));
      registry.updateUpstream("b", servers(2));
      Result refused = registry.updateUpstream("c", servers(1));
      assertThat(refused.kind()).isEqualTo(Result.Kind.TOO_LARGE);
      assertThat(refused.message()).isEqualTo("too many servers: the registry would hold 6 in all, the limit is 5");
      // Replacing a with fewer servers makes room.
      assertThat(registry.updateUpstream("a", servers(2)).isSuccess()).isTrue();
      assertThat(registry.updateUpstream("c", servers(1)).isSuccess()).isTrue();
      assertThat(registry.updateUpstream("c", servers(2)).kind()).isEqualTo(Result.Kind.TOO_LARGE);
      registry.deleteUpstream("b");
      assertThat(registry.updateUpstream("c", servers(3)).isSuccess()).isTrue();
    }
  }
}
