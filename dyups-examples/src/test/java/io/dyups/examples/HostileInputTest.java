package io.dyups.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Requests nginx refuses get nginx's answer and a closed connection, and nothing of them reaches the backend:
 * request smuggling (RFC 9112 6.3), malformed heads, limits (large_client_header_buffers 4 8k).
 */
class HostileInputTest {
  @TempDir Path prefix;
  private ProxyFixture fixture;
  private TestBackend backend;

  @BeforeEach
  void start() throws IOException {
    fixture = ProxyFixture.start(prefix, "", "", "", "");
    backend = new TestBackend();
    fixture.upstream("app", "server 127.0.0.1:" + backend.port() + ";");
  }

  @AfterEach
  void stop() throws IOException {
    fixture.close();
    backend.close();
  }

  private static String big(int n) {
    return "a".repeat(n);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      Content-Length and Transfer-Encoding | POST / HTTP/1.1\\r\\nHost: app\\r\\nContent-Length: 5\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n0\\r\\n\\r\\n | 400
      two different Content-Length         | POST / HTTP/1.1\\r\\nHost: app\\r\\nContent-Length: 1\\r\\nContent-Length: 2\\r\\n\\r\\nab | 400
      two equal Content-Length             | POST / HTTP/1.1\\r\\nHost: app\\r\\nContent-Length: 2\\r\\nContent-Length: 2\\r\\n\\r\\nab | 400
      a bad Content-Length                 | POST / HTTP/1.1\\r\\nHost: app\\r\\nContent-Length: 2x\\r\\n\\r\\nab | 400
      chunked then gzip                    | POST / HTTP/1.1\\r\\nHost: app\\r\\nTransfer-Encoding: chunked, gzip\\r\\n\\r\\n0\\r\\n\\r\\n | 501
      identity                             | POST / HTTP/1.1\\r\\nHost: app\\r\\nTransfer-Encoding: identity\\r\\n\\r\\nabc | 501
      xchunked                             | POST / HTTP/1.1\\r\\nHost: app\\r\\nTransfer-Encoding: xchunked\\r\\n\\r\\n0\\r\\n\\r\\n | 501
      Transfer-Encoding in HTTP/1.0        | POST / HTTP/1.0\\r\\nHost: app\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n0\\r\\n\\r\\n | 400
      a bad chunk size                     | POST / HTTP/1.1\\r\\nHost: app\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\nzz\\r\\nabc\\r\\n0\\r\\n\\r\\n | 400
      a bare CR in a header value          | GET / HTTP/1.1\\r\\nHost: app\\r\\nX-A: a\\rb\\r\\n\\r\\n | 400
      a NUL in a header value              | GET / HTTP/1.1\\r\\nHost: app\\r\\nX-A: a\\u0000b\\r\\n\\r\\n | 400
      a space in a header name             | GET / HTTP/1.1\\r\\nHost: app\\r\\nX A: b\\r\\n\\r\\n | 400
      two Host headers                     | GET / HTTP/1.1\\r\\nHost: app\\r\\nHost: other\\r\\n\\r\\n | 400
      HTTP/1.1 without Host                | GET / HTTP/1.1\\r\\n\\r\\n | 400
      an invalid Host                      | GET / HTTP/1.1\\r\\nHost: a/b\\r\\n\\r\\n | 400
      a path above the root                | GET /a/../../etc/passwd HTTP/1.1\\r\\nHost: app\\r\\n\\r\\n | 400
      a target that is not a path          | GET etc HTTP/1.1\\r\\nHost: app\\r\\n\\r\\n | 400
      CONNECT                              | CONNECT / HTTP/1.1\\r\\nHost: app\\r\\n\\r\\n | 405
      CONNECT to an authority              | CONNECT app:443 HTTP/1.1\\r\\nHost: app\\r\\n\\r\\n | 400
      TRACE                                | TRACE / HTTP/1.1\\r\\nHost: app\\r\\n\\r\\n | 405
      HTTP/2.0 in the request line         | GET / HTTP/2.0\\r\\nHost: app\\r\\n\\r\\n | 505
      """)
  void isRefusedAndClosedAndNothingReachesTheBackend(String what, String raw, int status) throws IOException {
    try (RawHttp http = new RawHttp(fixture.front)) {
      http.write(unescape(raw));
      RawHttp.Response response = http.read(false);

      assertThat(response.status()).as(what).isEqualTo(status);
      assertThat(response.headers()).containsEntry("connection", "close");
      assertThat(http.closedByServer()).as("closed").isTrue();
    }
    assertThat(backend.seen).isEmpty();
  }

  @Test
  void aRequestLineOverTheLimitIs414() throws IOException {
    try (RawHttp http = new RawHttp(fixture.front)) {
      http.write("GET /" + big(9000) + " HTTP/1.1\r\nHost: app\r\n\r\n");
      assertThat(http.read(false).status()).isEqualTo(414);
      assertThat(http.closedByServer()).isTrue();
    }
    assertThat(backend.seen).isEmpty();
  }

  @Test
  void aHeaderLineOverTheLimitIs400TooLarge() throws IOException {
    try (RawHttp http = new RawHttp(fixture.front)) {
      http.write("GET / HTTP/1.1\r\nHost: app\r\nX-Big: " + big(9000) + "\r\n\r\n");
      RawHttp.Response response = http.read(false);
      assertThat(response.status()).isEqualTo(400);
      assertThat(response.body()).contains("Request Header Or Cookie Too Large");
      assertThat(http.closedByServer()).isTrue();
    }
  }

  @Test
  void headersOverTheirTotalLimitAre400TooLarge() throws IOException {
    StringBuilder head = new StringBuilder("GET / HTTP/1.1\r\nHost: app\r\n");
    for (int i = 0; i < 6; i++) {
      head.append("X-H").append(i).append(": ").append(big(7000)).append("\r\n");
    }
    try (RawHttp http = new RawHttp(fixture.front)) {
      http.write(head + "\r\n");
      RawHttp.Response response = http.read(false);
      assertThat(response.status()).isEqualTo(400);
      assertThat(response.body()).contains("Request Header Or Cookie Too Large");
    }
  }

  @Test
  void aSmuggledRequestAfterARefusedOneIsNeverServed() throws IOException {
    try (RawHttp http = new RawHttp(fixture.front)) {
      http.write("POST / HTTP/1.1\r\nHost: app\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
          + "0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: app\r\n\r\n");
      assertThat(http.read(false).status()).isEqualTo(400);
      assertThat(http.closedByServer()).isTrue();
    }
    assertThat(backend.seen).isEmpty();
  }

  @Test
  void theAbsoluteFormsHostRoutesTheRequest() throws IOException {
    try (RawHttp http = new RawHttp(fixture.front)) {
      http.write("GET http://app/abs?q=1 HTTP/1.1\r\nHost: nosuch\r\nConnection: close\r\n\r\n");
      RawHttp.Response response = http.read(false);
      assertThat(response.status()).isEqualTo(200);
    }
    assertThat(backend.seen.get(0).requestLine()).isEqualTo("GET /abs?q=1 HTTP/1.0");
  }

  @Test
  void pipelinedRequestsAreAnsweredInOrder() throws IOException {
    try (RawHttp http = new RawHttp(fixture.front)) {
      http.write("GET /1 HTTP/1.1\r\nHost: app\r\n\r\nGET /2 HTTP/1.1\r\nHost: app\r\n\r\n"
          + "GET /3 HTTP/1.1\r\nHost: app\r\nConnection: close\r\n\r\n");
      for (int i = 1; i <= 3; i++) {
        assertThat(http.read(false).body()).contains("GET /" + i + " ");
      }
      assertThat(http.closedByServer()).isTrue();
    }
  }

  private static String unescape(String raw) {
    return raw.replace("\\r", "\r").replace("\\n", "\n").replace("\\u0000", "\0");
  }
}
