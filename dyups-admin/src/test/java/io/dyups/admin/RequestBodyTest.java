package io.dyups.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Bodies of a declared length and chunked ones, however the network splits their bytes. */
class RequestBodyTest {
  private static final String CHUNKED = "5;ext=\"a b\"\r\nhello\r\n1\n \r\n6\r\nworld!\r\n0\r\nTrailer: x\r\n\r\nNEXT";

  private static ByteBuffer bytes(String text) {
    return ByteBuffer.wrap(text.getBytes(StandardCharsets.ISO_8859_1));
  }

  @ParameterizedTest(name = "{0} bytes at a time")
  @ValueSource(ints = {1, 2, 3, 7, 1000})
  void aChunkedBodyIsTheSameHoweverItIsSplit(int step) {
    RequestBody body = RequestBody.chunked(100);
    byte[] all = CHUNKED.getBytes(StandardCharsets.ISO_8859_1);
    ByteBuffer in = ByteBuffer.allocate(all.length);
    boolean done = false;
    int fed = 0;
    while (fed < all.length && !done) {
      int n = Math.min(step, all.length - fed);
      in.put(all, fed, n).flip();
      fed += n;
      done = body.feed(in);
      in.compact();
    }
    in.put(all, fed, all.length - fed);

    assertThat(done).isTrue();
    assertThat(body.complete()).isTrue();
    assertThat(new String(body.bytes(), StandardCharsets.US_ASCII)).isEqualTo("hello world!");
    in.flip();
    assertThat(StandardCharsets.US_ASCII.decode(in).toString()).isEqualTo("NEXT");
  }

  @Test
  void aChunkedBodyOverTheLimitStopsAtTheLimitPlusOne() {
    RequestBody body = RequestBody.chunked(4);

    assertThat(body.feed(bytes("a\r\n0123456789\r\n0\r\n\r\n"))).isTrue();
    assertThat(body.complete()).isFalse();
    assertThat(body.bytes()).hasSize(5);
  }

  @Test
  void aBodyOfADeclaredLengthLeavesWhatFollows() {
    RequestBody body = RequestBody.ofLength(5, 10);
    ByteBuffer in = bytes("helloGET");

    assertThat(body.feed(in)).isTrue();
    assertThat(new String(body.bytes(), StandardCharsets.US_ASCII)).isEqualTo("hello");
    assertThat(in.remaining()).isEqualTo(3);
  }

  @ParameterizedTest
  @ValueSource(strings = {"x\r\n", ";\r\n", "5\r\nhelloX", "5\r\nhello\rX", "fffffffffffffffff\r\n", "-1\r\n"})
  void aMalformedChunkIs400(String chunks) {
    assertThatThrownBy(() -> RequestBody.chunked(100).feed(bytes(chunks)))
        .isInstanceOfSatisfying(HttpError.class, e -> assertThat(e.status()).isEqualTo(400));
  }
}
