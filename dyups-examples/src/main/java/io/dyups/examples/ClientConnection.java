package io.dyups.examples;

import io.dyups.admin.AdminHandler;
import io.dyups.admin.AdminRequest;
import io.dyups.admin.AdminResponse;
import io.dyups.core.PeerSelection;
import io.dyups.core.Upstream;
import io.dyups.examples.ProxyConfig.AccessLogTarget;
import io.dyups.examples.ProxyConfig.Location;
import io.dyups.examples.ProxyConfig.Settings;
import io.dyups.examples.ProxyConfig.VirtualServer;
import io.dyups.examples.ProxyServer.Listener;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * One client connection, from accept to close, on its event loop: requests are answered one after another in the
 * order they came (HTTP/1.1 pipelining: a request that arrives while an earlier one is being answered waits, and
 * the socket is not read meanwhile), each by its location's handler — a {@link ProxyRequest}, the admin interface,
 * {@code echo} or {@code return}. nginx's client timeouts apply: {@code client_header_timeout} from the first byte
 * of a request head (and from accept for the first), {@code client_body_timeout} between two reads of a body,
 * {@code keepalive_timeout} between requests, {@code send_timeout} while the client does not take what is
 * written to it.
 */
final class ClientConnection extends ChannelInboundHandlerAdapter {
  static final HttpHeadersFactory HEADERS = DefaultHttpHeadersFactory.headersFactory().withValidation(false);
  private static final AsciiString SERVER = AsciiString.cached("dyups");
  private static final AsciiString TEXT_HTML = AsciiString.cached("text/html");
  private static final AsciiString TEXT_PLAIN = AsciiString.cached("text/plain");

  private enum Waiting { HEADER, BODY, IDLE, RESPONSE, SEND }

  final ProxyServer server;
  final Listener listener;
  final LoopState loop;
  private final long id;
  private final Channel channel;
  private final InetSocketAddress remote;
  private final InetSocketAddress local;
  private final String remoteText;
  @Nullable private PeerSelection selection;

  private int requests;
  @Nullable private Exchange current;
  // What answers the current request: a ProxyRequest, an AdminBody, or null for a local answer.
  @Nullable private ProxyRequest proxy;
  @Nullable private AdminBody adminBody;
  // A streamed admin answer being written by an admin stream thread: woken when the channel's writability changes.
  @Nullable private AdminBodyStream adminStream;
  private boolean requestDone;
  // The current request said it is the last (Connection: close, or HTTP/1.0 without keep-alive) and passed the
  // checks: a client that sends close sends nothing more on the connection (RFC 9112 9.6), so once its answer is
  // written there is nothing to drain and the connection is closed at once, as nginx's ngx_http_finalize_connection
  // does when it sees no more data; the lingering close stays for the other closes.
  private boolean lastRequest;
  private boolean responseDone;
  private boolean keepAlive;
  // Inbound messages of later requests, held while the current one is answered (pipelining).
  @Nullable private ArrayDeque<Object> queued;
  private boolean closing;
  private boolean started;
  private boolean headerStarted;
  private boolean finishedInThisRead;
  private Waiting waiting = Waiting.HEADER;
  long bytesWritten;
  private final Deadlines.Entry timer = new Deadlines.Entry() {
    @Override
    void expired(long now) {
      timedOut();
    }
  };

  /** The connection of an accepted {@code channel}, whose addresses are known from the accept on. */
  ClientConnection(ProxyServer server, Listener listener, LoopState loop, long id, Channel channel) {
    this.server = server;
    this.listener = listener;
    this.loop = loop;
    this.id = id;
    this.channel = channel;
    this.remote = inet(channel.remoteAddress());
    this.local = inet(channel.localAddress());
    this.remoteText = Variables.addressText(remote);
  }

