package io.dyups.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.util.AsciiString;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HeaderNameSetTest {
  private static final HeaderNameSet SET = new HeaderNameSet(AsciiString.cached("host"),
      AsciiString.cached("content-length"), AsciiString.cached("x-accel-expires"));

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
      "host, 0", "HOST, 0", "Host, 0", "content-length, 1", "Content-Length, 1", "X-Accel-Expires, 2",
      "hose, -1", "content-lengtx, -1", "hos, -1", "x, -1", "'', -1"})
  void findsANameWhateverItsCaseAndNothingElse(String name, int index) {
    assertThat(SET.indexOf(name)).isEqualTo(index);
  }

  @Test
  void aNameLongerThanAnyLengthBitIsNoneOfThem() {
    assertThat(SET.indexOf("x".repeat(70))).isEqualTo(-1);
  }

  @Test
  void moreThan32NamesAreRefused() {
    AsciiString[] names = new AsciiString[33];
    for (int i = 0; i < names.length; i++) {
      names[i] = AsciiString.cached("h" + i);
    }
    assertThatThrownBy(() -> new HeaderNameSet(names)).isInstanceOf(IllegalArgumentException.class);
  }
}
