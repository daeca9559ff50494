package io.dyups.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.dyups.parser.ConfigSyntaxException;
import io.dyups.parser.NginxConfig;
import io.dyups.parser.UpstreamBlock;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Coverage-guided fuzz target for the command API (Jazzer); seed corpus under
 * {@code src/test/resources/io/dyups/core/UpstreamRegistryFuzzTestInputs/}. An input is a script of changes
 * separated by lines {@code ---}; each starts with a line {@code VERB NAME [VERSION]} and the rest of it is the
 * commands:
 *
 * <pre>
 * update NAME          updateUpstream(NAME, commands)
 * cas NAME VERSION     updateUpstream(NAME, commands, VERSION)
 * block NAME           updateUpstream(UpstreamBlock.fromCommands(...).withName(NAME)) when they parse
 * delete NAME          deleteUpstream(NAME)
 * casdelete NAME VER   deleteUpstream(NAME, VER)
 * </pre>
 *
 * A verb with a leading {@code !} makes that change's persistence write fail. Any other first line is an update
 * whose name is the whole line. The registry persists through an in-memory file writer, so every acknowledged
 * state is also checked to load back.
 */
class UpstreamRegistryFuzzTest {
  private static final Set<Integer> UPDATE_STATUSES = Set.of(200, 400, 409, 413, 500);
  private static final Set<Integer> DELETE_STATUSES = Set.of(200, 404, 409, 500);

  /**
   * Changes never throw and answer one of the defined statuses; a refused change leaves the registry as it was; an
   * accepted one is visible at once, and the persisted text loads back to exactly the registry's upstreams.
   */
  @FuzzTest
  void changesNeverThrowAndARefusedChangeChangesNothing(byte[] data) throws IOException {
    FailingWriter file = new FailingWriter();
    Path dir = Files.createTempDirectory("dyups-fuzz");
    file.path = dir.resolve("fuzz-upstream.conf");
    try (UpstreamRegistry registry = UpstreamRegistry.builder().maxCommandsSize(512).persistenceFile(file.path)
        .fileWriter(file).build()) {
      for (String record : new String(data, StandardCharsets.UTF_8).split("\n---\n", 64)) {
        apply(registry, file, record);
      }
    } finally {
      try (java.util.stream.Stream<Path> entries = Files.list(dir)) {
        for (Path entry : entries.toList()) {
          Files.delete(entry);
        }
      }
      Files.delete(dir);
    }
  }

  private static void apply(UpstreamRegistry registry, FailingWriter file, String record) throws IOException {
    int newline = record.indexOf('\n');
    String header = newline < 0 ? record : record.substring(0, newline);
    String commands = newline < 0 ? "" : record.substring(newline + 1);
    String[] words = header.split(" ", 3);
    String verb = words[0];
    file.failNext = verb.startsWith("!");
    if (file.failNext) {
      verb = verb.substring(1);
    }
    String name = words.length > 1 ? words[1] : "";
    List<Upstream> before = registry.detail();

    Result result;
    boolean delete = false;
    switch (verb) {
      case "update" -> result = registry.updateUpstream(name, commands);
      case "cas" -> result = registry.updateUpstream(name, commands, version(registry, name, words));
      case "block" -> {
        UpstreamBlock block = parsedOrNull(commands);
        result = block == null ? null : registry.updateUpstream(block.withName(name));
      }
      case "delete" -> {
        delete = true;
        result = registry.deleteUpstream(name);
      }
      case "casdelete" -> {
        delete = true;
        result = registry.deleteUpstream(name, version(registry, name, words));
      }
      default -> result = registry.updateUpstream(header, commands);
    }
    if (result == null) {
      return;
    }

    assertThat(result.status()).as("%s", result).isIn(delete ? DELETE_STATUSES : UPDATE_STATUSES);
    assertThat(result.message()).isNotNull();
    if (result.status() == 500) {
      assertThat(file.failNext).as("500 without a failed write: %s", result).isTrue();
    }
    if (!result.isSuccess()) {
      assertThat(registry.detail()).as("refused with %s", result).containsExactlyElementsOf(before);
      return;
    }
    assertThat(file.failNext).as("acknowledged although the write failed").isFalse();
    String changed = verb.equals("update") || verb.equals("cas") || verb.equals("block")
        || verb.equals("delete") || verb.equals("casdelete") ? name : header;
    Upstream now = registry.find(changed);
    if (delete) {
      assertThat(now).isNull();
    } else {
      assertThat(now).isNotNull();
      assertThat(before).doesNotContain(now);
    }
    List<UpstreamBlock> definitions = registry.detail().stream().map(Upstream::definition).toList();
    assertThat(UpstreamFile.read(file.path)).extracting(StoredUpstream::definition)
        .as("the persisted state").containsExactlyElementsOf(definitions);
  }

  /** The version the script names; the upstream's current one (or ABSENT) when it names none or a bad one. */
  private static long version(UpstreamRegistry registry, String name, String[] words) {
    if (words.length > 2) {
      try {
        long version = Long.parseLong(words[2].trim());
        if (version >= 0) {
          return version;
        }
      } catch (NumberFormatException e) {
        // Fall through to the current version.
      }
    }
    Upstream current = registry.find(name);
    return current == null ? UpstreamRegistry.ABSENT : current.version();
  }

  @Nullable
  private static UpstreamBlock parsedOrNull(String commands) {
    try {
      return UpstreamBlock.fromCommands("parsed", commands);
    } catch (ConfigSyntaxException e) {
      return null;
    }
  }

  /** Keeps the last written text in memory; fails the write, leaving the text as it was, when told to. */
  /** Fails the next journal write when told to, as a full disk would. */
  private static final class FailingWriter extends AtomicFileWriter {
    Path path;
    boolean failNext;

    @Override
    void append(java.nio.channels.FileChannel journal, byte[] record, boolean force) throws IOException {
      if (failNext) {
        throw new IOException("injected write failure");
      }
      super.append(journal, record, force);
    }
  }
}
