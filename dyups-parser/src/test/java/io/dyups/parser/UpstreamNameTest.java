package io.dyups.parser;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Upstream names: when two names are one upstream (nginx folds ASCII letters only), and which characters a name
 * may not hold because a listing would not show them as they are.
 */
class UpstreamNameTest {
  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
      "api,api",
      "API,api",
      "Backend-01.Example,backend-01.example",
      "Äpfel,Äpfel",
      "ÄPFEL,Äpfel",
      "äpfel,äpfel",
      "İstanbul,İstanbul",
      "\u212Aey,\u212Aey",
      "ΣΊΣΥΦΟΣ,ΣΊΣΥΦΟΣ",
  })
  void foldsAsciiLettersOnlyAsNginxDoes(String name, String folded) {
    assertThat(UpstreamBlock.foldName(name)).isEqualTo(folded);
  }

  @Test
  void aNameWithoutCapitalAsciiLettersIsItsOwnFoldedForm() {
    String name = "already-lower-äÖ";

    assertThat(UpstreamBlock.foldName(name)).isSameAs(name);
  }

  @ParameterizedTest(name = "{0} and {1}")
  @CsvSource({
      "Äpfel,äpfel",
      "\u212Aey,key",
      "İ,i",
      "straße,STRASSE",
  })
  void namesThatDifferBeyondAsciiCaseAreTwoUpstreamsInOneFile(String first, String second) {
    String text = "upstream " + first + " { server a; }\nupstream " + second + " { server b; }\n";

    assertThat(NginxConfig.parse(text, "t.conf").upstreams()).extracting(UpstreamBlock::name)
        .containsExactly(first, second);
  }

  @ParameterizedTest(name = "{0} and {1}")
  @CsvSource({
      "api,API",
      "Backend,bACKEND",
      "Äpfel-X,Äpfel-x",
  })
  void namesThatDifferInAsciiCaseOnlyAreADuplicate(String first, String second) {
    String text = "upstream " + first + " { server a; }\nupstream " + second + " { server b; }\n";

    assertThatThrownBy(() -> NginxConfig.parse(text, "t.conf").upstreams())
        .isInstanceOfSatisfying(ConfigSyntaxException.class, e -> {
          assertThat(e.reason()).isEqualTo("duplicate upstream \"" + second + "\"");
          assertThat(e.position()).isEqualTo(new SourcePosition("t.conf", 2, 1));
        });
  }

  @ParameterizedTest(name = "U+{1}")
  @CsvSource({
      "evil\u202Etxt.exe,202E,evil\\u202etxt.exe",
      "a\u202Ab,202A,a\\u202ab",
      "a\u2066b,2066,a\\u2066b",
      "a\u200Bb,200B,a\\u200bb",
      "a\u200Eb,200E,a\\u200eb",
      "'\uFEFFname',FEFF,\\ufeffname",
      "soft\u00ADhyphen,AD,soft\\xadhyphen",
      "a\u061Cb,61C,a\\u061cb",
      "tag\uDB40\uDC01,E0001,tag\\udb40\\udc01",
  })
  void refusesInvisibleFormatCharacters(String name, String codePoint, String shown) {
    assertThatThrownBy(() -> UpstreamBlock.checkName(name))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("invalid upstream name \"" + shown + "\": invisible format character U+" + codePoint);
  }

  @ParameterizedTest(name = "U+{1}")
  @CsvSource({
      "a\u00A0b,A0",
      "a\u2028b,2028",
      "a\u2029b,2029",
      "a\u3000b,3000",
      "a\u0085b,85",
  })
  void refusesSpacesAndSeparatorsThatAreNotAsciiWhitespace(String name, String codePoint) {
    assertThatThrownBy(() -> UpstreamBlock.checkName(name))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageEndingWith(": whitespace or control character");
  }

  @Test
  void aFormatCharacterInANameInAFileIsRefusedWhereTheNameStands() {
    String text = "upstream ok { server a; }\nupstream  a\u202Eb { server b; }\n";

    assertThatThrownBy(() -> NginxConfig.parse(text, "t.conf").upstreams())
        .isInstanceOfSatisfying(ConfigSyntaxException.class, e -> assertThat(e.getMessage())
            .isEqualTo("invalid upstream name \"a\\u202eb\": invisible format character U+202E in t.conf:2:11"));
  }

  @Test
  void aFormatCharacterInARefusedDirectiveIsShownEscaped() {
    assertThatThrownBy(() -> UpstreamBlock.fromCommands("u", "serv\u202Eer a;"))
        .isInstanceOfSatisfying(ConfigSyntaxException.class, e -> assertThat(e.reason())
            .isEqualTo("unknown directive \"serv\\u202eer\""));
  }

  @Test
  void lettersOfOtherScriptsAndSymbolsAreAccepted() {
    for (String name : new String[] {"äpfel", "Äpfel", "東京", "κόσμος", "emoji-\uD83D\uDE80", "a~b", "a+b=c"}) {
      UpstreamBlock.checkName(name);
    }
  }
}
