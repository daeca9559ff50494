package io.dyups.parser;

import static org.assertj.core.api.Assertions.assertThat;

import io.dyups.parser.internal.NginxLexer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.antlr.v4.runtime.Lexer;
import org.antlr.v4.runtime.Token;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The parser's lexer steps over whitespace and comments itself ({@code SyntaxReader.ReusingLexer}); the grammar's
 * own lexer, which matches them as {@code WS} and {@code COMMENT} tokens, must give the same tokens at the same
 * places for every input.
 */
class LexerTest {
  /** A token as the parser sees it: type, bytes and the line and column it starts at. */
  private record Seen(int type, int start, int stop, int line, int column) {}

  private static List<Seen> tokens(Lexer lexer) {
    List<Seen> seen = new ArrayList<>();
    while (true) {
      Token token = lexer.nextToken();
      seen.add(new Seen(token.getType(), token.getStartIndex(), token.getStopIndex(), token.getLine(),
          token.getCharPositionInLine()));
      if (token.getType() == Token.EOF) {
        return seen;
      }
    }
  }

  private static void assertSameTokens(byte[] bytes, String what) {
    NginxLexer grammar = new NginxLexer(new ByteCharStream(bytes, 0, bytes.length, "t"));
    grammar.removeErrorListeners();
    SyntaxReader.ReusingLexer reusing = new SyntaxReader.ReusingLexer(new ByteCharStream(bytes, 0, bytes.length, "t"));
    reusing.removeErrorListeners();

    assertThat(tokens(reusing)).as(what).isEqualTo(tokens(grammar));
  }

  static Stream<Path> files() throws IOException {
    List<Path> files = new ArrayList<>();
    for (String root : List.of("configs", "io/dyups/parser/ParserFuzzTestInputs")) {
      Path dir = Path.of("src/test/resources", root);
      try (Stream<Path> walk = Files.walk(dir)) {
        walk.filter(Files::isRegularFile).sorted().forEach(files::add);
      }
    }
    assertThat(files).hasSizeGreaterThan(40);
    return files.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("files")
  void readsEveryTestFileAsTheGrammarDoes(Path file) {
    try {
      assertSameTokens(Files.readAllBytes(file), file.toString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Random text over the characters the lexer's rules turn on, and bytes that are not UTF-8. */
  @RepeatedTest(500)
  void readsRandomTextAsTheGrammarDoes(RepetitionInfo repetition) {
    Random random = new Random(repetition.getCurrentRepetition());
    String alphabet = " \t\r\n\n##;;{}\"'\\$abc=:.\u00e9";
    StringBuilder text = new StringBuilder();
    int length = random.nextInt(80);
    for (int i = 0; i < length; i++) {
      text.append(alphabet.charAt(random.nextInt(alphabet.length())));
    }
    byte[] bytes = NginxConfig.toBytes(text.toString());
    if (bytes.length > 0 && random.nextInt(4) == 0) {
      bytes[random.nextInt(bytes.length)] = (byte) (0x80 + random.nextInt(128));
    }

    assertSameTokens(bytes, "seed " + repetition.getCurrentRepetition() + ": " + ConfigBytes.decode(bytes, 0,
        bytes.length));
  }
}
