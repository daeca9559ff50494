package io.dyups.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.dyups.core.Result;
import io.dyups.core.StoredUpstream;
import io.dyups.core.Upstream;
import io.dyups.core.UpstreamFile;
import io.dyups.core.UpstreamRegistry;
import io.dyups.parser.UpstreamBlock;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Malformed and hostile commands, names and request targets, from the tables in {@code bad-input/}: each is
 * refused with the right 4xx and a message that says what is wrong and where, through the registry API and as raw
 * bytes through the JDK admin server; afterwards the registry (names, versions, definitions) and the persisted
 * file are byte for byte what they were.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BadInputTest {
  private static final String VALID = "server 10.9.9.9:80;";
  private static final long LIMIT = UpstreamRegistry.DEFAULT_MAX_COMMANDS_SIZE;

  private Path dir;
  private Path file;
  private UpstreamRegistry registry;
  private AdminServer server;
  private String stateBefore;
  private List<StoredUpstream> persistedBefore;

  @BeforeAll
  void start(@TempDir Path tempDir) throws IOException {
    dir = tempDir;
    file = dir.resolve("upstream.conf");
    registry = UpstreamRegistry.builder().persistenceFile(file).build();
    registry.updateUpstream("host1", "server 127.0.0.1:8088;");
    registry.updateUpstream("victim", "least_conn; server 10.0.0.1:80 weight=2; server 10.0.0.2:80 backup;");
    registry.updateUpstream("Mixed.Case-1", "hash $uri consistent; server 10.0.0.3:81;");
    server = AdminServer.builder(AdminHandler.of(registry)).port(0).start();
    stateBefore = state();
    persistedBefore = UpstreamFile.read(file);
  }

  @AfterAll
  void stop() {
    server.stop();
    registry.close();
  }

  private String state() {
    StringBuilder out = new StringBuilder();
    for (Upstream upstream : registry.detail()) {
      out.append(upstream.name()).append(" v").append(upstream.version()).append('\n')
          .append(upstream.definition().toConfig());
    }
    return out.toString();
  }

  /**
   * The temporary files beside the file once no fold is writing one. The registry folds its journal into the file
   * in the background a second after the last change (here, during the rows that follow the setup), and a fold
   * writes the new file under a temporary name before renaming it: seen during that moment, it is not left.
   */
  private List<String> temporaryFiles() throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      List<String> temporary;
      try (Stream<Path> files = Files.list(dir)) {
        temporary = files.map(p -> p.getFileName().toString()).filter(n -> n.contains(".tmp-")).toList();
      }
      if (temporary.isEmpty() || System.nanoTime() > deadline) {
        return temporary;
      }
      Thread.sleep(5);
    }
  }

  private void assertNothingChanged() throws IOException, InterruptedException {
    assertThat(state()).isEqualTo(stateBefore);
    // The file and its journal as the next start reads them (a fold may rewrite the file meanwhile).
    assertThat(UpstreamFile.read(file)).isEqualTo(persistedBefore);
    assertThat(temporaryFiles()).as("no temporary file left").isEmpty();
    assertThat(persistedBefore).hasSize(3);
  }

  // ---- commands -------------------------------------------------------------------------------------------

  record CommandRow(String where, int status, String message, String body) {}

  static Stream<Arguments> commandRows(String except) {
    return BadInputRows.read("/bad-input/commands.tsv", 4).stream()
        .filter(row -> !row[0].equals(except))
        .map(row -> Arguments.of(Named.of(row[0] + " " + row[1] + " " + BadInputRows.display(row[3]),
            new CommandRow(row[0], Integer.parseInt(row[1]), row[2], row[3]))));
  }

  static Stream<Arguments> apiCommands() {
    return commandRows("http");
  }

  static Stream<Arguments> httpCommands() {
    return commandRows("api");
  }

  static Stream<Arguments> oversizedCommands() {
    return commandRows("api").filter(a -> ((CommandRow) ((Named<?>) a.get()[0]).getPayload()).status() == 413);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("apiCommands")
  void registryRefusesTheCommandsSayingWhatAndWhere(CommandRow row) throws Exception {
    Result plain = registry.updateUpstream("victim", BadInputRows.text(row.body()));
    Result versioned = registry.updateUpstream("victim", BadInputRows.text(row.body()),
        registry.find("victim").version());
    Result creating = registry.updateUpstream("fresh", BadInputRows.text(row.body()), UpstreamRegistry.ABSENT);

    for (Result result : List.of(plain, versioned, creating)) {
      assertThat(result.status()).isEqualTo(row.status());
      assertThat(result.message()).contains(row.message());
      assertMessageSaysWhere(row.status(), result.message());
    }
    assertNothingChanged();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("httpCommands")
  void adminServerRefusesTheRawBodySayingWhatAndWhere(CommandRow row) throws Exception {
    byte[] body = BadInputRows.bytes(row.body());

    Response response = post("/upstream/victim", body, false);

    assertThat(response.status()).isEqualTo(row.status());
    assertThat(response.body()).contains(row.message());
    assertMessageSaysWhere(row.status(), response.body());
    assertNothingChanged();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("oversizedCommands")
  void adminServerRefusesAnOversizedChunkedBodyAfterReadingOnlyTheLimit(CommandRow row) throws Exception {
    Response response = post("/upstream/victim", BadInputRows.bytes(row.body()), true);

    assertThat(response.status()).isEqualTo(413);
    assertThat(response.body()).isEqualTo("request body too large: more than " + LIMIT + " bytes, the limit is "
        + LIMIT);
    assertNothingChanged();
  }

  private static void assertMessageSaysWhere(int status, String message) {
    if (status == 400) {
      assertThat(message).as("names the position").containsPattern(" in commands:\\d+:\\d+$")
          .as("short enough to read").hasSizeLessThan(400)
          .as("printable").doesNotContainPattern("[\\x00-\\x1f\\x7f]");
    } else {
      assertThat(message).contains("the limit is " + LIMIT);
    }
  }

  // ---- names and targets ------------------------------------------------------------------------------------

  record NameRow(String kind, String apiStatus, String apiMessage, int httpStatus, String httpMessage,
      String value) {}

  static Stream<Arguments> nameRows(String kind) {
    return BadInputRows.read("/bad-input/names.tsv", 6).stream()
        .filter(row -> row[0].equals(kind))
        .map(row -> Arguments.of(Named.of(row[0] + " " + BadInputRows.display(row[5]),
            new NameRow(row[0], row[1], row[2], row[3].equals("-") ? -1 : Integer.parseInt(row[3]), row[4],
                row[5]))));
  }

  static Stream<Arguments> names() {
    return nameRows("name");
  }

  static Stream<Arguments> httpNames() {
    return nameRows("name").filter(a -> ((NameRow) ((Named<?>) a.get()[0]).getPayload()).httpStatus() > 0);
  }

  static Stream<Arguments> targets() {
    return nameRows("path");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("names")
  void registryRefusesTheName(NameRow row) throws Exception {
    String name = BadInputRows.text(row.value());

    List<Result> results = List.of(
        registry.updateUpstream(name, VALID),
        registry.updateUpstream(name, VALID, UpstreamRegistry.ABSENT),
        registry.updateUpstream(UpstreamBlock.fromCommands("any", VALID).withName(name)));

    for (Result result : results) {
      assertThat(result.status()).isEqualTo(Integer.parseInt(row.apiStatus()));
      assertThat(result.message()).startsWith("invalid upstream name").contains(row.apiMessage())
          .doesNotContainPattern("[\\x00-\\x1f\\x7f]");
    }
    assertThat(registry.find(name)).isNull();
    assertThat(registry.deleteUpstream(name).status()).isEqualTo(404);
    assertNothingChanged();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("httpNames")
  void adminServerRefusesTheNameInThePath(NameRow row) throws Exception {
    String target = "/upstream/" + percentEncode(BadInputRows.bytes(row.value()));

    Response post = post(target, VALID.getBytes(StandardCharsets.UTF_8), false);
    Response get = request("GET", target);
    Response delete = request("DELETE", target);

    assertThat(post.status()).isEqualTo(row.httpStatus());
    assertThat(post.body()).contains(row.httpMessage());
    assertThat(get.status()).isEqualTo(404);
    assertThat(delete.status()).isEqualTo(404);
    assertNothingChanged();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("targets")
  void adminServerRefusesTheRawTarget(NameRow row) throws Exception {
    byte[] target = BadInputRows.bytes(row.value());

    Response post = send("POST", target, VALID.getBytes(StandardCharsets.UTF_8), false);

    assertThat(post.status()).isEqualTo(row.httpStatus());
    assertThat(post.body()).contains(row.httpMessage());
    assertNothingChanged();
  }

  private static String percentEncode(byte[] bytes) {
    StringBuilder out = new StringBuilder();
    for (byte b : bytes) {
      int c = b & 0xff;
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.'
          || c == '_' || c == '~') {
        out.append((char) c);
      } else {
        out.append('%').append(String.format("%02X", c));
      }
    }
    return out.toString();
  }

  // ---- a raw HTTP/1.1 client --------------------------------------------------------------------------------

  record Response(int status, String body) {}

  private Response request(String method, String target) throws IOException {
    return send(method, target.getBytes(StandardCharsets.US_ASCII), null, false);
  }

  private Response post(String target, byte[] body, boolean chunked) throws IOException {
    return send("POST", target.getBytes(StandardCharsets.US_ASCII), body, chunked);
  }

  /**
   * Sends one request on a new connection and reads the answer. A body over the limit is written by another
   * thread, since the server answers before reading it all.
   */
  @SuppressWarnings("try") // closes the socket early to stop the writer thread
  private Response send(String method, byte[] target, byte[] body, boolean chunked) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", server.port())) {
      socket.setSoTimeout(30_000);
      ByteArrayOutputStream head = new ByteArrayOutputStream();
      head.writeBytes(method.getBytes(StandardCharsets.US_ASCII));
      head.write(' ');
      head.writeBytes(target);
      StringBuilder headers = new StringBuilder(" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
      if (body != null) {
        headers.append(chunked ? "Transfer-Encoding: chunked\r\n" : "Content-Length: " + body.length + "\r\n");
      }
      head.writeBytes(headers.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII));
      OutputStream out = socket.getOutputStream();
      out.write(head.toByteArray());
      out.flush();
      Thread writer = null;
      if (body != null) {
        Runnable write = () -> {
          try {
            writeBody(out, body, chunked);
          } catch (IOException e) {
            // The server answered and closed before taking the whole body.
          }
        };
        if (body.length > LIMIT) {
          writer = new Thread(write, "bad-input-body");
          writer.setDaemon(true);
          writer.start();
        } else {
          write.run();
        }
      }
      Response response = read(socket.getInputStream());
      if (writer != null) {
        socket.close();
        try {
          writer.join(30_000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return response;
    }
  }

  private static void writeBody(OutputStream out, byte[] body, boolean chunked) throws IOException {
    if (!chunked) {
      out.write(body);
    } else {
      for (int offset = 0; offset < body.length; offset += 65_536) {
        int length = Math.min(65_536, body.length - offset);
        out.write((Integer.toHexString(length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(body, offset, length);
        out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
      }
      out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    }
    out.flush();
  }

  private static Response read(InputStream in) throws IOException {
    String status = line(in);
    int length = -1;
    for (String header = line(in); !header.isEmpty(); header = line(in)) {
      if (header.regionMatches(true, 0, "Content-Length:", 0, 15)) {
        length = Integer.parseInt(header.substring(15).trim());
      }
    }
    int code = Integer.parseInt(status.split(" ")[1]);
    byte[] body = code == 204 || length == 0 ? new byte[0]
        : length > 0 ? in.readNBytes(length) : in.readAllBytes();
    return new Response(code, new String(body, StandardCharsets.UTF_8));
  }

  private static String line(InputStream in) throws IOException {
    StringBuilder line = new StringBuilder();
    for (int c = in.read(); c != '\n'; c = in.read()) {
      if (c == -1) {
        throw new EOFException("connection closed after \"" + line + "\"");
      }
      if (c != '\r') {
        line.append((char) c);
      }
    }
    return line.toString();
  }
}
