package io.dyups.parser;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class NginxUnitsTest {
  @ParameterizedTest
  @CsvSource({"75, 75000", "500ms, 500", "1m30s, 90000", "1h, 3600000", "0, 0"})
  void timesReadAsNginxReadsThem(String text, long millis) {
    assertThat(NginxUnits.parseTime(text)).isEqualTo(Duration.ofMillis(millis));
  }

  @ParameterizedTest
  @CsvSource({"10x", "-1s", "s", "30s1m", "''"})
  void timesNginxRejectsAreNull(String text) {
    assertThat(NginxUnits.parseTime(text)).isNull();
  }

  @ParameterizedTest
  @CsvSource({"4096, 4096", "8k, 8192", "1m, 1048576", "2G, 2147483648", "abc, -1", "1t, -1", "'', -1"})
  void sizesReadAsNginxReadsThem(String text, long bytes) {
    assertThat(NginxUnits.parseSize(text)).isEqualTo(bytes);
  }
}
