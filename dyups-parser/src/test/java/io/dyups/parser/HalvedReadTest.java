package io.dyups.parser;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A file read in two halves at once ({@link HalvedRead}) gives exactly what a read of the whole file gives: the
 * same upstreams in the same order, the same warnings, the same first error. Small texts are cut here as large
 * files are cut in use.
 */
class HalvedReadTest {
  private record Outcome(List<UpstreamBlock> blocks, List<String> warnings, @Nullable String error) {}

  private static Outcome read(byte[] bytes, int minSize) {
    List<UpstreamBlock> blocks = new ArrayList<>();
    List<String> warnings = new ArrayList<>();
    UpstreamCollector collector = new UpstreamCollector(blocks::add, warning -> warnings.add(warning.toString()));
    try {
      HalvedRead.read(bytes, "t.conf", collector::topLevel, minSize);
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
      "content_by_lua_block {\n  t = {\n}\n}\n",
      "server 10.0.0.1;\n",
      "http {\nupstream h%d {\n    server 10.0.0.1;\n}\n}\n",
      "}\n",
      "\"open\n}\n",
  };

  /** Mostly valid upstream blocks, with now and then a line that warns, breaks a block or cuts badly. */
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

  @RepeatedTest(1000)
  void aFileReadInHalvesGivesWhatAWholeReadGives(RepetitionInfo repetition) {
    Random random = new Random(repetition.getCurrentRepetition());
    String text = randomFile(random);
    byte[] bytes = NginxConfig.toBytes(text);

    Outcome whole = read(bytes, Integer.MAX_VALUE);
    Outcome halves = read(bytes, 0);

    assertThat(halves).as("seed %s:%n%s", repetition.getCurrentRepetition(), text).isEqualTo(whole);
  }

  @Test
  void theSecondHalfsUpstreamsAreBuiltAheadOnItsOwnThread() {
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < 10; i++) {
      text.append("upstream u").append(i).append(" {\n    server 10.0.0.").append(i).append(";\n}\n");
    }
    byte[] bytes = NginxConfig.toBytes(text.toString());
    List<String> names = new ArrayList<>();
    List<Boolean> builtAhead = new ArrayList<>();

    HalvedRead.read(bytes, "t.conf", (directive, prebuilt) -> {
      names.add(directive.args().get(0));
      builtAhead.add(prebuilt != null && prebuilt.block() != null);
    }, 0);

    assertThat(names).containsExactly("u0", "u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8", "u9");
    assertThat(builtAhead).containsExactly(false, false, false, false, false, false, true, true, true, true);
  }

  @Test
  void aLargeFileLoadsAsItParses(@TempDir Path dir) throws IOException {
    StringBuilder text = new StringBuilder();
    for (int i = 0; text.length() <= HalvedRead.MIN_SIZE; i++) {
      text.append("upstream u").append(i).append(" {\n    least_conn;\n    ip_hash;\n    server 10.0.")
          .append(i >> 8 & 0xFF).append('.').append(i & 0xFF).append(":8080 weight=2;\n}\n");
    }
    Path file = dir.resolve("upstream.conf");
    Files.writeString(file, text);
    List<UpstreamBlock> blocks = new ArrayList<>();
    List<ConfigWarning> warnings = new ArrayList<>();

    NginxConfig.forEachUpstream(file, blocks::add, warnings::add);

    List<UpstreamBlock> parsed = NginxConfig.parse(text.toString(), file.toString()).upstreams();
    assertThat(blocks).isEqualTo(parsed);
    assertThat(warnings).hasSize(parsed.size());
    assertThat(warnings.get(warnings.size() - 1).position().line()).isEqualTo(5 * parsed.size() - 2);
  }
}
