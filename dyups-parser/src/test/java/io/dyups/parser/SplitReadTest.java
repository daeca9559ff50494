package io.dyups.parser;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A large text is read in two halves at once, cut after a top-level block: the directives, their positions and
 * the first error must be what reading it whole gives, wherever the cut falls.
 */
class SplitReadTest {
  private static String upstreams(int from, int to) {
    StringBuilder out = new StringBuilder();
    for (int i = from; i < to; i++) {
      out.append("upstream u").append(i).append(" {\n    server 10.0.").append(i % 250).append(".1:80 weight=2;\n")
          .append("    server \"10.0.0.2\";\n}\n");
    }
    return out.toString();
  }

  private static List<Directive> whole(byte[] bytes) {
    List<Directive> directives = new ArrayList<>();
    SyntaxReader.read(bytes, "big.conf", directives::add);
    return directives;
  }

  private static byte[] bytes(String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    assertThat(bytes.length).isGreaterThanOrEqualTo(SyntaxReader.SPLIT_SIZE);
    return bytes;
  }

  @Test
  void aLargeFileReadInHalvesGivesWhatReadingItWholeGives() {
    byte[] bytes = bytes(upstreams(0, 70_000) + "# é\nupstream last { server [::1]; }\n");
    int split = SyntaxReader.splitPoint(bytes);

    List<Directive> halves = SyntaxReader.read(bytes, "big.conf");

    assertThat(split).isGreaterThan(bytes.length / 2);
    assertThat(halves).isEqualTo(whole(bytes));
    assertThat(halves.get(halves.size() - 1).position().line()).isEqualTo(4 * 70_000 + 2);
  }

  @Test
  void aCutInsideAQuotedStringOrALuaBlockFallsBackToReadingWhole() {
    String middle = "set $a \"\n}\n\";\ncontent_by_lua_block {\nlocal t = {\n}\n}\n";
    String half = upstreams(0, 35_000);
    byte[] bytes = bytes(half + middle.repeat(40_000) + half);

    assertThat(SyntaxReader.read(bytes, "big.conf")).isEqualTo(whole(bytes));
  }

  @Test
  void anErrorInTheSecondHalfIsTheErrorOfTheWhole() {
    String text = upstreams(0, 60_000) + "upstream x { server a; } }\n" + upstreams(60_000, 70_000);
    byte[] bytes = bytes(text);

    assertThatThrownBy(() -> SyntaxReader.read(bytes, "big.conf"))
        .isInstanceOfSatisfying(ConfigSyntaxException.class, e -> assertThat(e.getMessage())
            .isEqualTo("unexpected \"}\" in big.conf:" + (4 * 60_000 + 1) + ":26"));
  }
}
