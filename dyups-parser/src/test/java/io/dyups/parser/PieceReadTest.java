package io.dyups.parser;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A text cut into pieces and parsed on several readers ({@link ReadAhead} with {@link TopLevelSplit}) gives
 * exactly the directives a read of the whole text on one thread gives, with the same positions, in the same
 * order, and the same first error at the same position after the same directives. Texts are cut at every
 * top-level line they allow (pieces of one byte and more), so that cuts fall after comments holding braces,
 * strings holding braces and newlines, words ending in a brace, and right before errors.
 */
class PieceReadTest {
  private record Outcome(List<Directive> directives, @Nullable String error) {}

  private static Outcome wholeOnOneThread(byte[] bytes) {
    List<Directive> directives = new ArrayList<>();
    try {
      SyntaxReader.read(bytes, "t.conf", directives::add);
    } catch (ConfigSyntaxException e) {
      return new Outcome(directives, e.getMessage());
    }
    return new Outcome(directives, null);
  }

  private static Outcome inPieces(byte[] bytes, int pieceSize, int readers) {
    List<Directive> directives = new ArrayList<>();
    try {
      ReadAhead.read(bytes, "t.conf", directives::add, 0, pieceSize, readers);
    } catch (ConfigSyntaxException e) {
      return new Outcome(directives, e.getMessage());
    }
    return new Outcome(directives, null);
  }

  /** Top-level pieces of text: valid ones, ones a naive brace count gets wrong, and ones nginx rejects. */
  private static final String[] FRAGMENTS = {
      "upstream u%d {\n    server 10.0.0.1:80 weight=2;\n    server 10.0.0.2 backup;\n}\n",
      "upstream u%d { server 10.0.0.3; } upstream v%d { server 10.0.0.4; }\n",
      "# a comment with braces } { and a \"quote\n",
      "log_format f%d '$remote_addr { \"$request\" }\n  ;';\n",
      "map $host $m%d {\n    default \"}\";\n    ~^a\\{ 1;\n}\n",
      "set $v \"${host}}\";\n",
      "word} other#not_a_comment x;\n",
      "http {\n    server {\n        location ~ \"\\}$\" {\n            return 200 \"}\n{\";\n        }\n    }\n}\n",
      "a \\\n b;\n",
      "content_by_lua_block {\n  local s = \"}\"  -- }\n  if x then y() end\n}\nafter%d;\n",
      "\"content_by_lua_block\" { ngx.say(\"}\") }\n",
      "eof_in_word",
      "}\n",
      "unclosed {\n",
      "\"open string\n",
      "x \"a\"b;\n",
      "missing_semicolon\n}\n",
      "\t\r\n",
      "caf\u00e9 \u00e9t\u00e9;\n",
  };

  private static String randomText(Random random) {
    StringBuilder text = new StringBuilder();
    int fragments = 1 + random.nextInt(14);
    for (int i = 0; i < fragments; i++) {
      // Mostly the first fragments, which nginx accepts, so that most texts read far before an error, if any.
      int pick = random.nextInt(3) == 0 ? random.nextInt(FRAGMENTS.length) : random.nextInt(11);
      text.append(FRAGMENTS[pick].replace("%d", Integer.toString(i)));
    }
    return text.toString();
  }

  @RepeatedTest(1000)
  void aTextReadInPiecesOnSeveralReadersGivesWhatAWholeReadGives(RepetitionInfo repetition) {
    int seed = repetition.getCurrentRepetition();
    Random random = new Random(seed);
    String text = randomText(random);
    byte[] bytes = NginxConfig.toBytes(text);
    int pieceSize = 1 + random.nextInt(64);
    int readers = 1 + random.nextInt(3);
    System.out.printf("seed %d: pieces of %d bytes, %d readers%n", seed, pieceSize, readers);

    Outcome whole = wholeOnOneThread(bytes);
    Outcome pieces = inPieces(bytes, pieceSize, readers);

    assertThat(pieces).as("seed %s, pieces of %s bytes, %s readers:%n%s", seed, pieceSize, readers, text)
        .isEqualTo(whole);
  }

  static Stream<Path> seedsAndConfigs() throws IOException, URISyntaxException {
    List<Path> files = new ArrayList<>();
    for (String dir : List.of("/configs", "/io/dyups/parser/ParserFuzzTestInputs")) {
      Path root = Paths.get(Objects.requireNonNull(PieceReadTest.class.getResource(dir)).toURI());
      try (Stream<Path> walk = Files.walk(root)) {
        walk.filter(Files::isRegularFile).sorted().forEach(files::add);
      }
    }
    assertThat(files).hasSizeGreaterThan(40);
    return files.stream();
  }

  @ParameterizedTest
  @MethodSource("seedsAndConfigs")
  void everyFuzzSeedAndTestConfigReadsInPiecesAsAWhole(Path file) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    // The text seeds are read as text; reading their bytes covers both, since text is read as its bytes.
    Outcome whole = wholeOnOneThread(bytes);

    for (int pieceSize : new int[] {1, 7, 100}) {
      assertThat(inPieces(bytes, pieceSize, 2))
          .as("%s in pieces of %s bytes:%n%s", file, pieceSize, new String(bytes, StandardCharsets.UTF_8))
          .isEqualTo(whole);
    }
  }
}
