package io.dyups.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.dyups.core.UpstreamRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * AdminServer against slow and hostile clients, over real sockets: deadlines per connection for the head and the
 * body, connections that wait without holding a thread, a bounded number of connections, bodies over the limit,
 * and request heads nginx refuses (transfer codings, duplicates, smuggling patterns).
 */
class AdminServerHostileClientTest {
  private static final String SERVERS = "server 127.0.0.1:8089;";
  private static final int LIMIT = 1024;
  private UpstreamRegistry registry;
  private AdminServer server;
  private final List<Socket> sockets = new ArrayList<>();

  @BeforeEach
  void start() {
    registry = UpstreamRegistry.builder().maxCommandsSize(LIMIT).build();
    registry.updateUpstream("host1", "server 127.0.0.1:8088;");
  }

  @AfterEach
  void stop() throws IOException {
    for (Socket socket : sockets) {
      socket.close();
    }
    if (server != null) {
      server.stop();
    }
    registry.close();
  }

  private void serve(AdminServer.Builder builder) {
    server = builder.start();
  }

  private AdminServer.Builder builder() {
    return AdminServer.builder(AdminHandler.of(registry)).port(0);
  }

  private Socket connect() throws IOException {
    Socket socket = new Socket("127.0.0.1", server.port());
    socket.setSoTimeout(10_000);
    sockets.add(socket);
    return socket;
  }

  private static void write(Socket socket, String text) throws IOException {
    OutputStream out = socket.getOutputStream();
    out.write(text.getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
  }

  /** Sends {@code request} on a new connection and reads until the server closes it. */
  private String exchange(String request) throws IOException {
    Socket socket = connect();
    write(socket, request);
    return readAll(socket);
  }

  private static String readAll(Socket socket) throws IOException {
    ByteArrayOutputStream answer = new ByteArrayOutputStream();
    InputStream in = socket.getInputStream();
    byte[] buffer = new byte[4096];
    try {
      for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
        answer.write(buffer, 0, n);
      }
    } catch (SocketException e) {
      // Reset after the answer: what arrived is the answer.
    }
    return answer.toString(StandardCharsets.ISO_8859_1);
  }

