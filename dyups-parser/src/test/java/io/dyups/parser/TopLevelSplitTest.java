package io.dyups.parser;

import static org.assertj.core.api.Assertions.assertThat;

import io.dyups.parser.TopLevelSplit.Piece;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Where {@link TopLevelSplit} cuts, with pieces of one byte (a cut at every line start it finds safe): only at the
 * start of a line outside every block and every directive, as nginx's tokenizer reads the text ('|' marks each
 * cut in the table, '~' stands for a newline), and no further cut after a Lua block or a stray brace.
 */
class TopLevelSplitTest {
  private static String cuts(String text) {
    byte[] bytes = NginxConfig.toBytes(text);
    TopLevelSplit split = new TopLevelSplit(bytes, 1);
    List<Piece> pieces = new ArrayList<>();
    for (Piece piece = split.next(); piece != null; piece = split.next()) {
      pieces.add(piece);
    }
    StringBuilder marked = new StringBuilder();
    int line = 1;
    for (Piece piece : pieces) {
      if (piece.offset() > 0) {
        marked.append('|');
      }
      assertThat(piece.line()).as("line of the piece at %s", piece.offset()).isEqualTo(line);
      String part = new String(bytes, piece.offset(), piece.length(), java.nio.charset.StandardCharsets.UTF_8);
      line += (int) part.chars().filter(c -> c == '\n').count();
      marked.append(part);
    }
    return marked.toString().replace('\n', '~');
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '@', quoteCharacter = '`', value = {
      "a;~b;~                                   @ a;~|b;~",
      "u {~s;~}~v;~                             @ u {~s;~}~|v;~",
      "# } {~a;~                                @ # } {~|a;~",
      "a # {~;~b;~                              @ a # {~;~|b;~",
      "a \"}~{\";~b;~                           @ a \"}~{\";~|b;~",
      "a '}~' {~}~b;~                           @ a '}~' {~}~|b;~",
      "a \"\\\"}~\";~b;~                        @ a \"\\\"}~\";~|b;~",
      "a}~;~b;~                                 @ a}~;~|b;~",
      "a ${x}~;~b;~                             @ a ${x}~;~|b;~",
      "a \\{~;~b;~                              @ a \\{~;~|b;~",
      "x {~  y {~  }~}~z;~                      @ x {~  y {~  }~}~|z;~",
      "content_by_lua_block {~}~a;~b;~          @ content_by_lua_block {~}~a;~b;~",
      "a;~\"x\" {~}~b;~                         @ a;~|\"x\" {~}~b;~",
      "a;~}~b;~c;~                              @ a;~|}~b;~c;~",
      "a;                                       @ a;",
  })
  void cutsFallOnlyAtTopLevelLineStarts(String text, String expected) {
    assertThat(cuts(text.strip().replace('~', '\n'))).isEqualTo(expected.strip());
  }
}
