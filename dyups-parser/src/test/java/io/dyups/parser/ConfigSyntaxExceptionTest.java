package io.dyups.parser;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** What a rejection says: safe to print, short enough to read, whatever the rejected text was. */
class ConfigSyntaxExceptionTest {
  @Test
  void controlCharactersInAReasonAreShownAsEscapes() {
    assertThatThrownBy(() -> UpstreamBlock.fromCommands("u", "\u001b[31mred\u0000;"))
        .isInstanceOfSatisfying(ConfigSyntaxException.class, e -> assertThat(e.getMessage())
            .isEqualTo("unknown directive \"\\x1b[31mred\\x00\" in commands:1:1"));
  }

  @Test
  void aHugeQuotedValueIsShortenedInTheReason() {
    assertThatThrownBy(() -> UpstreamBlock.fromCommands("u", "server 10.0.0.1 weight=" + "9".repeat(1_000_000) + ";"))
        .isInstanceOfSatisfying(ConfigSyntaxException.class, e -> {
          assertThat(e.reason()).hasSizeLessThan(ConfigSyntaxException.MAX_REASON + 64)
              .startsWith("invalid parameter \"weight=999").contains("characters left out").endsWith("999\"");
          assertThat(e.getMessage()).endsWith(" in commands:1:17");
        });
  }

  @Test
  void aShortReasonIsKeptAsItIs() {
    ConfigSyntaxException e = new ConfigSyntaxException("unexpected \"}\"", new SourcePosition("f", 2, 3));

    assertThat(e.reason()).isEqualTo("unexpected \"}\"");
    assertThat(e.getMessage()).isEqualTo("unexpected \"}\" in f:2:3");
  }
}