  /** Reads one answer (status line, fields, Content-Length body) from a connection that stays open. */
  private static String readOne(Socket socket) throws IOException {
    InputStream in = socket.getInputStream();
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("closed after " + head);
      }
      head.append((char) b);
    }
    int length = 0;
    for (String line : head.toString().split("\r\n")) {
      if (line.regionMatches(true, 0, "Content-Length:", 0, 15)) {
        length = Integer.parseInt(line.substring(15).trim());
      }
    }
    return head + new String(in.readNBytes(length), StandardCharsets.ISO_8859_1);
  }

  /** Whether the server closed the connection within {@code seconds}, while the client keeps quiet. */
  private static boolean closedWithin(Socket socket, int seconds) throws IOException {
    return closedWithinMillis(socket, seconds * 1000);
  }

  private static boolean closedWithinMillis(Socket socket, int millis) throws IOException {
    socket.setSoTimeout(millis);
    try {
      return socket.getInputStream().read() < 0;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (SocketException e) {
      return true;
    }
  }

  @Test
  void aHeadSentOneLineAtATimeIsClosedAtItsDeadline() throws Exception {
    serve(builder().headerTimeout(Duration.ofSeconds(1)));
    Socket socket = connect();
    write(socket, "GET /list HTTP/1.1\r\nHost: x\r\n");
    long started = System.nanoTime();

    // A line every 200 ms would renew a per-read timeout for ever; the head's deadline is counted once.
    boolean closed = false;
    while (!closed && System.nanoTime() - started < TimeUnit.SECONDS.toNanos(8)) {
      try {
        write(socket, "X-Slow: " + System.nanoTime() + "\r\n");
        closed = closedWithinMillis(socket, 200);
      } catch (SocketException e) {
        closed = true;
      }
    }

    assertThat(closed).as("closed while the client still sent lines").isTrue();
    assertThat(System.nanoTime() - started).isLessThan(TimeUnit.SECONDS.toNanos(8));
  }

  @Test
  void aBodySentByteByByteIsClosedAtItsDeadlineAndChangesNothing() throws Exception {
    serve(builder().bodyTimeout(Duration.ofSeconds(1)));
    Socket socket = connect();
    write(socket, "POST /upstream/slow HTTP/1.1\r\nHost: x\r\nContent-Length: 200\r\n\r\nserver");
    long started = System.nanoTime();

    boolean closed = false;
    for (int i = 0; i < 150 && !closed; i++) {
      try {
        write(socket, " ");
        Thread.sleep(50);
      } catch (SocketException e) {
        closed = true;
      }
    }
    closed = closed || closedWithin(socket, 5);

    assertThat(closed).isTrue();
    assertThat(System.nanoTime() - started).isLessThan(TimeUnit.SECONDS.toNanos(7));
    assertThat(registry.find("slow")).isNull();
  }

  @Test
  void manyStalledConnectionsDoNotKeepAnotherClientWaiting() throws Exception {
    serve(builder().threads(2));
    for (int i = 0; i < 60; i++) {
      Socket socket = connect();
      if (i % 3 == 1) {
        write(socket, "POST /upstream/x HTTP/1.1\r\nHost: x\r\n");
      } else if (i % 3 == 2) {
        write(socket, "POST /upstream/x HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nserver");
      }
    }

    HttpResponse<String> response = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/list"))
            .timeout(Duration.ofSeconds(5)).build(),
        HttpResponse.BodyHandlers.ofString());

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).isEqualTo("host1\n");
  }

  @Test
  void atTheConnectionLimitTheLongestIdleConnectionMakesRoom() throws Exception {
    serve(builder().maxConnections(2));
    Socket idle = connect();
    write(idle, "GET /list HTTP/1.1\r\nHost: x\r\n\r\n");
    assertThat(readOne(idle)).startsWith("HTTP/1.1 200");
    Socket stalled = connect();
    write(stalled, "GET /list HTTP/1.1\r\n");

    String answer = exchange("GET /list HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");

    assertThat(answer).startsWith("HTTP/1.1 200");
    assertThat(closedWithin(idle, 5)).isTrue();
  }

  @Test
  void atTheConnectionLimitAConnectionIdleSinceEarlierGoesBeforeOneJustAccepted() throws Exception {
    // The header timeout (10 s) is shorter than the idle one (30 s): ordering by deadline would pick the newer.
    serve(builder().maxConnections(2));
    Socket idle = connect();
    write(idle, "GET /list HTTP/1.1\r\nHost: x\r\n\r\n");
    assertThat(readOne(idle)).startsWith("HTTP/1.1 200");
    Socket silent = connect();
    Thread.sleep(200);

    String answer = exchange("GET /list HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");

    assertThat(answer).startsWith("HTTP/1.1 200");
    assertThat(closedWithin(idle, 5)).isTrue();
    write(silent, "GET /list HTTP/1.1\r\nHost: x\r\n\r\n");
    assertThat(readOne(silent)).startsWith("HTTP/1.1 200");
  }

  @Test
  void atTheConnectionLimitWithNoIdleConnectionANewOneIsClosed() throws Exception {
    serve(builder().maxConnections(2));
    // Two requests begun, each known to the server: it answered their heads with 100 Continue and waits for the
    // bodies (a head sent and not yet read would leave the connection idle in the server's eyes, free to reuse).
    for (int i = 0; i < 2; i++) {
      Socket busy = connect();
      write(busy, "POST /upstream/u" + i + " HTTP/1.1\r\nHost: x\r\nContent-Length: 20\r\n"
          + "Expect: 100-continue\r\n\r\n");
      assertThat(readOne(busy)).startsWith("HTTP/1.1 100");
    }

    String answer;
    try {
      answer = exchange("GET /list HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    } catch (SocketException e) {
      answer = "";
    }

    assertThat(answer).isEmpty();
  }

  @Test
  void aBodyDeclaredOverTheLimitIs413BeforeItIsSent() throws Exception {
    serve(builder());
    Socket socket = connect();
    write(socket, "POST /upstream/big HTTP/1.1\r\nHost: x\r\nContent-Length: " + (LIMIT + 1) + "\r\n\r\n");

    String answer = readAll(socket);

    assertThat(answer).startsWith("HTTP/1.1 413").contains("Connection: close")
        .endsWith("request body too large: 1025 bytes, the limit is 1024");
    assertThat(registry.find("big")).isNull();
  }

  @Test
  void aChunkedBodyOverTheLimitIs413() throws Exception {
    serve(builder());
    String chunk = "server 10.0.0.1;".repeat(40);

    String answer = exchange("POST /upstream/big HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        + Integer.toHexString(chunk.length()) + "\r\n" + chunk + "\r\n"
        + Integer.toHexString(chunk.length()) + "\r\n" + chunk + "\r\n0\r\n\r\n");

    assertThat(answer).startsWith("HTTP/1.1 413").contains("more than 1024 bytes");
    assertThat(registry.find("big")).isNull();
  }

  @Test
  void aRequestRefusedByTheTokenIs401BeforeItsBodyIsSent() throws Exception {
    serve(AdminServer.builder(AdminHandler.builder(registry).bearerToken("s3cret").build()).port(0));
    Socket socket = connect();
    write(socket, "POST /upstream/x HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n");

    assertThat(readAll(socket)).startsWith("HTTP/1.1 401");
  }

  @Test
  void aChunkedBodyWithExtensionsAndTrailersIsDecoded() throws Exception {
    serve(builder());

    String answer = exchange("POST /upstream/chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n"
        + "Connection: close\r\n\r\n"
        + "7;name=value\r\nserver \r\n"
        + "9\n127.0.0.1\r\n"
        + "1\r\n;\r\n"
        + "0\r\nX-Trailer: t\r\n\r\n");

    assertThat(answer).startsWith("HTTP/1.1 200").endsWith("success");
    assertThat(registry.find("chunked").peers().asList().get(0).address().toString()).isEqualTo("127.0.0.1:80");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "another transfer coding | POST / HTTP/1.1\\r\\nHost: x\\r\\nTransfer-Encoding: gzip\\r\\n\\r\\n | 501",
      "chunked not alone | POST / HTTP/1.1\\r\\nHost: x\\r\\nTransfer-Encoding: gzip, chunked\\r\\n\\r\\n | 501",
      "chunked and Content-Length | POST / HTTP/1.1\\r\\nHost: x\\r\\nTransfer-Encoding: chunked\\r\\nContent-Length: 3\\r\\n\\r\\nabc | 400",
      "chunked in HTTP/1.0 | POST / HTTP/1.0\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n0\\r\\n\\r\\n | 400",
      "two Transfer-Encoding lines | POST / HTTP/1.1\\r\\nHost: x\\r\\nTransfer-Encoding: chunked\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n | 400",
      "two Content-Length lines | POST / HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 3\\r\\ncontent-length: 3\\r\\n\\r\\nabc | 400",
      "a Content-Length list | POST / HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 3, 3\\r\\n\\r\\nabc | 400",
      "a negative Content-Length | POST / HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: -1\\r\\n\\r\\n | 400",
      "a bad chunk size | POST /upstream/x HTTP/1.1\\r\\nHost: x\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\nzz\\r\\n | 400",
      "a chunk without its CRLF | POST /upstream/x HTTP/1.1\\r\\nHost: x\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n3\\r\\nabcX | 400",
      "HTTP/1.1 without Host | GET /list HTTP/1.1\\r\\n\\r\\n | 400",
      "two Host lines | GET /list HTTP/1.1\\r\\nHost: x\\r\\nHost: y\\r\\n\\r\\n | 400",
      "a folded line | GET /list HTTP/1.1\\r\\nHost: x\\r\\nX-A: 1\\r\\n  2\\r\\n\\r\\n | 400",
      "a space before the colon | GET /list HTTP/1.1\\r\\nHost : x\\r\\n\\r\\n | 400",
      "a bare CR | GET /list HTTP/1.1\\r\\nHost: x\\rX-A: 1\\r\\n\\r\\n | 400",
      "HTTP/2.0 | GET /list HTTP/2.0\\r\\nHost: x\\r\\n\\r\\n | 505",
      "no version | GET /list\\r\\n\\r\\n | 400",
      "a lower-case method | get /list HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n | 400",
      "HTTP/1.0 without Host | GET /list HTTP/1.0\\r\\n\\r\\n | 200",
      "bare LF line ends | GET /list HTTP/1.1\\nHost: x\\nConnection: close\\n\\n | 200",
      "empty lines before the request line | \\r\\n\\r\\nGET /list HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n | 200",
  })
  void headsAreReadAsNginxReadsThem(String what, String request, int status) throws Exception {
    serve(builder());

    String answer = exchange(request.strip().replace("\\r", "\r").replace("\\n", "\n"));

    assertThat(answer).startsWith("HTTP/1.1 " + status + " ");
    assertThat(registry.list()).containsExactly("host1");
  }

  @Test
  void aRequestLineOver8KiBIs414() throws Exception {
    serve(builder());

    assertThat(exchange("GET /" + "a".repeat(AdminServer.MAX_REQUEST_LINE) + " HTTP/1.1\r\n"))
        .startsWith("HTTP/1.1 414 ");
  }

  @Test
  void aHeadOver16KiBIs400() throws Exception {
    serve(builder());

    assertThat(exchange("GET /list HTTP/1.1\r\n" + ("X-Long: " + "a".repeat(1000) + "\r\n").repeat(17)))
        .startsWith("HTTP/1.1 400 ");
  }

  @Test
  void pipelinedRequestsAreAnsweredInOrder() throws Exception {
    serve(builder());
    Socket socket = connect();
    write(socket, "POST /upstream/p HTTP/1.1\r\nHost: x\r\nContent-Length: " + SERVERS.length() + "\r\n\r\n"
        + SERVERS + "GET /upstream/p HTTP/1.1\r\nHost: x\r\n\r\nGET /list HTTP/1.1\r\nHost: x\r\n\r\n");

    assertThat(readOne(socket)).startsWith("HTTP/1.1 200").endsWith("success");
    assertThat(readOne(socket)).startsWith("HTTP/1.1 200").endsWith("server 127.0.0.1:8089\n");
    assertThat(readOne(socket)).startsWith("HTTP/1.1 200").endsWith("host1\np\n");
  }

  @Test
  void expectContinueGets100BeforeTheBodyIsSent() throws Exception {
    serve(builder());
    Socket socket = connect();
    write(socket, "POST /upstream/e HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: "
        + SERVERS.length() + "\r\n\r\n");
    byte[] interim = socket.getInputStream().readNBytes("HTTP/1.1 100 Continue\r\n\r\n".length());
    write(socket, SERVERS);

    assertThat(new String(interim, StandardCharsets.US_ASCII)).isEqualTo("HTTP/1.1 100 Continue\r\n\r\n");
    assertThat(readOne(socket)).startsWith("HTTP/1.1 200").endsWith("success");
  }

  @Test
  void anIdleKeepAliveConnectionIsClosedAfterTheIdleTimeout() throws Exception {
    serve(builder().idleTimeout(Duration.ofSeconds(1)));
    Socket socket = connect();
    write(socket, "GET /list HTTP/1.1\r\nHost: x\r\n\r\n");
    assertThat(readOne(socket)).startsWith("HTTP/1.1 200");

    assertThat(closedWithin(socket, 5)).isTrue();
  }

  @Test
  void aServerSetsNoSystemProperty() {
    Properties before = new Properties();
    before.putAll(System.getProperties());

    serve(builder());

    assertThat(System.getProperties()).isEqualTo(before);
  }
}
