package io.dyups.parser;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Configuration bytes that are not UTF-8: nginx reads bytes, so a Latin-1 comment or quoted string is fine; where
 * a value must be text it is refused with its position, and what is accepted is written back to the same bytes.
 */
class BytesTest {
  @TempDir Path dir;

  private static byte[] bytes(String... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (String part : parts) {
      // "%E9" style escapes stand for single bytes; everything else is UTF-8.
      int i = 0;
      while (i < part.length()) {
        if (part.charAt(i) == '%' && i + 3 <= part.length()) {
          out.write(HexFormat.fromHexDigits(part, i + 1, i + 3));
          i += 3;
        } else {
          int codePoint = part.codePointAt(i);
          out.writeBytes(new String(Character.toChars(codePoint)).getBytes(StandardCharsets.UTF_8));
          i += Character.charCount(codePoint);
        }
      }
    }
    return out.toByteArray();
  }

  private Path file(String name, byte[] content) throws IOException {
    Path file = dir.resolve(name);
    Files.write(file, content);
    return file;
  }

  @Test
  void aLatin1CommentIsSkippedAsNginxSkipsIt() throws IOException {
    Path file = file("upstream.conf", bytes("# Server f%FCr Zahlungen\nupstream pay { server 10.0.0.1; }\n"));

    assertThat(NginxConfig.load(file).upstreams()).extracting(UpstreamBlock::name).containsExactly("pay");
  }

  @Test
  void aLatin1QuotedStringKeepsItsBytesAndIsWrittenBackToThem() {
    byte[] text = bytes("upstream u { server 10.0.0.1; check type=http;",
        " check_http_send \"GET /caf%E9 HTTP/1.0\\r\\n\\r\\n\"; }\n");

    UpstreamBlock block = NginxConfig.parse(text, "u.conf").upstreams().get(0);

    assertThat(NginxConfig.toBytes(block.healthCheck().httpSend()))
        .isEqualTo(bytes("GET /caf%E9 HTTP/1.0\r\n\r\n"));
    assertThat(NginxConfig.parse(NginxConfig.toBytes(block.toConfig()), "again").upstreams())
        .containsExactly(block);
  }

  @Test
  void anIncludedLatin1FileIsRead() throws IOException {
    file("latin1.conf", bytes("# r%E9serv%E9\nupstream a { hash \"$uri%E9\"; server 10.0.0.1; }\n"));
    Path main = file("nginx.conf", bytes("events { }\nhttp { include latin1.conf; }\n"));

    UpstreamBlock block = NginxConfig.load(main).upstreams().get(0);

    assertThat(NginxConfig.toBytes(((Balancing.Hash) block.balancing()).key())).isEqualTo(bytes("$uri%E9"));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '~', value = {
      "upstream caf%E9 { server a; }~invalid upstream name \"caf\\xe9\": byte 0xE9 is not UTF-8~1~10",
      "upstream u {\\n  server unix:/run/caf%E9.sock; }~invalid path in the unix domain socket in upstream "
          + "\"unix:/run/caf\\xe9.sock\": not UTF-8~2~10",
      "upstream u { server caf%E9.example; }~invalid host in upstream \"caf\\xe9.example\"~1~21",
      "upstream u { serv%E9r a; }~unknown directive \"serv\\xe9r\"~1~14",
      "upstream u { server a weight=%FF; }~invalid parameter \"weight=\\xff\"~1~23",
  })
  void whereAValueMustBeTextARawByteIsRefusedWithItsPosition(
      String text, String reason, int line, int column) {
    byte[] input = bytes(text.replace("\\n", "\n"));

    assertThatThrownBy(() -> NginxConfig.parse(input, "f.conf").upstreams())
        .isInstanceOfSatisfying(ConfigSyntaxException.class, e -> {
          assertThat(e.reason()).isEqualTo(reason);
          assertThat(e.position()).isEqualTo(new SourcePosition("f.conf", line, column));
        });
  }

  @Test
  void aFileThatIsNotUtf8NeverGivesAnUndecoratedIoException() throws IOException {
    Path file = file("bad.conf", bytes("upstream u { server 10.0.0.1 ; }\n# %C3%28 %E2%82 %FF\n"));

    assertThat(NginxConfig.load(file).upstreams()).hasSize(1);
  }

  @Test
  void aMainFileThatCannotBeReadIsNamedInTheMessage() {
    assertThatThrownBy(() -> NginxConfig.load(dir))
        .isInstanceOf(IOException.class)
        .hasMessageContaining(dir.toString());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({
      "c3a9,\u00e9",
      "f09f9880,\uD83D\uDE00",
      "c080,\uDCC0\uDC80",
      "eda080,\uDCED\uDCA0\uDC80",
      "f4908080,\uDCF4\uDC90\uDC80\uDC80",
      "e282,\uDCE2\uDC82",
      "ff41,\uDCFFA",
      "c341,\uDCC3A",
  })
  void bytesThatAreNotWellFormedUtf8BecomeOneCharacterEach(String hex, String text) {
    byte[] input = HexFormat.of().parseHex(hex);

    assertThat(ConfigBytes.decode(input, 0, input.length)).isEqualTo(text);
    assertThat(NginxConfig.toBytes(text)).isEqualTo(input);
  }

  @RepeatedTest(200)
  void anyBytesDecodeToTextThatEncodesToTheSameBytes(RepetitionInfo repetition) {
    Random random = new Random(repetition.getCurrentRepetition());
    byte[] input = new byte[random.nextInt(40)];
    for (int i = 0; i < input.length; i++) {
      // Mostly high bytes, so that well-formed and ill-formed sequences mix.
      input[i] = (byte) (random.nextInt(4) == 0 ? random.nextInt(128) : 0x80 + random.nextInt(128));
      if (random.nextInt(8) == 0) {
        input[i] = (byte) (0xC2 + random.nextInt(0x33));
      }
    }

    String text = ConfigBytes.decode(input, 0, input.length);

    assertThat(NginxConfig.toBytes(text)).as("seed %s", repetition.getCurrentRepetition()).isEqualTo(input);
    assertThat(ConfigBytes.firstUnwritable(text)).isEqualTo(-1);
  }

  @Test
  void rawByteCharactersThatTogetherAreUtf8ReadAsTheTextTheyMake() {
    UpstreamBlock block = NginxConfig.parse("upstream caf\uDCC3\uDCA9 { server a; }", "t").upstreams().get(0);

    assertThat(block.name()).isEqualTo("caf\u00e9");
  }

  @Test
  void aLoneSurrogateThatIsNotARawByteHasNoBytes() {
    assertThatThrownBy(() -> NginxConfig.toBytes("a\uD800b"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("U+D800");
    assertThatThrownBy(() -> NginxConfig.parse("a \uDC7F;", "t"))
        .isInstanceOfSatisfying(ConfigSyntaxException.class, e -> assertThat(e.getMessage())
            .isEqualTo("invalid character U+DC7F (a lone surrogate) in t:1:3"));
  }
}
