package io.dyups.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dyups.parser.ConfigSyntaxException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which source wins at a start, and what a persistence file must be. */
class PersistenceRulesTest {
  @TempDir Path dir;

  @Test
  void anUpstreamDeletedThroughTheApiStaysDeletedAfterARestartThoughAConfigurationDefinesIt() throws Exception {
    Path conf = dir.resolve("nginx-upstreams.conf");
    Files.writeString(conf, "upstream static1 { server 10.0.0.1:80; }\nupstream static2 { server 10.0.0.2:80; }\n");
    Path file = dir.resolve("upstream.conf");
    try (UpstreamRegistry first = UpstreamRegistry.builder().load(conf).persistenceFile(file).build()) {
      assertThat(first.list()).containsExactly("static1", "static2");
      assertThat(first.deleteUpstream("static1").isSuccess()).isTrue();
      first.updateUpstream("dynamic", "server 10.0.0.3:80;");
    }
    try (UpstreamRegistry restarted = UpstreamRegistry.builder().load(conf).persistenceFile(file).build()) {
      assertThat(restarted.list()).containsExactly("static2", "dynamic");
    }
  }

  @Test
  void theConfigurationsSeedANewPersistenceFileAtOnce() throws Exception {
    Path conf = dir.resolve("nginx-upstreams.conf");
    Files.writeString(conf, "upstream seeded { server 10.0.0.1:80; }\n");
    Path file = dir.resolve("upstream.conf");
    try (UpstreamRegistry registry = UpstreamRegistry.builder().load(conf).persistenceFile(file).build()) {
      assertThat(registry.list()).containsExactly("seeded");
      assertThat(Files.readString(file)).contains("upstream seeded {");
    }
  }

  @Test
  void aPersistenceFileInADirectoryThatDoesNotExistFailsAtBuildNamingTheDirectory() {
    Path missing = dir.resolve("no-such-dir");
    assertThatThrownBy(() -> UpstreamRegistry.builder().persistenceFile(missing.resolve("upstream.conf")).build())
        .isInstanceOf(UncheckedIOException.class)
        .hasMessageContaining(missing.toString()).hasMessageContaining("does not exist");
    assertThat(missing).doesNotExist();
  }

  @Test
  void aSecondRegistryOnTheSamePersistenceFileIsRefusedAndTheFirstLosesNothing() throws Exception {
    Path file = dir.resolve("upstream.conf");
    try (UpstreamRegistry first = UpstreamRegistry.builder().persistenceFile(file).build()) {
      assertThat(first.updateUpstream("a", "server 10.0.0.1:80;").isSuccess()).isTrue();
      // A second owner would fold away the journal the first appends to.
      assertThatThrownBy(() -> UpstreamRegistry.builder().persistenceFile(file).build())
          .isInstanceOf(UncheckedIOException.class)
          .hasMessageContaining(file.toString()).hasMessageContaining("in use by another registry");
      assertThat(first.updateUpstream("b", "server 10.0.0.2:80;").isSuccess()).isTrue();
    }
    try (UpstreamRegistry restarted = UpstreamRegistry.builder().persistenceFile(file).build()) {
      assertThat(restarted.list()).containsExactly("a", "b");
    }
  }

  @Test
  void aPersistenceFileWithAMisspeltDirectiveStopsTheStartWithNginxsWordsAndIsNeverOverwritten() throws Exception {
    Path file = dir.resolve("upstream.conf");
    String text = "upstream keep1 { server 10.0.0.1:80; }\nupstrem keep2 { server 10.0.0.2:80; }\n"
        + "upstream keep3 { server 10.0.0.3:80; }\n";
    Files.writeString(file, text);
    assertThatThrownBy(() -> UpstreamRegistry.builder().persistenceFile(file).build())
        .isInstanceOf(ConfigSyntaxException.class)
        .hasMessage("unknown directive \"upstrem\" in " + file + ":2:1");
    assertThat(Files.readString(file)).isEqualTo(text);
  }

  @Test
  void aPersistenceFileThatBeginsWithAUtf8ByteOrderMarkStopsTheStartAndIsNeverOverwritten() throws Exception {
    Path file = dir.resolve("upstream.conf");
    byte[] bom = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
    byte[] text = "upstream keep1 { server 10.0.0.1:80; }\n".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    byte[] bytes = new byte[bom.length + text.length];
    System.arraycopy(bom, 0, bytes, 0, bom.length);
    System.arraycopy(text, 0, bytes, bom.length, text.length);
    Files.write(file, bytes);
    // nginx: unknown directive "\xEF\xBB\xBFupstream" (the mark is part of the first word).
    assertThatThrownBy(() -> UpstreamRegistry.builder().persistenceFile(file).build())
        .isInstanceOf(ConfigSyntaxException.class)
        .hasMessageStartingWith("unknown directive \"").hasMessageEndingWith("upstream\" in " + file + ":1:1");
    assertThat(Files.readAllBytes(file)).isEqualTo(bytes);
  }

  @Test
  void changesAreReadBackAfterARestartWithTheirVersions() throws Exception {
    Path file = dir.resolve("upstream.conf");
    long version;
    try (UpstreamRegistry first = UpstreamRegistry.builder().persistenceFile(file).build()) {
      first.updateUpstream("a", "server 10.0.0.1:80;");
      version = first.updateUpstream("b", "server 10.0.0.2:80;").version();
    }
    try (UpstreamRegistry restarted = UpstreamRegistry.builder().persistenceFile(file).build()) {
      assertThat(restarted.list()).containsExactly("a", "b");
      assertThat(restarted.find("b").version()).isEqualTo(version);
      assertThat(restarted.updateUpstream("c", "server 10.0.0.3:80;").version()).isGreaterThan(version);
    }
  }
}
