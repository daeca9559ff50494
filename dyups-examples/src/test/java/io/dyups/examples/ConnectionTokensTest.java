package io.dyups.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.HttpHeaders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConnectionTokensTest {
  @ParameterizedTest(name = "\"{0}\" -> {1}")
  @CsvSource(delimiter = '|', value = {
      "keep-alive | false", "Keep-Alive | false", "' keep-alive , ' | false", "'' | false", "' , ' | false",
      "close | true", "keep-alive, Upgrade | true", "x-foo | true", "keep-alivex | true"})
  void namesHeadersOtherThanKeepAliveOnly(String value, boolean names) {
    assertThat(ConnectionTokens.namesHeaders(value)).isEqualTo(names);
  }

  @ParameterizedTest(name = "\"{0}\" has {1}: {2}")
  @CsvSource(delimiter = '|', value = {
      "keep-alive, X-Foo | x-foo | true", "X-FOO | x-foo | true", "' x-foo ' | X-Foo | true",
      "x-foo2 | x-foo | false", "x-fo | x-foo | false", "a,,x-foo | x-foo | true", "'' | x-foo | false"})
  void containsATokenWhateverItsCaseAndSpaces(String value, String name, boolean contains) {
    assertThat(ConnectionTokens.contains(value, name)).isEqualTo(contains);
  }

  @Test
  void removesEveryHeaderTheValueNamesAndNothingElse() {
    HttpHeaders headers = DefaultHttpHeadersFactory.headersFactory().newHeaders()
        .add("X-Foo", "1").add("X-Bar", "2").add("X-Kept", "3").add("Close", "4");
    ConnectionTokens.removeNamed(" x-foo ,close,, X-BAR", headers);
    assertThat(headers.names()).containsExactly("X-Kept");
  }
}