  /** A socket's address; a connection reset before it was looked at has none, and reads as 0.0.0.0:0. */
  private static InetSocketAddress inet(@Nullable SocketAddress address) {
    return address instanceof InetSocketAddress inet ? inet : UNKNOWN_ADDRESS;
  }

  private static final InetSocketAddress UNKNOWN_ADDRESS = new InetSocketAddress(0);

  long id() {
    return id;
  }

  LoopState loop() {
    return loop;
  }

  InetSocketAddress remoteAddress() {
    return remote;
  }

  InetSocketAddress localAddress() {
    return local;
  }

  String remoteAddressText() {
    return remoteText;
  }

  Channel channel() {
    return channel;
  }

  boolean keepAlive() {
    return keepAlive;
  }

  void keepAlive(boolean keep) {
    keepAlive = keep;
  }

  /** The selection of this connection's proxied requests, made on the loop's thread at first use. */
  PeerSelection selection() {
    if (selection == null) {
      selection = new PeerSelection();
    }
    return selection;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    // Added to a channel already active (after ALPN chose HTTP/1.1, or to an HTTP/2 stream): no channelActive comes.
    if (ctx.channel().isActive()) {
      startWaiting();
    }
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    startWaiting();
    ctx.fireChannelActive();
  }

  private void startWaiting() {
    if (started) {
      return;
    }
    started = true;
    loop.deadlines.add(timer);
    // The first request head must arrive within client_header_timeout of the accept (nginx's post_accept_timeout).
    waitFor(Waiting.HEADER, listener.defaultServer().settings().clientHeaderTimeout().toNanos());
    headerStarted = true;
  }

  private void waitFor(Waiting what, long nanos) {
    waiting = what;
    timer.deadline = nanos <= 0 ? Deadlines.NEVER : System.nanoTime() + nanos;
  }

  private void timedOut() {
    if (closing) {
      channel.close();
      return;
    }
    switch (waiting) {
      case HEADER -> {
        server.errorLog().info("client timed out (110: Connection timed out) while reading client request headers,"
            + " client: " + remoteText);
        if (current != null) {
          current.status = 408;
        }
      }
      case BODY -> {
        server.errorLog().info("client timed out (110: Connection timed out) while reading client request body,"
            + " client: " + remoteText);
        if (current != null && proxy == null && !responseDone) {
          // nginx answers 408 to a body that stopped coming, when it can still answer at all.
          respond(current, 408, false);
          return;
        }
      }
      case IDLE -> {
        // keepalive_timeout: a quiet close.
      }
      case SEND -> server.errorLog().info(
          "client timed out (110: Connection timed out) while sending response to client, client: " + remoteText);
      case RESPONSE -> {
        return;
      }
    }
    abort();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (closing) {
      ReferenceCountUtil.release(msg);
      return;
    }
    if ((current != null && requestDone) || (queued != null && !queued.isEmpty())) {
      // A later request (pipelined): it waits, and the socket is not read until the current one is answered.
      if (queued == null) {
        queued = new ArrayDeque<>(4);
      }
      queued.add(msg);
      channel.config().setAutoRead(false);
      return;
    }
    dispatch(msg);
  }

