package io.dyups.parser;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Coverage-guided fuzz targets for the parser (Jazzer). {@code mvn verify} runs each target once per file of its
 * seed corpus under {@code src/test/resources/io/dyups/parser/ParserFuzzTestInputs/METHOD/} (regression mode);
 * {@code JAZZER_FUZZ=1} fuzzes (README, "Reliability suites"). Any exception other than
 * {@link ConfigSyntaxException}, and any failed check, is a finding.
 */
class ParserFuzzTest {
  private static final String SOURCE = "fuzz.conf";

  /**
   * Any text either parses, with its directives and upstream blocks written back and read again to equal values,
   * or is rejected with a ConfigSyntaxException whose position lies inside the text.
   */
  @FuzzTest
  void parseReturnsOrThrowsConfigSyntaxExceptionWithAPositionInTheText(byte[] data) {
    String text = new String(data, StandardCharsets.UTF_8);
    NginxConfig config;
    List<UpstreamBlock> upstreams;
    try {
      config = NginxConfig.parse(text, SOURCE);
      upstreams = config.upstreams();
    } catch (ConfigSyntaxException e) {
      assertPositionInside(e, SOURCE, text);
      return;
    }
    String written = NginxConfig.write(config.directives());
    assertThat(shape(NginxConfig.parse(written, "written").directives()))
        .as("directives written back as%n%s", written)
        .isEqualTo(shape(config.directives()));
    for (UpstreamBlock block : upstreams) {
      assertThat(NginxConfig.parse(block.toConfig(), "block").upstreams())
          .as("upstream written back as%n%s", block.toConfig())
          .containsExactly(block);
    }
  }

  /**
   * Any bytes, UTF-8 or not, either parse, with the directives written back as bytes and read again to equal
   * values, or are rejected with a ConfigSyntaxException whose position lies inside them.
   */
  @FuzzTest
  void parseBytesKeepsEveryByteOrThrowsConfigSyntaxException(byte[] data) {
    NginxConfig config;
    List<UpstreamBlock> upstreams;
    try {
      config = NginxConfig.parse(data, SOURCE);
      upstreams = config.upstreams();
    } catch (ConfigSyntaxException e) {
      assertPositionInside(e, SOURCE, ConfigBytes.decode(data, 0, data.length));
      return;
    }
    byte[] written = NginxConfig.toBytes(NginxConfig.write(config.directives()));
    assertThat(shape(NginxConfig.parse(written, "written").directives()))
        .as("directives written back as%n%s", new String(written, StandardCharsets.ISO_8859_1))
        .isEqualTo(shape(config.directives()));
    for (UpstreamBlock block : upstreams) {
      assertThat(NginxConfig.parse(NginxConfig.toBytes(block.toConfig()), "block").upstreams())
          .as("upstream written back as%n%s", block.toConfig())
          .containsExactly(block);
    }
  }

  /**
   * Any commands either make an upstream that reads back equal from its own commands, or are rejected with a
   * ConfigSyntaxException positioned inside them.
   */
  @FuzzTest
  void fromCommandsReturnsOrThrowsConfigSyntaxExceptionWithAPositionInTheText(byte[] data) {
    String commands = new String(data, StandardCharsets.UTF_8);
    UpstreamBlock block;
    try {
      block = UpstreamBlock.fromCommands("fuzzed", commands);
    } catch (ConfigSyntaxException e) {
      assertPositionInside(e, UpstreamBlock.COMMANDS_SOURCE, commands);
      return;
    }
    assertThat(block.servers()).isNotEmpty();
    assertThat(UpstreamBlock.fromCommands("fuzzed", block.toCommands()))
        .as("commands written back as%n%s", block.toCommands())
        .isEqualTo(block);
  }

  private static void assertPositionInside(ConfigSyntaxException e, String source, String text) {
    assertThat(e.file()).isEqualTo(source);
    assertThat(e.getMessage()).isEqualTo(e.reason() + " in " + e.position());
    long lines = text.chars().filter(c -> c == '\n').count() + 1;
    assertThat(e.line()).as(e.getMessage()).isBetween(1, (int) lines);
    assertThat(e.column()).as(e.getMessage()).isPositive();
  }

  /** Names, arguments and blocks, without positions. */
  private static List<Object> shape(List<Directive> directives) {
    List<Object> shape = new ArrayList<>();
    for (Directive directive : directives) {
      shape.add(List.of(directive.name(), directive.args(),
          directive.hasBlock() ? shape(directive.children()) : "no block"));
    }
    return shape;
  }
}
