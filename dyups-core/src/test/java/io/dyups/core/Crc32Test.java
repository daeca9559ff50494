package io.dyups.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class Crc32Test {
  @ParameterizedTest
  @ValueSource(strings = {"", "a", "ab", "abc", "abcd", "abcde", "/static/item/7919", "héllo wörld", "ключ/путь",
      "emoji \uD83D\uDE00 in a key", "lone \uD800 surrogate", "mixed ascii then é then ascii again"})
  void matchesTheCrc32OfTheUtf8Bytes(String text) {
    assertThat(Crc32.of(text)).isEqualTo(reference(text));
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 31, 64})
  void matchesTheCrc32OfRandomTextOfEveryLength(int length) {
    Random random = new Random(length);
    for (int round = 0; round < 200; round++) {
      StringBuilder text = new StringBuilder();
      for (int i = 0; i < length; i++) {
        // Mostly ASCII, with two- and three-byte characters at random places.
        int kind = random.nextInt(10);
        text.append(kind < 8 ? (char) (0x20 + random.nextInt(0x5F)) : kind == 8 ? 'é' : '€');
      }
      assertThat(Crc32.of(text)).as("%s", text).isEqualTo(reference(text.toString()));
    }
  }

  @Test
  void matchesTheCrc32OfAsciiRunsWithAtMostOneOtherCharacter() {
    Random random = new Random(16);
    for (int length = 0; length < 100; length++) {
      for (int round = 0; round < 20; round++) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < length; i++) {
          text.append((char) (0x20 + random.nextInt(0x5F)));
        }
        if (length > 0 && round % 2 == 1) {
          text.setCharAt(random.nextInt(length), round % 4 == 1 ? 'é' : '€');
        }
        assertThat(Crc32.of(text)).as("%s", text).isEqualTo(reference(text.toString()));
      }
    }
  }

  private static int reference(String text) {
    CRC32 crc = new CRC32();
    crc.update(text.getBytes(StandardCharsets.UTF_8));
    return (int) crc.getValue();
  }
}
