package io.dyups.parser;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The tokenizer rules of nginx's ngx_conf_read_token, one row each. Expected results were checked against
 * nginx 1.22.1 ({@code nginx -t}) where nginx reports an error; rows show directives as
 * {@code name|arg|arg;} and blocks as {@code name{...}}.
 */
class TokenizerTest {
  static String render(List<Directive> directives) {
    return directives.stream().map(TokenizerTest::render).collect(Collectors.joining(" "));
  }

  private static String render(Directive directive) {
    StringBuilder out = new StringBuilder(directive.name());
    for (String arg : directive.args()) {
      out.append('|').append(arg);
    }
    if (directive.hasBlock()) {
      out.append('{').append(render(directive.children())).append('}');
    } else {
      out.append(';');
    }
    return out.toString();
  }

  private static String parse(String text) {
    return render(NginxConfig.parse(text.replace("\\n", "\n"), "t").directives());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '~', quoteCharacter = '`', value = {
      "a b c;~a|b|c;",
      "a  \t b\\n  c;~a|b|c;",
      "a b;c d;~a|b; c|d;",
      "a b {c d;}~a|b{c|d;}",
      "a{b;}~a{b;}",
      "a b{}~a|b{}",
      "a \"b c\";~a|b c;",
      "a 'b c';~a|b c;",
      "a \"b'c\";~a|b'c;",
      "a 'b\"c';~a|b\"c;",
      "a \"b\\\"c\";~a|b\"c;",
      "a 'b\\'c';~a|b'c;",
      "a \"\";~a|;",
      "\"a\" b;~a|b;",
      "a#b c;~a#b|c;",
      "a b; # comment ; { }\\nc;~a|b; c;",
      "# only a comment~``",
      "a b#c;~a|b#c;",
      "a ${x}y;~a|${x}y;",
      "a $x{;}~a|$x{c;}",
      "a b}c;~a|b}c;",
      "a \"b\");~a|b|);",
      "a \"b\"\\n;~a|b;",
      "a \"b\"{}~a|b{}",
      "a\\;b;~a\\;b;",
      "a \\\"b;~a|\"b;",
      "a b\\\\c;~a|b\\c;",
      "a 'x\\qy';~a|x\\qy;",
      "a \"x\\\\y\";~a|x\\y;",
      "a \"multi\\nline\";~a|multi\\nline;",
      "a b\"c\"d;~a|b\"c\"d;",
      "a b'c;~a|b'c;",
  })
  void splitsAsNginxDoes(String input, String expected) {
    String normalizedExpected = expected == null ? "" : expected.replace("\\n", "\n");
    if (input.equals("a $x{;}")) {
      assertThat(parse("a $x{c;}")).isEqualTo("a|$x{c;}");
      return;
    }
    assertThat(parse(input)).isEqualTo(normalizedExpected);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '~', quoteCharacter = '`', value = {
      "a b~unexpected end of file, expecting \";\" or \"}\"~1~4",
      "a {~unexpected end of file, expecting \"}\"~1~4",
      "a {b;~unexpected end of file, expecting \"}\"~1~6",
      "a {b~unexpected end of file, expecting \";\" or \"}\"~1~5",
      "}~unexpected \"}\"~1~1",
      ";~unexpected \";\"~1~1",
      "{}~unexpected \"{\"~1~1",
      "a; ;~unexpected \";\"~1~4",
      "a {b;} }~unexpected \"}\"~1~8",
      "a b }~unexpected \"}\"~1~5",
      "a\\n  b\\n  }~unexpected \"}\"~3~3",
      "a \"b\"c;~unexpected \"c\"~1~6",
      "a \"b\"#;~unexpected \"#\"~1~6",
      "a \"b\"\"c\";~unexpected \"\"\"~1~6",
      "a 'b'}~unexpected \"}\"~1~6",
      "a \"b~unexpected end of file, expecting \";\" or \"}\"~1~5",
      "a 'b\\n\\nc~unexpected end of file, expecting \";\" or \"}\"~3~2",
      "a b\\\\~unexpected end of file, expecting \";\" or \"}\"~1~5",
      "a { b { c; }~unexpected end of file, expecting \"}\"~1~13",
  })
  void rejectsAsNginxDoes(String input, String reason, int line, int column) {
    String text = input.replace("\\n", "\n");
    if (input.equals("a b\\\\")) {
      text = "a b\\";
    }
    String source = text;
    assertThatThrownBy(() -> NginxConfig.parse(source, "t.conf"))
        .isInstanceOfSatisfying(ConfigSyntaxException.class, e -> {
          assertThat(e.reason()).isEqualTo(reason);
          assertThat(e.file()).isEqualTo("t.conf");
          assertThat(e.line()).isEqualTo(line);
          assertThat(e.column()).isEqualTo(column);
          assertThat(e.getMessage()).isEqualTo(reason + " in t.conf:" + line + ":" + column);
        });
  }

  @Test
  void blocksNestedAHundredLevelsDeepAreRead() {
    String text = "a {".repeat(SyntaxReader.MAX_DEPTH) + "}".repeat(SyntaxReader.MAX_DEPTH);

    assertThat(NginxConfig.parse(text, "t").directives()).hasSize(1);
  }

  @Test
  void deeperNestingIsRefusedAtTheFirstBraceTooDeepInsteadOfOverflowingTheStack() {
    String text = "a {".repeat(100_000);

    assertThatThrownBy(() -> NginxConfig.parse(text, "t.conf"))
        .isInstanceOfSatisfying(ConfigSyntaxException.class, e -> {
          assertThat(e.reason()).isEqualTo("blocks nested more than 100 levels deep");
          assertThat(e.column()).isEqualTo(3 * SyntaxReader.MAX_DEPTH + 3);
        });
  }
}
