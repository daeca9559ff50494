package io.dyups.core;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A replace is all or nothing for whoever reads the file: the deterministic half of what PersistenceCrashTest checks
 * with real kills (which land inside a write only now and then, so its bounded run in the default build cannot be the
 * one to catch a file written in place).
 */
class AtomicFileWriterTest {
  private static final String OLD = "# the old content\nupstream a { server 10.0.0.1:80; }\n";

  @TempDir Path dir;

  @Test
  void aReplaceCutPartWayLeavesTheOldContentAndNoTemporaryFile() throws IOException {
    Path target = dir.resolve("upstream.conf");
    Files.writeString(target, OLD, US_ASCII);

    // More than the writer's 64 KiB buffer, so part of the new content reaches a file before the failure.
    assertThatThrownBy(() -> new AtomicFileWriter().replace(target, out -> {
      out.write("# new\n".repeat(40_000).getBytes(US_ASCII));
      throw new IOException("cut part way");
    })).isInstanceOf(IOException.class).hasMessage("cut part way");

    assertThat(Files.size(target)).as("bytes in the file").isEqualTo(OLD.length());
    assertThat(Files.readString(target, US_ASCII)).isEqualTo(OLD);
    assertThat(files()).containsExactly(target);
  }

  @Test
  void aReplaceLeavesTheNewContentWholeAndNoTemporaryFile() throws IOException {
    Path target = dir.resolve("upstream.conf");
    Files.writeString(target, OLD, US_ASCII);
    byte[] content = "upstream b { server 10.0.0.2:80; }\n".repeat(10_000).getBytes(US_ASCII);

    new AtomicFileWriter().replace(target, out -> out.write(content));

    assertThat(Files.readAllBytes(target)).isEqualTo(content);
    assertThat(files()).containsExactly(target);
  }

  private List<Path> files() throws IOException {
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.toList();
    }
  }
}