  private void dispatch(Object msg) {
    if (msg instanceof HttpRequest request) {
      begin(request);
      if (msg instanceof HttpContent content) {
        // A head and body in one message: a request the decoder refused, answered (and closed) by begin already.
        Exchange exchange = current;
        if (exchange == null) {
          content.release();
        } else {
          content(exchange, content);
        }
      }
    } else if (msg instanceof HttpContent content) {
      Exchange exchange = current;
      if (exchange == null) {
        // The rest of a body nobody wants any more.
        content.release();
        return;
      }
      content(exchange, content);
    } else {
      ReferenceCountUtil.release(msg);
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    if (proxy != null) {
      proxy.clientReadComplete();
    }
    if (current == null && !headerStarted && !finishedInThisRead && !closing) {
      // Bytes came that are not yet a whole request head: client_header_timeout runs from now.
      headerStarted = true;
      waitFor(Waiting.HEADER, listener.defaultServer().settings().clientHeaderTimeout().toNanos());
    }
    finishedInThisRead = false;
    ctx.fireChannelReadComplete();
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    AdminBodyStream stream = adminStream;
    if (stream != null) {
      stream.wake();
    }
    if (channel.isWritable()) {
      if (waiting == Waiting.SEND) {
        waitFor(Waiting.RESPONSE, 0);
      }
      if (proxy != null) {
        proxy.clientWritable();
      }
    } else if (current != null) {
      Settings settings = current.location == null ? null : current.location.settings();
      long sendTimeout = settings == null ? 60_000_000_000L : settings.sendTimeout().toNanos();
      waitFor(Waiting.SEND, sendTimeout);
    }
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    closing = true;
    AdminBodyStream stream = adminStream;
    if (stream != null) {
      stream.wake();
    }
    loop.deadlines.remove(timer);
    if (proxy != null) {
      ProxyRequest request = proxy;
      proxy = null;
      request.clientClosed();
    }
    if (current != null && !responseDone) {
      // The client went away before its answer was complete: nginx logs 499 when nothing was sent yet.
      if (current.status == 0) {
        current.status = 499;
      }
      log(current);
      current = null;
    }
    if (queued != null) {
      for (Object msg : queued) {
        ReferenceCountUtil.release(msg);
      }
      queued.clear();
    }
    adminBody = null;
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    // A reset, a broken pipe, or a codec that gave up (too deep a pipeline): nothing sensible can follow.
    if (!(cause instanceof java.io.IOException)) {
      server.errorLog().error("closing the connection of client " + remoteText + " on " + cause);
    }
    abort();
  }

  /** Closes the connection now, whatever is under way. */
  void abort() {
    closing = true;
    channel.close();
  }

  // ---- requests

  private void begin(HttpRequest request) {
    requests++;
    boolean pipelined = queuedBefore;
    queuedBefore = false;
    long now = System.nanoTime();
    Exchange exchange = new Exchange(this, request, requests, pipelined, now, System.currentTimeMillis());
    exchange.bytesSentAtStart = bytesWritten;
    if (request.decoderResult() instanceof io.netty.handler.codec.http.HttpMessageDecoderResult result) {
      exchange.requestLength = result.totalSize();
    }
    current = exchange;
    requestDone = false;
    lastRequest = false;
    responseDone = false;
    headerStarted = false;
    proxy = null;
    adminBody = null;
    waitFor(Waiting.RESPONSE, 0);

    RequestChecks.Refusal refusal = RequestChecks.check(request, exchange, listener.defaultServer().settings());
    if (refusal != null) {
      if (refusal.status() != 405) {
        server.errorLog().info(refusal.reason() + ", client: " + remoteText);
      }
      respond(exchange, refusal.status(), false);
      return;
    }
    lastRequest = !HttpUtil.isKeepAlive(request);
    VirtualServer virtualServer = listener.select(exchange.host);
    exchange.server = virtualServer;
    if (exchange.host.isEmpty() && !virtualServer.names().isEmpty()) {
      exchange.host = virtualServer.names().get(0);
    }
    Location location = virtualServer.match(exchange.path);
    if (location == null) {
      keepAlive = !lastRequest && !server.isStopping();
      respond(exchange, 404, keepAlive);
      return;
    }
    exchange.location = location;
    Settings settings = location.settings();
    keepAlive = !lastRequest && requests < settings.keepaliveRequests()
        && !settings.keepaliveTimeout().isZero() && !server.isStopping();
    if (!settings.allows(remote.getAddress())) {
      server.errorLog().error("access forbidden by rule, client: " + remoteText + ", server: "
          + serverName(virtualServer) + ", request: \"" + exchange.requestLine() + "\", host: \"" + exchange.host
          + "\"");
      respond(exchange, 403, keepAlive);
      return;
    }
    long declared = HttpUtil.getContentLength(request, -1L);
    boolean hasBody = declared > 0 || HttpUtil.isTransferEncodingChunked(request);
    if (hasBody) {
      waitFor(Waiting.BODY, settings.clientBodyTimeout().toNanos());
    }
    boolean admin = location.handler() instanceof ProxyConfig.DyupsInterface
        || location.handler() instanceof ProxyConfig.PlusApiHandler;
    if (!admin && settings.clientMaxBodySize() > 0 && declared > settings.clientMaxBodySize()) {
      server.errorLog().error("client intended to send too large body: " + declared + " bytes, client: "
          + remoteText + ", request: \"" + exchange.requestLine() + "\"");
      respond(exchange, 413, false);
      return;
    }
    if (location.handler() instanceof ProxyConfig.ProxyPass pass) {
      String name = pass.upstream() != null ? pass.upstream() : exchange.host;
      exchange.proxyHost = name;
      Upstream upstream = name.isEmpty() ? null : server.registry().find(name);
      if (upstream == null) {
        server.errorLog().error("no upstream \"" + name + "\" for \"" + exchange.requestLine() + "\", client: "
            + remoteText);
        respond(exchange, 502, keepAlive && !hasBody);
        return;
      }
      if (hasBody && HttpUtil.is100ContinueExpected(request)) {
        channel.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE,
            Unpooled.EMPTY_BUFFER, HEADERS, HEADERS));
      }
      proxy = new ProxyRequest(this, exchange, upstream, settings, hasBody, declared);
      proxy.start();
    } else if (admin) {
      AdminHandler handler = location.handler() instanceof ProxyConfig.PlusApiHandler api
          ? server.plusApi(settings.adminToken(), location.path(), api.write()) : server.admin(settings.adminToken());
      if (declared > handler.maxBodySize()) {
        // Answered from the declared length alone: the admin handler says 413 without reading.
        runAdmin(exchange, handler, new byte[0], declared, false);
        return;
      }
      if (hasBody && HttpUtil.is100ContinueExpected(request)) {
        channel.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE,
            Unpooled.EMPTY_BUFFER, HEADERS, HEADERS));
      }
      adminBody = new AdminBody(handler, declared);
    } else if (location.handler() instanceof ProxyConfig.Echo echo) {
      respondText(exchange, 200, echo.text() + "\n", null);
    } else if (location.handler() instanceof ProxyConfig.Return ret) {
      respondReturn(exchange, ret);
    }
  }

  private boolean queuedBefore;

  private void content(Exchange exchange, HttpContent content) {
    int bytes = content.content().readableBytes();
    exchange.requestLength += bytes;
    boolean last = content instanceof LastHttpContent;
    if (content.decoderResult().isFailure()) {
      // A bad chunk size or a body cut short: nginx answers 400 when it still can, and closes.
      content.release();
      server.errorLog().info("client sent invalid chunked body, client: " + remoteText);
      requestDone = true;
      if (proxy != null) {
        ProxyRequest request = proxy;
        request.clientBodyFailed();
        return;
      }
      if (!responseDone) {
        respond(exchange, 400, false);
      } else {
        abort();
      }
      return;
    }
    if (last) {
      requestDone = true;
      if (waiting == Waiting.BODY) {
        waitFor(Waiting.RESPONSE, 0);
      }
    } else if (waiting == Waiting.BODY) {
      Settings settings = exchange.location == null ? null : exchange.location.settings();
      if (settings != null) {
        waitFor(Waiting.BODY, settings.clientBodyTimeout().toNanos());
      }
    }
    if (proxy != null) {
      proxy.clientContent(content, last);
    } else if (adminBody != null) {
      AdminBody body = adminBody;
      boolean over = body.add(content.content());
      content.release();
      if (over) {
        adminBody = null;
        runAdmin(exchange, body.handler, body.bytes(), -1, false);
      } else if (last) {
        adminBody = null;
        runAdmin(exchange, body.handler, body.bytes(), body.declared, keepAlive);
      }
      return;
    } else {
      content.release();
    }
    // The answer may have been completed (and the next request begun) by what this piece caused.
    if (requestDone && responseDone && current == exchange) {
      finish(exchange);
    }
  }

  // ---- answers

  /** The current request's answer is complete (the last byte written, maybe not yet flushed). */
  void responseComplete(Exchange exchange, @Nullable ChannelFuture lastWrite) {
    if (exchange != current) {
      return;
    }
    responseDone = true;
    proxy = null;
    if (!keepAlive) {
      // Close after the answer, letting the client read it before the connection goes: nginx's lingering close,
      // unless the client said this request was its last (lastRequest).
      closing = true;
      log(exchange);
      current = null;
      lingeringClose(lastWrite);
      return;
    }
    if (requestDone) {
      finish(exchange);
    }
    // Otherwise the rest of the body is read and dropped, as nginx discards it; its last piece finishes.
  }

  /** The answer will not be complete: the connection closes now. */
  void responseAborted(Exchange exchange) {
    if (exchange != current) {
      return;
    }
    log(exchange);
    current = null;
    proxy = null;
    abort();
  }

  private void finish(Exchange exchange) {
    current = null;
    log(exchange);
    if (server.isStopping()) {
      abort();
      return;
    }
    headerStarted = false;
    Settings settings = exchange.location == null ? null : exchange.location.settings();
    long idle = settings == null ? 75_000_000_000L : settings.keepaliveTimeout().toNanos();
    waitFor(Waiting.IDLE, idle);
    // Requests that came meanwhile, in order: the next one's head, then its body as far as it came.
    while (queued != null && !queued.isEmpty() && !closing && (current == null || !requestDone)) {
      Object next = queued.poll();
      queuedBefore = next instanceof HttpRequest;
      dispatch(next);
    }
    if ((current == null || !requestDone) && (queued == null || queued.isEmpty())
        && !channel.config().isAutoRead()) {
      channel.config().setAutoRead(true);
    }
    finishedInThisRead = true;
  }

  private void lingeringClose(@Nullable ChannelFuture lastWrite) {
    // Decided now: the listener runs after this request's state was cleared.
    boolean drain = !(lastRequest && requestDone && (queued == null || queued.isEmpty()));
    ChannelFutureListener then = future -> {
      if (drain && channel instanceof DuplexChannel duplex && channel.isActive()) {
        // Send FIN, then read and drop what the client still sends, for a few seconds at most.
        Transport.shutdownOutput(duplex);
        channel.config().setAutoRead(true);
        timer.deadline = System.nanoTime() + 5_000_000_000L;
      } else {
        channel.close();
      }
    };
    if (lastWrite == null) {
      channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(then);
    } else {
      channel.flush();
      lastWrite.addListener(then);
    }
  }

  void respond(Exchange exchange, int status, boolean keep) {
    keepAlive = keep;
    byte[] page = ErrorPages.page(status);
    Map<AsciiString, CharSequence> headers = null;
    sendFull(exchange, ErrorPages.wireStatus(status), status, TEXT_HTML, page, headers);
  }

  private void respondText(Exchange exchange, int status, String text, @Nullable Map<AsciiString, CharSequence> extra) {
    sendFull(exchange, status, status, TEXT_PLAIN, text.getBytes(StandardCharsets.UTF_8), extra);
  }

  private void respondReturn(Exchange exchange, ProxyConfig.Return ret) {
    int status = ret.status();
    if (ret.text() != null && (status == 301 || status == 302 || status == 303 || status == 307 || status == 308)) {
      sendFull(exchange, status, status, TEXT_HTML, ErrorPages.page(status),
          Map.of(HeaderNames.LOCATION, ret.text()));
      return;
    }
    if (ret.text() == null && status >= 400) {
      sendFull(exchange, status, status, TEXT_HTML, ErrorPages.page(status), null);
      return;
    }
    respondText(exchange, status, ret.text() == null ? "" : ret.text(), null);
  }

  private void sendFull(Exchange exchange, int wireStatus, int logStatus, AsciiString contentType, byte[] body,
      @Nullable Map<AsciiString, CharSequence> extra) {
    ByteBuf content = exchange.isHead() || wireStatus == 204 || wireStatus == 304 ? Unpooled.EMPTY_BUFFER
        : Unpooled.wrappedBuffer(body);
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status(wireStatus), content,
        HEADERS, HEADERS);
    HttpHeaders headers = response.headers();
    headers.set(HeaderNames.SERVER, SERVER);
    headers.set(HeaderNames.DATE, loop.clock().httpDate());
    headers.set(HeaderNames.CONTENT_TYPE, contentType);
    if (wireStatus != 204 && wireStatus != 304) {
      headers.set(HeaderNames.CONTENT_LENGTH, body.length);
    }
    if (extra != null) {
      for (Map.Entry<AsciiString, CharSequence> header : extra.entrySet()) {
        headers.set(header.getKey(), header.getValue());
      }
    }
    headers.set(HeaderNames.CONNECTION, keepAlive ? HttpHeaderValues.KEEP_ALIVE : HttpHeaderValues.CLOSE);
    exchange.status = logStatus;
    exchange.bodyBytesSent = content.readableBytes();
    exchange.responseHeaders = headers;
    ChannelFuture future = channel.writeAndFlush(response);
    responseComplete(exchange, future);
  }

  // ---- admin

  /** An admin request's body, read into memory up to the handler's limit (plus one byte to tell it is larger). */
  private static final class AdminBody {
    final AdminHandler handler;
    final long declared;
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

    AdminBody(AdminHandler handler, long declared) {
      this.handler = handler;
      this.declared = declared;
    }

    /** Adds a piece; true when the body is now over the limit. */
    boolean add(ByteBuf piece) {
      int n = piece.readableBytes();
      long room = handler.maxBodySize() + 1 - bytes.size();
      int take = (int) Math.min(n, room);
      byte[] copy = new byte[take];
      piece.getBytes(piece.readerIndex(), copy);
      bytes.write(copy, 0, take);
      return bytes.size() > handler.maxBodySize();
    }

    byte[] bytes() {
      return bytes.toByteArray();
    }
  }

  private void runAdmin(Exchange exchange, AdminHandler handler, byte[] body, long declared, boolean keep) {
    keepAlive = keep;
    Map<String, List<String>> headers = new LinkedHashMap<>();
    for (Map.Entry<String, String> header : exchange.headers()) {
      headers.computeIfAbsent(header.getKey(), key -> new ArrayList<>()).add(header.getValue());
    }
    AdminRequest request = new AdminRequest(exchange.request.method().name(), exchange.request.uri(), headers,
        new ByteArrayInputStream(body), declared);
    // The handler may write the persistence file: off the event loop, one change at a time on the admin thread.
    server.adminExecutor().execute(() -> {
      AdminResponse response;
      try {
        response = handler.handle(request);
      } catch (RuntimeException e) {
        server.errorLog().error("admin request failed: " + e);
        response = new AdminResponse(500, Map.of(), new byte[0]);
      }
      AdminResponse answer = response;
      loop.loop.execute(() -> adminAnswered(exchange, answer));
    });
  }

  private void adminAnswered(Exchange exchange, AdminResponse response) {
    if (exchange != current || !channel.isActive()) {
      return;
    }
    Map<AsciiString, CharSequence> extra = new LinkedHashMap<>();
    AsciiString contentType = null;
    for (Map.Entry<String, String> header : response.headers().entrySet()) {
      if (header.getKey().equalsIgnoreCase("Content-Type")) {
        contentType = new AsciiString(header.getValue());
      } else {
        extra.put(new AsciiString(header.getKey()), header.getValue());
      }
    }
    if (contentType == null) {
      contentType = TEXT_PLAIN;
    }
    if (response.status() == 413) {
      keepAlive = false;
    }
    if (response.isStreamed()) {
      sendStreamed(exchange, response, contentType, extra);
      return;
    }
    sendFull(exchange, response.status(), response.status(), contentType, response.body(), extra);
  }

  /**
   * A streamed admin answer (a large listing, past the admin handler's limits): its head now, then its body as the
   * handler writes it from the registry's snapshot, on an admin stream thread, while the client takes it
   * ({@link AdminBodyStream}): never held whole. Chunked to HTTP/1.1 clients (HTTP/2 frames it itself), up to the
   * close to HTTP/1.0 ones, as a proxied answer without a length.
   */
  private void sendStreamed(Exchange exchange, AdminResponse response, AsciiString contentType,
      Map<AsciiString, CharSequence> extra) {
    HttpHeaders headers = HEADERS.newHeaders();
    headers.set(HeaderNames.SERVER, SERVER);
    headers.set(HeaderNames.DATE, loop.clock().httpDate());
    headers.set(HeaderNames.CONTENT_TYPE, contentType);
    for (Map.Entry<AsciiString, CharSequence> header : extra.entrySet()) {
      headers.set(header.getKey(), header.getValue());
    }
    if (exchange.isHttp10()) {
      keepAlive = false;
    } else {
      headers.set(HeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
    }
    headers.set(HeaderNames.CONNECTION, keepAlive ? HttpHeaderValues.KEEP_ALIVE : HttpHeaderValues.CLOSE);
    exchange.status = response.status();
    exchange.responseHeaders = headers;
    channel.write(new DefaultHttpResponse(HttpVersion.HTTP_1_1, status(response.status()), headers),
        channel.voidPromise());
    if (exchange.isHead()) {
      responseComplete(exchange, channel.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT));
      return;
    }
    AdminBodyStream stream = new AdminBodyStream(channel);
    adminStream = stream;
    server.adminStreams().execute(() -> {
      boolean complete = false;
      try {
        response.writeBody(stream);
        stream.finish();
        complete = true;
      } catch (IOException | RuntimeException e) {
        if (channel.isActive()) {
          server.errorLog().error("admin answer failed: " + e);
        }
      }
      boolean done = complete;
      loop.loop.execute(() -> streamEnded(exchange, stream, done));
    });
  }

  private void streamEnded(Exchange exchange, AdminBodyStream stream, boolean complete) {
    if (adminStream == stream) {
      adminStream = null;
    }
    exchange.bodyBytesSent = stream.written();
    if (!complete || !channel.isActive()) {
      responseAborted(exchange);
      return;
    }
    responseComplete(exchange, channel.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT));
  }

  // ---- logs

  private void log(Exchange exchange) {
    exchange.bytesSent = bytesWritten - exchange.bytesSentAtStart;
    List<AccessLogTarget> targets = exchange.location != null ? exchange.location.settings().accessLogs()
        : (exchange.server != null ? exchange.server : listener.defaultServer()).defaults().accessLogs();
    if (targets.isEmpty()) {
      return;
    }
    StringBuilder line = loop.logLine;
    for (AccessLogTarget target : targets) {
      line.setLength(0);
      target.format().template().append(line, exchange, target.format().escape());
      server.logFile(target).write(loop.index, line);
    }
  }

  private static String serverName(VirtualServer server) {
    return server.names().isEmpty() ? "" : server.names().get(0);
  }

  private static final Map<Integer, HttpResponseStatus> STATUSES = new java.util.concurrent.ConcurrentHashMap<>();

  static HttpResponseStatus status(int code) {
    return STATUSES.computeIfAbsent(code, c -> new HttpResponseStatus(c, ErrorPages.reason(c)));
  }
}
