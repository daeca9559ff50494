package io.dyups.parser;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A file read ahead on a thread of its own ({@link ReadAhead}) gives exactly what a read on the caller's thread
 * gives: the same upstreams in the same order, the same warnings, the same first error, all on the caller's
 * thread; and what the caller throws ends the read with no thread left behind. Small texts are read ahead here as
 * large files are in use, in batches of one to three directives so that every hand-over is crossed.
 */
class ReadAheadTest {
  private record Outcome(List<UpstreamBlock> blocks, List<String> warnings, @Nullable String error) {}

  private interface Read {
    void read(byte[] bytes, Consumer<Directive> topLevel);
  }

  private static Outcome collect(byte[] bytes, Read read) {
    List<UpstreamBlock> blocks = new ArrayList<>();
    List<String> warnings = new ArrayList<>();
    UpstreamCollector collector = new UpstreamCollector(blocks::add, warning -> warnings.add(warning.toString()));
    try {
      read.read(bytes, collector::topLevel);
      collector.finish();
    } catch (ConfigSyntaxException e) {
      return new Outcome(blocks, warnings, e.getMessage());
    }
    return new Outcome(blocks, warnings, null);
  }

  private static final String[] LINES = {
      "    server 10.0.0.%d:80;\n",
      "    server 10.0.0.%d weight=2 max_fails=3;\n",
      "    server 10.0.0.%d backup;\n",
      "    least_conn;\n",
      "    ip_hash;\n",
      "    keepalive 8;\n",
      "    zone z%d 64k;\n",
      "    zone z%d;\n",
      "    server 10.0.0.%d weight=0;\n",
      "    server \"10.0.0.%d\";\n",
      "}\n",
      "# a comment }\n",
      "    server \"10.0.0.%d\n}\n\";\n",
      "    bogus;\n",
  };

  private static final String[] TOP = {
      "content_by_lua_block {\n  s = \"\n}\n\" }\n",
      "server 10.0.0.1;\n",
      "http {\nupstream h%d {\n    server 10.0.0.1;\n}\n}\n",
      "}\n",
      "\"open\n}\n",
      "upstream {\n",
  };

  /** Mostly valid upstream blocks, with now and then a line that warns, breaks a block or is out of place. */
  private static String randomFile(Random random) {
    StringBuilder text = new StringBuilder();
    int blocks = 2 + random.nextInt(12);
    for (int b = 0; b < blocks; b++) {
      if (random.nextInt(12) == 0) {
        text.append(String.format(TOP[random.nextInt(TOP.length)], b));
        continue;
      }
      int name = random.nextInt(20) == 0 ? 0 : b;
      text.append("upstream u").append(name).append(" {\n");
      int lines = 1 + random.nextInt(4);
      for (int i = 0; i < lines; i++) {
        String line = random.nextInt(6) == 0 ? LINES[random.nextInt(LINES.length)] : LINES[random.nextInt(3)];
        text.append(String.format(line, random.nextInt(3)));
      }
      text.append("}\n");
    }
    return text.toString();
  }

  @RepeatedTest(500)
  void aFileReadAheadGivesWhatAReadOnTheCallersThreadGives(RepetitionInfo repetition) {
    int seed = repetition.getCurrentRepetition();
    Random random = new Random(seed);
    String text = randomFile(random);
    byte[] bytes = NginxConfig.toBytes(text);
    int batch = 1 + random.nextInt(3);

    Outcome here = collect(bytes, (b, topLevel) -> SyntaxReader.read(b, "t.conf", topLevel));
    Outcome ahead = collect(bytes, (b, topLevel) -> ReadAhead.read(b, "t.conf", topLevel, 0, batch));

    assertThat(ahead).as("seed %s, batches of %s:%n%s", seed, batch, text).isEqualTo(here);
  }

  @Test
  void directivesReachTheCallerOnItsOwnThreadInOrder() {
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < 50; i++) {
      text.append("upstream u").append(i).append(" {\n    server 10.0.0.").append(i).append(";\n}\n");
    }
    List<String> names = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();

    ReadAhead.read(NginxConfig.toBytes(text.toString()), "t.conf", directive -> {
      names.add(directive.args().get(0));
      threads.add(Thread.currentThread());
    }, 0, 3);

    assertThat(names).hasSize(50).startsWith("u0", "u1", "u2").endsWith("u48", "u49");
    assertThat(threads).containsOnly(Thread.currentThread());
  }

  @Test
  void whatTheCallerThrowsEndsTheReadAndNoReaderIsLeft() {
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < 2000; i++) {
      text.append("upstream u").append(i).append(" {\n    server 10.0.0.1;\n}\n");
    }
    List<String> names = new ArrayList<>();

    assertThatThrownBy(() -> ReadAhead.read(NginxConfig.toBytes(text.toString()), "t.conf", directive -> {
      names.add(directive.args().get(0));
      if (names.size() == 5) {
        throw new IllegalStateException("enough");
      }
    }, 0, 2)).isInstanceOf(IllegalStateException.class).hasMessage("enough");

    assertThat(names).containsExactly("u0", "u1", "u2", "u3", "u4");
    // The read joins its reader before it returns or throws.
    assertThat(Thread.getAllStackTraces().keySet())
        .noneMatch(thread -> thread.getName().equals("dyups-parser-read-ahead"));
  }

  @Test
  void aLargeFileLoadsAsItParses(@TempDir Path dir) throws IOException {
    StringBuilder text = new StringBuilder();
    for (int i = 0; text.length() <= ReadAhead.MIN_SIZE; i++) {
      text.append("upstream u").append(i).append(" {\n    least_conn;\n    ip_hash;\n    server 10.0.")
          .append(i >> 8 & 0xFF).append('.').append(i & 0xFF).append(":8080 weight=2;\n}\n");
    }
    text.append("upstream last {\n    server 10.0.0.1 wieght=2;\n}\n");
    Path file = dir.resolve("upstream.conf");
    Files.writeString(file, text);
    List<UpstreamBlock> blocks = new ArrayList<>();
    List<ConfigWarning> warnings = new ArrayList<>();

    assertThatThrownBy(() -> NginxConfig.forEachUpstream(file, blocks::add, warnings::add))
        .isInstanceOf(ConfigSyntaxException.class)
        .hasMessage("invalid parameter \"wieght=2\" in " + file + ":" + (text.toString().split("\n").length - 1)
            + ":21");

    String valid = text.substring(0, text.lastIndexOf("upstream last"));
    List<UpstreamBlock> parsed = NginxConfig.parse(valid, file.toString()).upstreams();
    assertThat(blocks).isEqualTo(parsed);
    assertThat(warnings).hasSize(parsed.size());
    assertThat(warnings.get(warnings.size() - 1).position().line()).isEqualTo(5 * parsed.size() - 2);
  }
}
