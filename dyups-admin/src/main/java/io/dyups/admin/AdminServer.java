package io.dyups.admin;

import static com.google.common.base.Preconditions.checkArgument;
import static java.util.Objects.requireNonNull;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * Serves an {@link AdminHandler} over HTTP/1.1: a small server of its own on the JDK's non-blocking sockets, with
 * one thread that reads and writes every connection and a few threads that run the handler.
 *
 * <p>Safe by default: it binds 127.0.0.1 unless given another address, and it holds against slow and hostile
 * clients the way nginx does, per connection and without JVM-wide settings. A request head must arrive whole
 * within {@link Builder#headerTimeout} of its first byte (of the connection, for the first request; nginx's {@code
 * client_header_timeout}, counted once, not renewed by each line), a body within {@link Builder#bodyTimeout}, an
 * answer must be taken within {@link Builder#sendTimeout}, and an idle keep-alive connection is closed after
 * {@link Builder#idleTimeout}; a connection past its time is closed without an answer, as nginx closes it. A
 * waiting connection costs a buffer and no thread, so clients that trickle bytes do not keep others from being
 * served. At most {@link Builder#maxConnections} are open: when full, the connection that has waited longest for
 * the first byte of a request makes room (nginx reuses such connections), else the new one is closed. Answers are
 * sent with {@code TCP_NODELAY}, each in one write, except a {@linkplain AdminResponse#isStreamed() streamed} one
 * (a large listing): its handler thread writes it a chunk at a time while the client takes it, holding at most a
 * few chunks (chunked to an HTTP/1.1 client, up to the close to an HTTP/1.0 one), and {@link
 * Builder#sendTimeout} then bounds the time between two writes that make progress, as nginx's {@code
 * send_timeout}.
 *
 * <p>Requests are read strictly, as nginx reads them: a head up to 16 KiB (a request line up to 8 KiB; over that,
 * 414 or 400), one {@code Host} (required in HTTP/1.1), one {@code Content-Length}; {@code Transfer-Encoding:
 * chunked} bodies are decoded, any other transfer coding is 501 and one sent with a {@code Content-Length} (a
 * request-smuggling pattern) 400. A body is read only up to the handler's {@link AdminHandler#maxBodySize()}: a
 * larger one is answered with 413 without being read, and a request refused by the bearer token gets its 401
 * before its body is read. Keep-alive and pipelined requests are answered in order.
 *
 * <pre>{@code
 * AdminServer server = AdminServer.builder(AdminHandler.of(registry)).port(8081).start();
 * ...
 * server.stop();
 * }</pre>
 *
 * Thread-safe; {@link #stop} may be called from any thread.
 */
public final class AdminServer implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(AdminServer.class.getName());

  // nginx's large_client_header_buffers 4 8k: a request line within one 8 KiB buffer; the head within 16 KiB here.
  static final int MAX_REQUEST_LINE = 8 * 1024;
  static final int MAX_HEAD = 16 * 1024;
  private static final int BACKLOG = 64;
  // After an answer that closes the connection, what the client still sends is read and dropped for a while, so
  // that closing with unread data does not reset the connection before the client has read the answer (nginx's
  // lingering_close).
  private static final long LINGER_NANOS = TimeUnit.SECONDS.toNanos(2);
  private static final byte[] CONTINUE = "HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
  // A streamed answer is cut into chunks of this size, at most STREAM_CHUNKS_IN_FLIGHT of them made and not yet
  // sent: what a streamed answer holds, whatever its length.
  static final int STREAM_CHUNK = 32 * 1024;
  private static final int STREAM_CHUNKS_IN_FLIGHT = 4;
  private static final byte[] LAST_CHUNK = "0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
  private static final DateTimeFormatter IMF_FIXDATE =
      DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US);

  private final AdminHandler handler;
  private final ServerSocketChannel listener;
  private final Selector selector;
  private final InetSocketAddress address;
  private final ExecutorService workers;
  private final Thread loop;
  private final long headerNanos;
  private final long bodyNanos;
  private final long sendNanos;
  private final long idleNanos;
  private final int maxConnections;

  // Only the loop thread touches these.
  private final Set<Connection> connections = new HashSet<>();
  private long earliestDeadline;
  private boolean anyDeadline;
  private boolean drained;

  // Work the handler threads hand to the loop thread: answers ready to be written.
  private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  private volatile boolean stopping;
  private volatile long stopDeadline;

  private AdminServer(Builder builder, ServerSocketChannel listener, Selector selector) throws IOException {
    this.handler = builder.handler;
    this.listener = listener;
    this.selector = selector;
    this.address = (InetSocketAddress) listener.getLocalAddress();
    this.headerNanos = builder.headerTimeout.toNanos();
    this.bodyNanos = builder.bodyTimeout.toNanos();
    this.sendNanos = builder.sendTimeout.toNanos();
    this.idleNanos = builder.idleTimeout.toNanos();
    this.maxConnections = builder.maxConnections;
    AtomicInteger count = new AtomicInteger();
    this.workers = Executors.newFixedThreadPool(builder.threads, runnable -> {
      Thread thread = new Thread(runnable, "dyups-admin-" + count.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    });
    this.loop = new Thread(this::run, "dyups-admin-io");
    loop.setDaemon(true);
  }

  /** Configures a server for {@code handler}: 127.0.0.1, a free port, four handler threads. */
  public static Builder builder(AdminHandler handler) {
    return new Builder(handler);
  }

  /** The address the server listens on, with the port it was given (useful after port 0). */
  public InetSocketAddress address() {
    return address;
  }

  /** The port the server listens on. */
  public int port() {
    return address.getPort();
  }

  /** Stops at once: closes the listener and every connection, and stops the threads. */
  public void stop() {
    stop(Duration.ZERO);
  }

  /**
   * Stops accepting and closes idle connections at once, gives requests in progress up to {@code grace} to be
   * answered, then closes every connection and stops the threads. Returns when they have stopped. Idempotent.
   */
  public void stop(Duration grace) {
    long nanos = Math.max(0, Math.min(grace.toNanos(), TimeUnit.DAYS.toNanos(1)));
    if (!stopping) {
      stopDeadline = System.nanoTime() + nanos;
      stopping = true;
    }
    selector.wakeup();
    try {
      loop.join(TimeUnit.NANOSECONDS.toMillis(nanos) + 5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    workers.shutdownNow();
    try {
      workers.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    stop();
  }

  private void run() {
    try {
      while (true) {
        long now = System.nanoTime();
        long wait = anyDeadline ? TimeUnit.NANOSECONDS.toMillis(earliestDeadline - now) + 1 : 1000;
        selector.select(this::ready, Math.max(1, Math.min(1000, wait)));
        for (Runnable task = tasks.poll(); task != null; task = tasks.poll()) {
          task.run();
        }
        now = System.nanoTime();
        if (anyDeadline && now - earliestDeadline >= 0) {
          sweep(now);
        }
        if (stopping && drain(now)) {
          return;
        }
      }
    } catch (IOException | RuntimeException e) {
      LOG.log(Level.WARNING, "admin server on " + address + " stopped: " + e, e);
    } finally {
      for (Connection connection : new ArrayList<>(connections)) {
        connection.close();
      }
      closeQuietly(listener);
      closeQuietly(selector);
    }
  }

  private void ready(SelectionKey key) {
    if (key.attachment() instanceof Connection connection) {
      connection.ready(key);
    } else if (key.isValid() && key.isAcceptable()) {
      accept();
    }
  }

  private void accept() {
    while (true) {
      SocketChannel channel;
      try {
        channel = listener.accept();
      } catch (IOException e) {
        // Out of file descriptors, for one: the listener stays, the next round tries again.
        LOG.log(Level.WARNING, "admin server on " + address + " cannot accept: " + e);
        return;
      }
      if (channel == null) {
        return;
      }
      if (connections.size() >= maxConnections && !closeLongestIdle()) {
        closeQuietly(channel);
        continue;
      }
      try {
        channel.configureBlocking(false);
        channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
        Connection connection = new Connection(channel);
        connection.key = channel.register(selector, SelectionKey.OP_READ, connection);
        connections.add(connection);
        // nginx counts client_header_timeout from the accept for the first request.
        connection.deadline(headerNanos);
      } catch (IOException e) {
        closeQuietly(channel);
      }
    }
  }

  // What ngx_drain_connections does when connections run out: reuse one that has not begun a request.
  private boolean closeLongestIdle() {
    Connection longest = null;
    for (Connection connection : connections) {
      // By when each became idle, not by deadline: the header and idle timeouts differ, so a connection just
      // accepted (its bytes not read yet) would otherwise look older than one idle since long before.
      if (connection.idle && (longest == null || connection.idleSince - longest.idleSince < 0)) {
        longest = connection;
      }
    }
    if (longest == null) {
      return false;
    }
    longest.close();
    return true;
  }

  private void sweep(long now) {
    anyDeadline = false;
    for (Connection connection : new ArrayList<>(connections)) {
      if (!connection.timed) {
        continue;
      }
      if (now - connection.deadline >= 0) {
        connection.close();
      } else if (!anyDeadline || connection.deadline - earliestDeadline < 0) {
        earliestDeadline = connection.deadline;
        anyDeadline = true;
      }
    }
  }

  /** Once stopping: stop accepting, close what is not being answered; true when everything may close now. */
  private boolean drain(long now) {
    if (!drained) {
      drained = true;
      closeQuietly(listener);
      for (Connection connection : new ArrayList<>(connections)) {
        if (connection.state == State.HANDLING || connection.state == State.WRITING) {
          connection.closeAfter = true;
        } else {
          connection.close();
        }
      }
    }
    return connections.isEmpty() || now - stopDeadline >= 0;
  }

  private void onDeadline(long deadline) {
    if (!anyDeadline || deadline - earliestDeadline < 0) {
      earliestDeadline = deadline;
      anyDeadline = true;
    }
  }

  private static void closeQuietly(AutoCloseable closeable) {
    try {
      closeable.close();
    } catch (Exception e) {
      // Closing: nothing left to tell anyone.
    }
  }

  private enum State { HEAD, BODY, HANDLING, WRITING, LINGER, CLOSED }

  /** One client connection; only the loop thread touches it. */
  private final class Connection {
    final SocketChannel channel;
    @Nullable SelectionKey key;
    // What has arrived and is not consumed yet, in write mode: bytes [0, position).
    ByteBuffer in = ByteBuffer.allocate(4096);
    State state = State.HEAD;
    // Waiting for the first byte of a request: such a connection may be closed to make room (nginx's reusable).
    boolean idle = true;
    // When idle last became true (System.nanoTime): the order in which idle connections are given up.
    long idleSince = System.nanoTime();
    // An answer was sent: the next request's head is timed from its first byte, not from the accept.
    boolean served;
    boolean timed;
    long deadline;
    // Where the search for the end of the head goes on (what was searched holds no end).
    int scanned;
    @Nullable RequestHead head;
    @Nullable RequestBody body;
    @Nullable ByteBuffer out;
    boolean closeAfter;
    // A streamed answer being sent: the buffers its handler thread made that are not written yet, in order.
    final ArrayDeque<ByteBuffer> queued = new ArrayDeque<>();
    @Nullable BodyStream streaming;
    boolean streamEnded;

    Connection(SocketChannel channel) {
      this.channel = channel;
    }

    void deadline(long nanos) {
      deadline = System.nanoTime() + nanos;
      timed = true;
      onDeadline(deadline);
    }

    void ready(SelectionKey selected) {
      try {
        if (selected.isValid() && selected.isReadable()) {
          read();
        }
        if (selected.isValid() && selected.isWritable()) {
          write();
        }
      } catch (IOException e) {
        close();
      }
    }

    void read() throws IOException {
      if (state == State.LINGER) {
        in.clear();
        if (channel.read(in) < 0) {
          close();
        }
        return;
      }
      if (!in.hasRemaining()) {
        // Only a head fills the buffer (a body is taken out as it comes); it may grow to MAX_HEAD.
        ByteBuffer larger = ByteBuffer.allocate(Math.min(MAX_HEAD, in.capacity() * 2));
        in.flip();
        larger.put(in);
        in = larger;
      }
      int n = channel.read(in);
      if (n < 0) {
        close();
        return;
      }
      if (n > 0 && idle) {
        idle = false;
        if (served) {
          deadline(headerNanos);
        }
      }
      process();
    }

    /** Reads on from what has arrived: the head, then the body, then hands the request to the handler. */
    void process() {
      try {
        if (state == State.HEAD && !head()) {
          return;
        }
        if (state == State.BODY) {
          RequestBody reading = requireNonNull(body, "body");
          in.flip();
          boolean done = reading.feed(in);
          in.compact();
          if (done) {
            RequestHead request = requireNonNull(head, "head");
            handle(request, reading.bytes(), request.chunked() ? -1 : request.contentLength(),
                !request.keepAlive() || !reading.complete());
          }
        }
      } catch (HttpError e) {
        refuse(e);
      }
    }

    /** Takes a whole head if it has arrived; true when the request goes on to its body. */
    boolean head() {
      byte[] bytes = in.array();
      int length = in.position();
      int skip = 0;
      while (skip < length && (bytes[skip] == '\r' || bytes[skip] == '\n')) {
        skip++;
      }
      if (skip > 0) {
        consume(skip);
        length -= skip;
        scanned = 0;
      }
      int end = -1;
      for (int i = Math.max(1, scanned); i < length; i++) {
        if (bytes[i] == '\n' && (bytes[i - 1] == '\n' || (i >= 2 && bytes[i - 1] == '\r' && bytes[i - 2] == '\n'))) {
          end = i + 1;
          break;
        }
      }
      if (end < 0) {
        scanned = Math.max(0, length - 2);
        if (length >= MAX_HEAD || (length >= MAX_REQUEST_LINE && indexOf(bytes, length, (byte) '\n') < 0)) {
          boolean line = indexOf(bytes, length, (byte) '\n') < 0;
          throw new HttpError(line ? 414 : 400,
              line ? "client sent too long URI" : "client sent too large request header");
        }
        return false;
      }
      RequestHead request = RequestHead.parse(bytes, end);
      consume(end);
      scanned = 0;
      head = request;
      if (!request.hasBody()) {
        handle(request, new byte[0], request.contentLength(), !request.keepAlive());
        return false;
      }
      if (!handler.admits(request.header("Authorization"))
          || (!request.chunked() && request.contentLength() > handler.maxBodySize())) {
        // Answered (401, or 413 for a POST) without reading the body; the connection closes after.
        handle(request, new byte[0], request.contentLength(), true);
        return false;
      }
      body = request.chunked() ? RequestBody.chunked(handler.maxBodySize())
          : RequestBody.ofLength(request.contentLength(), handler.maxBodySize());
      state = State.BODY;
      deadline(bodyNanos);
      if (request.expectsContinue()) {
        sendContinue();
      }
      return true;
    }

    private void sendContinue() {
      try {
        // A fresh request on a connection with nothing unsent: the socket takes 25 bytes at once.
        if (channel.write(ByteBuffer.wrap(CONTINUE)) != CONTINUE.length) {
          close();
        }
      } catch (IOException e) {
        close();
      }
    }

    private void consume(int n) {
      in.flip();
      in.position(n);
      in.compact();
    }

    /** Hands the request to a handler thread; reading stops until its answer is written. */
    void handle(RequestHead request, byte[] content, long length, boolean close) {
      state = State.HANDLING;
      timed = false;
      head = null;
      body = null;
      requireNonNull(key, "key").interestOps(0);
      try {
        workers.execute(() -> {
          AdminResponse response = answer(request, content, length);
          // The handler asks for the close itself when it refused a body it did not read (413).
          boolean closing = close || "close".equalsIgnoreCase(response.headers().get("Connection"));
          boolean headRequest = request.method().equals("HEAD");
          boolean chunked = request.minorVersion() >= 1;
          ByteBuffer bytes;
          if (response.isStreamed() && hasBody(response.status())) {
            if (!headRequest) {
              // To an HTTP/1.0 client, the end of the body is the close.
              stream(response, chunked, closing || !chunked);
              return;
            }
            bytes = streamHead(response, chunked, closing);
          } else {
            bytes = encode(response, headRequest, closing);
          }
          tasks.add(() -> send(bytes, closing));
          selector.wakeup();
        });
      } catch (RejectedExecutionException e) {
        close();
      }
    }

    /** Sends a streamed answer from this handler thread, as the loop thread writes what it made. */
    private void stream(AdminResponse response, boolean chunked, boolean close) {
      BodyStream body = new BodyStream(this, chunked);
      tasks.add(() -> startStream(body, close));
      try {
        body.hand(streamHead(response, chunked, close));
        response.writeBody(body);
        body.finish();
      } catch (IOException e) {
        // The connection was closed (by the client, a timeout or stop): nothing more to send.
        body.cancel();
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "admin handler failed while streaming its answer", e);
        // Half sent: only closing tells the client that the answer is incomplete.
        body.cancel();
        tasks.add(this::close);
        selector.wakeup();
      }
    }

    void startStream(BodyStream body, boolean close) {
      if (state == State.CLOSED) {
        body.cancel();
        return;
      }
      streaming = body;
      streamEnded = false;
      closeAfter = close || closeAfter;
      state = State.WRITING;
      deadline(sendNanos);
    }

    void queue(BodyStream body, ByteBuffer buffer) {
      if (state == State.CLOSED || streaming != body) {
        body.cancel();
        return;
      }
      queued.add(buffer);
      if (out == null) {
        writeOrClose();
      }
    }

    void endStream(BodyStream body) {
      if (state == State.CLOSED || streaming != body) {
        return;
      }
      streamEnded = true;
      if (out == null) {
        writeOrClose();
      }
    }

    private void writeOrClose() {
      try {
        write();
      } catch (IOException e) {
        close();
      }
    }

    void refuse(HttpError error) {
      AdminResponse response = AdminResponse.text(error.status(), error.getMessage() + "\n");
      head = null;
      body = null;
      requireNonNull(key, "key").interestOps(0);
      send(encode(response, false, true), true);
    }

    void send(ByteBuffer answer, boolean close) {
      if (state == State.CLOSED) {
        return;
      }
      out = answer;
      closeAfter = close || closeAfter;
      state = State.WRITING;
      deadline(sendNanos);
      try {
        write();
      } catch (IOException e) {
        close();
      }
    }

    void write() throws IOException {
      SelectionKey selection = requireNonNull(key, "key");
      BodyStream body = streaming;
      while (true) {
        ByteBuffer pending = out;
        if (pending == null) {
          pending = queued.poll();
          if (pending == null) {
            break;
          }
          out = pending;
        }
        int written = channel.write(pending);
        if (pending.hasRemaining()) {
          if (body != null && (written > 0 || !timed)) {
            // Streaming: the client has the send timeout between two writes that make progress.
            deadline(sendNanos);
          }
          selection.interestOps(SelectionKey.OP_WRITE);
          return;
        }
        out = null;
        if (body != null) {
          body.sent();
        }
      }
      if (body != null) {
        if (!streamEnded) {
          // Everything made is sent: wait for the handler thread, not for the client.
          timed = false;
          selection.interestOps(0);
          return;
        }
        streaming = null;
      }
      if (state != State.WRITING) {
        return;
      }
      served = true;
      if (closeAfter || stopping) {
        // Half-close, then drop what the client still sends until it closes too (or LINGER_NANOS pass).
        state = State.LINGER;
        channel.shutdownOutput();
        timed = true;
        deadline = System.nanoTime() + LINGER_NANOS;
        onDeadline(deadline);
        selection.interestOps(SelectionKey.OP_READ);
        return;
      }
      state = State.HEAD;
      selection.interestOps(SelectionKey.OP_READ);
      if (in.position() > 0) {
        // A pipelined request arrived with the last one.
        idle = false;
        deadline(headerNanos);
        process();
      } else {
        idle = true;
        idleSince = System.nanoTime();
        deadline(idleNanos);
      }
    }

    void close() {
      if (state == State.CLOSED) {
        return;
      }
      state = State.CLOSED;
      timed = false;
      connections.remove(this);
      BodyStream body = streaming;
      if (body != null) {
        body.cancel();
        streaming = null;
      }
      queued.clear();
      if (key != null) {
        key.cancel();
      }
      closeQuietly(channel);
    }
  }

  private AdminResponse answer(RequestHead request, byte[] content, long length) {
    try {
      return handler.handle(new AdminRequest(request.method(), request.target(), request.headers(),
          new ByteArrayInputStream(content), length));
    } catch (RuntimeException e) {
      // The handler answers everything a client can send; this is a fault of its own, reported once here.
      LOG.log(Level.WARNING, "admin handler failed on " + request.method() + " " + request.target(), e);
      return AdminResponse.text(500, "internal error\n");
    }
  }

  /** The answer as bytes on the wire: status line, fields, {@code Content-Length}, the body. */
  static ByteBuffer encode(AdminResponse response, boolean headRequest, boolean close) {
    int status = response.status();
    StringBuilder text = statusAndFields(response);
    byte[] body = response.body();
    boolean hasBody = hasBody(status);
    if (hasBody) {
      text.append("Content-Length: ").append(body.length).append("\r\n");
    }
    if (close) {
      text.append("Connection: close\r\n");
    }
    text.append("\r\n");
    byte[] head = text.toString().getBytes(StandardCharsets.ISO_8859_1);
    int bodyLength = hasBody && !headRequest ? body.length : 0;
    ByteBuffer bytes = ByteBuffer.allocate(head.length + bodyLength);
    bytes.put(head).put(body, 0, bodyLength).flip();
    return bytes;
  }

  /** The head of a streamed answer: chunked ({@code chunked}), or without a length, the close ending the body. */
  static ByteBuffer streamHead(AdminResponse response, boolean chunked, boolean close) {
    StringBuilder text = statusAndFields(response);
    if (chunked) {
      text.append("Transfer-Encoding: chunked\r\n");
    }
    if (close) {
      text.append("Connection: close\r\n");
    }
    text.append("\r\n");
    return ByteBuffer.wrap(text.toString().getBytes(StandardCharsets.ISO_8859_1));
  }

  private static StringBuilder statusAndFields(AdminResponse response) {
    int status = response.status();
    StringBuilder text = new StringBuilder(128).append("HTTP/1.1 ").append(status).append(' ')
        .append(reason(status)).append("\r\n");
    text.append("Date: ").append(IMF_FIXDATE.format(ZonedDateTime.now(ZoneOffset.UTC))).append("\r\n");
    for (Map.Entry<String, String> field : response.headers().entrySet()) {
      String name = field.getKey();
      if (!name.equalsIgnoreCase("Content-Length") && !name.equalsIgnoreCase("Connection")
          && !name.equalsIgnoreCase("Transfer-Encoding") && !name.equalsIgnoreCase("Date")) {
        text.append(name).append(": ").append(field.getValue()).append("\r\n");
      }
    }
    return text;
  }

  private static boolean hasBody(int status) {
    return status >= 200 && status != 204 && status != 304;
  }

  /**
   * The body of a streamed answer as its handler thread writes it: cut into chunks of {@link #STREAM_CHUNK} bytes,
   * each handed to the loop thread, the writer waiting while {@link #STREAM_CHUNKS_IN_FLIGHT} are not sent yet. So
   * an answer of any length holds a few chunks, and a client that stops reading holds a handler thread only until
   * the send timeout closes its connection.
   */
  private final class BodyStream extends OutputStream {
    private final Connection connection;
    private final boolean chunked;
    private final Semaphore room = new Semaphore(STREAM_CHUNKS_IN_FLIGHT);
    private final byte[] buffer = new byte[STREAM_CHUNK];
    private int count;
    private volatile boolean cancelled;

    BodyStream(Connection connection, boolean chunked) {
      this.connection = connection;
      this.chunked = chunked;
    }

    @Override
    public void write(int b) throws IOException {
      if (count == buffer.length) {
        flushChunk();
      }
      buffer[count++] = (byte) b;
    }

    @Override
    public void write(byte[] bytes, int offset, int length) throws IOException {
      java.util.Objects.checkFromIndexSize(offset, length, bytes.length);
      int at = offset;
      int left = length;
      while (left > 0) {
        if (count == buffer.length) {
          flushChunk();
        }
        int n = Math.min(left, buffer.length - count);
        System.arraycopy(bytes, at, buffer, count, n);
        count += n;
        at += n;
        left -= n;
      }
    }

    private void flushChunk() throws IOException {
      if (count == 0) {
        return;
      }
      ByteBuffer chunk;
      if (chunked) {
        byte[] size = (Integer.toHexString(count) + "\r\n").getBytes(StandardCharsets.US_ASCII);
        chunk = ByteBuffer.allocate(size.length + count + 2);
        chunk.put(size).put(buffer, 0, count).put((byte) '\r').put((byte) '\n').flip();
      } else {
        chunk = ByteBuffer.wrap(Arrays.copyOf(buffer, count));
      }
      count = 0;
      hand(chunk);
    }

    /** Gives {@code bytes} to the loop thread once fewer than the limit are unsent. */
    void hand(ByteBuffer bytes) throws IOException {
      try {
        room.acquire();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("stopped while streaming an answer");
      }
      if (cancelled) {
        throw new IOException("the connection is closed");
      }
      tasks.add(() -> connection.queue(this, bytes));
      selector.wakeup();
    }

    void finish() throws IOException {
      flushChunk();
      if (chunked) {
        hand(ByteBuffer.wrap(LAST_CHUNK));
      }
      tasks.add(() -> connection.endStream(this));
      selector.wakeup();
    }

    /** Loop thread: one buffer was written whole. */
    void sent() {
      room.release();
    }

    /** The connection is closed: the writer stops at its next chunk. */
    void cancel() {
      cancelled = true;
      room.release(STREAM_CHUNKS_IN_FLIGHT + 1);
    }
  }

  private static String reason(int status) {
    return switch (status) {
      case 200 -> "OK";
      case 204 -> "No Content";
      case 304 -> "Not Modified";
      case 400 -> "Bad Request";
      case 401 -> "Unauthorized";
      case 404 -> "Not Found";
      case 405 -> "Not Allowed";
      case 409 -> "Conflict";
      case 412 -> "Precondition Failed";
      case 413 -> "Request Entity Too Large";
      case 414 -> "Request-URI Too Large";
      case 500 -> "Internal Server Error";
      case 501 -> "Not Implemented";
      case 503 -> "Service Temporarily Unavailable";
      case 505 -> "HTTP Version Not Supported";
      default -> "Status " + status;
    };
  }

  private static int indexOf(byte[] bytes, int length, byte b) {
    for (int i = 0; i < length; i++) {
      if (bytes[i] == b) {
        return i;
      }
    }
    return -1;
  }

  /** Configures an {@link AdminServer}. */
  public static final class Builder {
    private final AdminHandler handler;
    private InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    private int threads = 4;
    private int maxConnections = 256;
    private Duration headerTimeout = Duration.ofSeconds(10);
    private Duration bodyTimeout = Duration.ofSeconds(10);
    private Duration sendTimeout = Duration.ofSeconds(10);
    private Duration idleTimeout = Duration.ofSeconds(30);

    private Builder(AdminHandler handler) {
      this.handler = requireNonNull(handler, "handler");
    }

    /** Listens on {@code address} (default 127.0.0.1, a free port). */
    public Builder address(InetSocketAddress address) {
      this.address = requireNonNull(address, "address");
      return this;
    }

    /** Listens on 127.0.0.1:{@code port} (0: a free port). */
    public Builder port(int port) {
      checkArgument(port >= 0 && port <= 65535, "port must be 0-65535: %s", port);
      this.address = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
      return this;
    }

    /** The number of threads running the handler (default 4); reading and writing take one more. */
    public Builder threads(int threads) {
      checkArgument(threads > 0, "threads must be > 0: %s", threads);
      this.threads = threads;
      return this;
    }

    /** The most connections open at once (default 256). */
    public Builder maxConnections(int connections) {
      checkArgument(connections > 0, "maxConnections must be > 0: %s", connections);
      this.maxConnections = connections;
      return this;
    }

    /**
     * The time a request head has to arrive whole, from its first byte (for a connection's first request, from
     * the accept); default 10 seconds. Not renewed as lines arrive, so one header line every few seconds does
     * not keep a connection open.
     */
    public Builder headerTimeout(Duration timeout) {
      this.headerTimeout = positive(timeout, "headerTimeout");
      return this;
    }

    /** The time a request body has to arrive whole, from the end of its head; default 10 seconds. */
    public Builder bodyTimeout(Duration timeout) {
      this.bodyTimeout = positive(timeout, "bodyTimeout");
      return this;
    }

    /** The time the client has to take an answer whole; default 10 seconds. */
    public Builder sendTimeout(Duration timeout) {
      this.sendTimeout = positive(timeout, "sendTimeout");
      return this;
    }

    /** How long a kept-alive connection may wait for its next request; default 30 seconds. */
    public Builder idleTimeout(Duration timeout) {
      this.idleTimeout = positive(timeout, "idleTimeout");
      return this;
    }

    private static Duration positive(Duration timeout, String name) {
      requireNonNull(timeout, name);
      checkArgument(!timeout.isNegative() && !timeout.isZero(), "%s must be positive: %s", name, timeout);
      return timeout;
    }

    /**
     * Binds and starts serving.
     *
     * @throws UncheckedIOException when the address cannot be bound
     */
    public AdminServer start() {
      ServerSocketChannel listener = null;
      Selector selector = null;
      try {
        listener = ServerSocketChannel.open();
        listener.bind(address, BACKLOG);
        listener.configureBlocking(false);
        selector = Selector.open();
        listener.register(selector, SelectionKey.OP_ACCEPT);
        AdminServer server = new AdminServer(this, listener, selector);
        server.loop.start();
        return server;
      } catch (IOException e) {
        if (listener != null) {
          closeQuietly(listener);
        }
        if (selector != null) {
          closeQuietly(selector);
        }
        throw new UncheckedIOException("cannot listen on " + address + ": " + e.getMessage(), e);
      }
    }
  }
}
