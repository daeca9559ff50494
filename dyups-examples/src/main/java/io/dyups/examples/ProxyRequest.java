package io.dyups.examples;

import io.dyups.core.Peer;
import io.dyups.core.PeerSelection;
import io.dyups.core.Upstream;
import io.dyups.examples.ProxyConfig.HeaderSetting;
import io.dyups.examples.ProxyConfig.NextUpstream;
import io.dyups.examples.ProxyConfig.Settings;
import io.dyups.parser.Balancing;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One request proxied to an upstream, as nginx's upstream module runs it, on the client connection's event loop:
 * a peer from the request's {@link PeerSelection}, an idle keep-alive connection to it from the loop's
 * {@link BackendPool} or a new one, the request head and body streamed to it as they arrive, the response streamed
 * back as it arrives; each side paused while the other cannot take more (backpressure). A connect error, a
 * timeout, or a response proxy_next_upstream names sends the request to the next peer while nothing of the answer
 * reached the client, the body can be sent again, and proxy_next_upstream's rules allow it; when no peer is left
 * the client gets 502, or 504 after a timeout. Once the response head went to the client, a backend that fails
 * ends the client connection: nothing can be mixed into the next answer.
 *
 * <p>Every peer {@code next()} gave is reported exactly once: failed for an error, a timeout, a bad header or a
 * 5xx/429 named by proxy_next_upstream; succeeded otherwise (the client going away is not the peer's fault).
 */
final class ProxyRequest {
  /** The body kept to be sent again to another peer (nginx keeps it all with proxy_request_buffering on). */
  static final int REPLAY_LIMIT = 64 * 1024;
  /** Body bytes read ahead of a backend that is not connected yet, before the client is paused. */
  private static final int PENDING_LIMIT = 64 * 1024;

  // The response headers that do not reach the client: hop-by-hop ones (Connection first), and those nginx's
  // proxy_hide_header hides by default (ngx_http_proxy_hide_headers). The proxy writes its own Server and Date.
  private static final HeaderNameSet HIDDEN = new HeaderNameSet(HttpHeaderNames.CONNECTION,
      AsciiString.cached("keep-alive"), AsciiString.cached("proxy-connection"), HttpHeaderNames.TE,
      HttpHeaderNames.TRAILER, HttpHeaderNames.UPGRADE, HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderNames.DATE,
      HttpHeaderNames.SERVER,
      AsciiString.cached("x-pad"), AsciiString.cached("x-accel-expires"), AsciiString.cached("x-accel-redirect"),
      AsciiString.cached("x-accel-limit-rate"), AsciiString.cached("x-accel-buffering"),
      AsciiString.cached("x-accel-charset"));
  // Of HIDDEN, those the proxy writes itself on every answer.
  private static final int REPLACED = 1 << HIDDEN.indexOf(HttpHeaderNames.SERVER)
      | 1 << HIDDEN.indexOf(HttpHeaderNames.DATE) | 1 << HIDDEN.indexOf(HttpHeaderNames.CONNECTION);
  // The client's headers that are not passed on: nginx's own proxy_set_header defaults (ProxyConfig's
  // PROXY_DEFAULT_HEADERS: its own Host, Connection and body framing; TE, Keep-Alive, Expect and Upgrade end at
  // this hop), and Proxy-Connection.
  private static final HeaderNameSet NOT_PASSED = notPassed();

  private static HeaderNameSet notPassed() {
    List<AsciiString> names = new java.util.ArrayList<>();
    for (String name : ProxyConfig.PROXY_DEFAULT_HEADERS) {
      names.add(AsciiString.cached(name));
    }
    names.add(AsciiString.cached("proxy-connection"));
    return new HeaderNameSet(names.toArray(new AsciiString[0]));
  }

  private static final AsciiString SERVER = AsciiString.cached("dyups");

  private enum Failure { ERROR, TIMEOUT, INVALID_HEADER }

  private final ClientConnection client;
  private final Exchange exchange;
  private final Upstream upstream;
  private final Settings settings;
  private final PeerSelection selection;
  private final boolean hasBody;
  private final boolean idempotent;

  // The request body: pieces not yet written to the current backend, and (while replayable) those written too.
  private final ArrayDeque<HttpContent> body = new ArrayDeque<>(4);
  private int written;
  private long bodyBytes;
  private boolean bodyComplete;
  private boolean replayable = true;
  private boolean bodyStarted;
  /** HTTP/1.0 to the backend and a chunked body: it is read whole and sent with a Content-Length. */
  private final boolean wholeBody;

  /** The request head for the backend without its blank line ({@link BackendRequest}): made once, sent per try. */
  private final byte[] head;
  /** The body goes in chunks (the client's was chunked, and the backend speaks HTTP/1.1). */
  private final boolean chunkedBody;
  // proxy_pass https: the name the backend's certificate is checked against (and sent as SNI).
  private String sslName = "";
  private boolean asksClose;

  @Nullable private Peer peer;
  private boolean peerReported = true;
  @Nullable private BackendConnection backend;
  private boolean freshRetry;
  private int tries;
  // nginx's u->peer.tries when the request started (allowedTries), or -1 before it is needed: only a retry asks.
  private int allowedTries = -1;
  // When the first peer was asked for: proxy_next_upstream_timeout counts from here (u->peer.start_time).
  private long upstreamStart;
  private long peerStart;
  private long connectedAt = -1;
  private long headerAt = -1;
  private boolean requestSent;
  private boolean interim;
  private boolean headSent;
  private boolean responseKeepAlive;
  private boolean done;
  // Written without a flush: flushed once the read that caused the writes is over.
  private boolean backendDirty;
  private boolean clientDirty;
  private int upstreamStatus;
  // Bytes sent to the current peer and received from it, on the connections this request let go of so far (a
  // kept connection found closed and the fresh one after it both count): its statistics' sent and received.
  private long peerBytesSent;
  private long peerBytesReceived;
  // What the current peer answered, for its statistics (reported with the release): the status (0: none yet) and
  // the nanoseconds from the pick to its header and to the end of the response.
  private int peerStatus;
  private long peerHeaderNanos;
  private long peerResponseNanos;

  ProxyRequest(ClientConnection client, Exchange exchange, Upstream upstream, Settings settings, boolean hasBody,
      long declared) {
    this.client = client;
    this.exchange = exchange;
    this.upstream = upstream;
    this.settings = settings;
    this.selection = client.selection();
    this.hasBody = hasBody;
    String method = exchange.request.method().name();
    this.idempotent = !(method.equals("POST") || method.equals("LOCK") || method.equals("PATCH"));
    this.wholeBody = hasBody && declared < 0 && settings.proxyHttpVersion() == 10;
    this.bodyComplete = !hasBody;
    this.chunkedBody = hasBody && declared < 0 && !wholeBody;
    this.head = requestHead(declared);
  }

  void start() {
    TlsDirectives.UpstreamTls tls = settings.proxyTls();
    if (tls != null) {
      sslName = sslName(tls.name() == null ? exchange.proxyHost : tls.name().evaluate(exchange));
    }
    Balancing balancing = upstream.definition().balancing();
    InetSocketAddress remote = client.remoteAddress();
    if (balancing instanceof Balancing.Hash hash) {
      Template key = client.server.hashKey(hash.key());
      selection.start(upstream.peers(), remote.getAddress(), key == null ? "" : key.evaluate(exchange));
    } else {
      selection.start(upstream.peers(), remote.getAddress(), null);
    }
    nextPeer();
  }

  /** ngx_http_upstream_ssl_name: the port of a name such as $proxy_host or $http_host is not part of it. */
  private static String sslName(@Nullable String name) {
    if (name == null) {
      return "";
    }
    int from = name.startsWith("[") ? Math.max(0, name.indexOf(']')) : 0;
    int colon = name.indexOf(':', from);
    return colon < 0 ? name : name.substring(0, colon);
  }

  /**
   * What a pooled connection must have been made with to serve this request: nothing for plain HTTP; for TLS the
   * context and the name its certificate was checked against.
   */
  @Nullable
  private String tlsRoute() {
    TlsDirectives.UpstreamTls tls = settings.proxyTls();
    return tls == null ? null : tls.context().id + "/" + sslName;
  }

  private String scheme() {
    return settings.proxyTls() == null ? "http://" : "https://";
  }

  // ---- the request head

  private byte[] requestHead(long declared) {
    HttpRequest request = exchange.request;
    String uri = exchange.query == null ? exchange.path : exchange.path + "?" + exchange.query;
    BackendRequest.Builder out = new BackendRequest.Builder(client.loop.scratch, request.method().asciiName(), uri,
        settings.proxyHttpVersion() == 11);
    List<HeaderSetting> set = settings.proxyHeaders();
    boolean hostSet = false;
    boolean connectionSet = false;
    for (HeaderSetting setting : set) {
      String value = setting.value().evaluate(exchange);
      String name = setting.name();
      hostSet |= AsciiString.contentEqualsIgnoreCase(name, HttpHeaderNames.HOST);
      if (AsciiString.contentEqualsIgnoreCase(name, HttpHeaderNames.CONNECTION)) {
        connectionSet = true;
        asksClose = value.equalsIgnoreCase("close");
      }
      // A body's framing is the proxy's: its own Content-Length or Transfer-Encoding below replaces a set one.
      boolean framing = AsciiString.contentEqualsIgnoreCase(name, HttpHeaderNames.CONTENT_LENGTH)
          || AsciiString.contentEqualsIgnoreCase(name, HttpHeaderNames.TRANSFER_ENCODING);
      if (!value.isEmpty() && !(hasBody && framing)) {
        out.header(name, value);
      }
    }
    if (!hostSet) {
      out.header(HeaderNames.HOST, Objects.requireNonNull(exchange.proxyHost, "set before a request is proxied"));
    }
    if (!connectionSet) {
      out.header(HeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
      asksClose = true;
    }
    HttpHeaders in = request.headers();
    List<String> connectionTokens = in.contains(HttpHeaderNames.CONNECTION) ? in.getAll(HttpHeaderNames.CONNECTION)
        : List.of();
    for (Iterator<Map.Entry<CharSequence, CharSequence>> it = in.iteratorCharSequence(); it.hasNext(); ) {
      Map.Entry<CharSequence, CharSequence> header = it.next();
      CharSequence name = header.getKey();
      if (NOT_PASSED.indexOf(name) >= 0 || isSet(set, name) || namedIn(connectionTokens, name)) {
        continue;
      }
      out.header(name, header.getValue());
    }
    if (hasBody) {
      if (declared >= 0) {
        out.contentLength(declared);
      } else if (!wholeBody) {
        out.header(HeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
      }
    }
    return out.toBytes();
  }

  private static boolean isSet(List<HeaderSetting> set, CharSequence name) {
    for (HeaderSetting setting : set) {
      if (AsciiString.contentEqualsIgnoreCase(name, setting.name())) {
        return true;
      }
    }
    return false;
  }

  /** RFC 9110 7.6.1: headers the client's Connection header names end at this hop. */
  private static boolean namedIn(List<String> connection, CharSequence name) {
    for (String value : connection) {
      if (ConnectionTokens.contains(value, name)) {
        return true;
      }
    }
    return false;
  }

  // ---- peers

  private void nextPeer() {
    if (done) {
      return;
    }
    if (tries == 0) {
      upstreamStart = System.nanoTime();
    }
    // nginx's u->start_time of this try: set before the balancer is asked (ngx_http_upstream_connect).
    long tryStart = System.nanoTime();
    Peer next = selection.next();
    if (next == null) {
      // ngx_http_upstream_connect: the balancer is busy (every peer left is down or out for failures), on the first
      // try or a later one: logged each time, and 502 whatever the peers before failed with (FT_NOLIVE). The try
      // still has its $upstream_* entry, named after the upstream.
      client.server.errorLog().error("no live upstreams while connecting to upstream, client: "
          + client.remoteAddressText() + ", request: \"" + exchange.requestLine() + "\", upstream: \"" + scheme()
          + upstream.name() + "\", host: \"" + exchange.host + "\"");
      exchange.upstreamUnavailable(upstream.name(), System.nanoTime() - tryStart);
      fail(Failure.ERROR);
      return;
    }
    peer = next;
    peerReported = false;
    tries++;
    peerStart = tryStart;
    peerBytesSent = 0;
    peerBytesReceived = 0;
    peerStatus = 0;
    connectedAt = -1;
    headerAt = -1;
    requestSent = false;
    interim = false;
    freshRetry = false;
    BackendConnection pooled = client.loop.backends.take(upstream.name(), next.socketAddress(), tlsRoute());
    if (pooled != null) {
      connectedAt = peerStart;
      use(pooled);
    } else {
      connect(next);
    }
  }

  private void connect(Peer target) {
    LoopState loop = client.loop;
    // The address the registry resolved when it built the peer: nothing is looked up on the request path.
    if (!(target.socketAddress() instanceof InetSocketAddress address) || address.isUnresolved()) {
      attemptFailed(Failure.ERROR, "no address to connect to for " + target + " (unix sockets are not served)",
          null);
      return;
    }
    if (!loop.tryOpen()) {
      if (loop.shouldWarnAboutLimit()) {
        client.server.errorLog().warn(loop.maxConnections + " worker_connections are not enough while connecting "
            + "to upstream");
      }
      attemptFailed(Failure.ERROR, "worker_connections are not enough", null);
      return;
    }
    TlsDirectives.UpstreamTls tls = settings.proxyTls();
    SslHandler ssl = tls == null ? null : tls.context().newHandler(client.channel().alloc(), sslName,
        tls.serverName(), upstream.name(), address, settings.proxyConnectTimeout().toMillis());
    Channel channel = client.server.newBackendChannel(settings, ssl);
    BackendConnection connection = new BackendConnection(address, target.toString(), loop, channel);
    connection.tlsRoute = tlsRoute();
    connection.owner = this;
    backend = connection;
    loop.loop.register(channel).addListener(registered -> {
      if (!registered.isSuccess()) {
        channel.close();
        if (backend == connection) {
          attemptFailed(Failure.ERROR, "register failed: " + registered.cause(), connection);
        }
        return;
      }
      channel.connect(address).addListener((ChannelFuture connected) -> {
        if (backend != connection || done) {
          channel.close();
          return;
        }
        if (!connected.isSuccess()) {
          channel.close();
          Throwable cause = connected.cause();
          boolean timeout = cause instanceof ConnectTimeoutException;
          attemptFailed(timeout ? Failure.TIMEOUT : Failure.ERROR,
              (timeout ? "upstream timed out (110: Connection timed out)" : "connect() failed ("
                  + cause.getMessage() + ")") + " while connecting to upstream", connection);
          return;
        }
        if (ssl == null) {
          connectedAt = System.nanoTime();
          use(connection);
          return;
        }
        // Nothing of the request goes out before the peer's certificate passed (ngx_http_upstream_ssl_handshake).
        ssl.handshakeFuture().addListener(handshaken -> {
          if (backend != connection || done) {
            channel.close();
            return;
          }
          if (!handshaken.isSuccess()) {
            channel.close();
            Throwable cause = handshaken.cause();
            attemptFailed(BackendTls.isTimeout(cause) ? Failure.TIMEOUT : Failure.ERROR,
                BackendTls.failure(cause) + " while SSL handshaking to upstream", connection);
            return;
          }
          connectedAt = System.nanoTime();
          use(connection);
        });
      });
    });
  }

  /** Sends the request on a connected backend connection. */
  private void use(BackendConnection connection) {
    backend = connection;
    connection.owner = this;
    connection.requests++;
    connection.clearBytes();
    connection.deadline(Deadlines.NEVER);
    if (wholeBody && !bodyComplete) {
      // The head waits for the whole body, whose length it must carry.
      return;
    }
    sendHead(connection);
  }

  private void sendHead(BackendConnection connection) {
    Channel channel = connection.channel();
    connection.headRequest = exchange.isHead();
    connection.write(BackendRequest.head(channel.alloc(), head, wholeBody ? bodyBytes : -1));
    requestSent = true;
    written = 0;
    if (!hasBody) {
      // Nothing follows the head; the client's empty last piece is not waited for.
      connection.deadline(System.nanoTime() + settings.proxyReadTimeout().toNanos());
    } else {
      writeBody(connection);
      if (!bodyComplete && channel.isWritable() && !client.channel().config().isAutoRead()) {
        client.channel().config().setAutoRead(true);
      }
    }
    channel.flush();
    backendDirty = false;
  }

  /** Writes the body pieces the current backend has not had yet (flushed when the client's read ends). */
  private void writeBody(BackendConnection connection) {
    Channel channel = connection.channel();
    backendDirty = true;
    if (replayable) {
      int i = 0;
      for (HttpContent piece : body) {
        if (i++ >= written) {
          writePiece(connection, piece, piece.content().retainedDuplicate());
        }
      }
      written = body.size();
    } else {
      HttpContent piece;
      while ((piece = body.poll()) != null) {
        writePiece(connection, piece, piece.content());
      }
      written = 0;
    }
    if (bodyComplete) {
      // The request is all out: proxy_read_timeout runs from here (and between reads).
      connection.deadline(System.nanoTime() + settings.proxyReadTimeout().toNanos());
    } else if (!channel.isWritable()) {
      client.channel().config().setAutoRead(false);
      connection.deadline(System.nanoTime() + settings.proxySendTimeout().toNanos());
    }
  }

  /**
   * Writes the bytes {@code data} of {@code piece} (ours: the channel releases them), framed as a chunk when the body
   * goes chunked, and after the last piece the body's end.
   */
  private void writePiece(BackendConnection connection, HttpContent piece, ByteBuf data) {
    ByteBufAllocator alloc = connection.channel().alloc();
    int size = data.readableBytes();
    bodyStarted |= size > 0;
    if (!chunkedBody) {
      connection.write(data);
    } else if (size > 0) {
      connection.write(BackendRequest.chunkStart(alloc, size));
      connection.write(data);
      connection.write(BackendRequest.chunkEnd(alloc));
    } else {
      data.release();
    }
    if (chunkedBody && piece instanceof LastHttpContent) {
      connection.write(BackendRequest.lastChunk(alloc));
    }
  }

  // ---- the client side

  /** A piece of the request body (ours to release). */
  void clientContent(HttpContent content, boolean last) {
    if (done || !hasBody) {
      // Without a body the request went out whole already; this is the decoder's empty last piece.
      content.release();
      return;
    }
    bodyBytes += content.content().readableBytes();
    if (settings.clientMaxBodySize() > 0 && bodyBytes > settings.clientMaxBodySize()) {
      content.release();
      client.server.errorLog().error("client intended to send too large chunked body: " + bodyBytes
          + " bytes, client: " + client.remoteAddressText());
      tooLarge();
      return;
    }
    if (last) {
      bodyComplete = true;
    }
    body.add(content);
    if (replayable && bodyBytes > REPLAY_LIMIT) {
      // Too much to keep for another peer: what was written already goes, and the rest is written once.
      replayable = false;
      for (int i = 0; i < written; i++) {
        body.poll().release();
      }
      written = 0;
    }
    BackendConnection connection = backend;
    if (connection != null && connection.owner == this && connection.channel().isActive() && requestSent) {
      writeBody(connection);
    } else if (connection != null && wholeBody && bodyComplete && connection.channel().isActive()
        && connectedAt >= 0) {
      sendHead(connection);
    } else if (bodyBytes > PENDING_LIMIT && !bodyComplete) {
      client.channel().config().setAutoRead(false);
    }
  }

  void clientReadComplete() {
    BackendConnection connection = backend;
    if (backendDirty && connection != null && requestSent) {
      backendDirty = false;
      connection.channel().flush();
    }
  }

  /** The client can take more: the backend may be read again. */
  void clientWritable() {
    BackendConnection connection = backend;
    if (connection != null && headSent) {
      connection.channel().config().setAutoRead(true);
    }
  }

  void backendWritabilityChanged(BackendConnection connection) {
    if (connection.channel().isWritable() && !bodyComplete) {
      connection.deadline(Deadlines.NEVER);
      client.channel().config().setAutoRead(true);
    }
  }

  /** The request body was malformed: the client gets 400 if nothing was answered yet; the backend is dropped. */
  void clientBodyFailed() {
    if (done) {
      return;
    }
    dropBackend();
    report(false);
    finishWith(400, false);
  }

  private void tooLarge() {
    dropBackend();
    report(false);
    if (headSent) {
      done = true;
      releaseBody();
      client.responseAborted(exchange);
    } else {
      finishWith(413, false);
    }
  }

  /** The client closed its connection: stop, and let the backend connection go. */
  void clientClosed() {
    if (done) {
      return;
    }
    done = true;
    dropBackend();
    report(false);
    releaseBody();
    if (exchange.status == 0) {
      exchange.status = 499;
    }
  }

  // ---- the backend side

  void backendRead(BackendConnection connection, Object msg) {
    if (connection != backend || done) {
      ReferenceCountUtil.release(msg);
      return;
    }
    if (msg instanceof HttpResponse response) {
      responseHead(connection, response);
      if (msg instanceof HttpContent content && backend == connection && !done) {
        responseContent(connection, content);
      } else if (msg instanceof HttpContent content) {
        content.release();
      }
      return;
    }
    if (msg instanceof HttpContent content) {
      responseContent(connection, content);
      return;
    }
    ReferenceCountUtil.release(msg);
  }

  private void responseHead(BackendConnection connection, HttpResponse response) {
    if (response.decoderResult().isFailure()) {
      attemptFailed(Failure.INVALID_HEADER, "upstream sent invalid header ("
          + response.decoderResult().cause().getMessage() + ") while reading response header from upstream",
          connection);
      return;
    }
    int status = response.status().code();
    if (response.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
      if (status == 101) {
        attemptFailed(Failure.INVALID_HEADER, "upstream sent 101 Switching Protocols, which was not asked for",
            connection);
        return;
      }
      // 100 Continue and the like: the answer is still to come.
      interim = true;
      return;
    }
    headerAt = System.nanoTime();
    connection.deadline(headerAt + settings.proxyReadTimeout().toNanos());
    int bit = NextUpstream.forStatus(status);
    if (bit != 0 && (settings.nextUpstream() & bit) != 0 && mayRetry()) {
      // proxy_next_upstream http_5xx/403/404/429: this answer is dropped with its connection and the next peer asked.
      peerEntry(status);
      boolean failure = status != 403 && status != 404;
      closeBackend(connection);
      report(failure);
      nextPeer();
      return;
    }
    upstreamStatus = status;
    // The answer to the client: nginx's framing and header rules. One pass finds the headers that end at this hop
    // or that nginx hides (proxy_hide_header's defaults); only those present are removed.
    responseKeepAlive = HttpUtil.isKeepAlive(response) && !asksClose;
    HttpHeaders headers = response.headers();
    boolean chunked = HttpUtil.isTransferEncodingChunked(response);
    int present = 0;
    for (Iterator<Map.Entry<CharSequence, CharSequence>> it = headers.iteratorCharSequence(); it.hasNext(); ) {
      int hidden = HIDDEN.indexOf(it.next().getKey());
      if (hidden >= 0) {
        present |= 1 << hidden;
      }
    }
    if ((present & 1) != 0) {
      // RFC 9110 7.6.1: what the Connection header names ends here too (keep-alive, the usual, is hidden already).
      for (String value : headers.getAll(HttpHeaderNames.CONNECTION)) {
        if (ConnectionTokens.namesHeaders(value)) {
          ConnectionTokens.removeNamed(value, headers);
        }
      }
    }
    // Server, Date and Connection are written anew below, and set() replaces what is there: no removal first.
    present &= ~REPLACED;
    for (int i = 0; present != 0; i++, present >>>= 1) {
      if ((present & 1) != 0) {
        headers.remove(HIDDEN.get(i));
      }
    }
    boolean noBody = exchange.isHead() || status == 204 || status == 304;
    boolean clientKeepAlive = client.keepAlive();
    if (!noBody && !headers.contains(HttpHeaderNames.CONTENT_LENGTH)) {
      if (exchange.isHttp10()) {
        // An HTTP/1.0 client cannot read chunks: the end of the connection ends the body.
        clientKeepAlive = false;
      } else {
        headers.set(HeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
      }
    } else if (noBody && chunked && exchange.isHead()) {
      headers.set(HeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
    }
    client.keepAlive(clientKeepAlive);
    headers.set(HeaderNames.SERVER, SERVER);
    headers.set(HeaderNames.DATE, client.loop.clock().httpDate());
    headers.set(HeaderNames.CONNECTION, clientKeepAlive ? HttpHeaderValues.KEEP_ALIVE : HttpHeaderValues.CLOSE);
    response.setProtocolVersion(HttpVersion.HTTP_1_1);
    exchange.status = status;
    exchange.responseHeaders = headers;
    headSent = true;
    releaseBodyIfSent();
    Channel out = client.channel();
    clientDirty = true;
    if (response instanceof HttpContent) {
      // A full message: its content goes with the head (responseContent is called next).
      out.write(new io.netty.handler.codec.http.DefaultHttpResponse(response.protocolVersion(), response.status(),
          headers), out.voidPromise());
    } else {
      out.write(response, out.voidPromise());
    }
  }

  private void responseContent(BackendConnection connection, HttpContent content) {
    if (interim) {
      content.release();
      if (content instanceof LastHttpContent) {
        interim = false;
      }
      return;
    }
    if (content.decoderResult().isFailure()) {
      content.release();
      abortResponse("upstream sent invalid chunked response", connection);
      return;
    }
    if (!headSent) {
      content.release();
      return;
    }
    connection.deadline(System.nanoTime() + settings.proxyReadTimeout().toNanos());
    Channel out = client.channel();
    exchange.bodyBytesSent += content.content().readableBytes();
    if (content instanceof LastHttpContent) {
      done = true;
      ChannelFuture last;
      if (client.keepAlive()) {
        out.write(content, out.voidPromise());
        out.flush();
        last = null;
      } else {
        last = out.writeAndFlush(content);
      }
      clientDirty = false;
      peerEntry(upstreamStatus);
      report(false);
      boolean reusable = responseKeepAlive && bodyComplete && connection.channel().isActive();
      backend = null;
      connection.owner = null;
      if (reusable) {
        client.loop.backends.offer(upstream.name(), upstream.definition().keepalive(), connection);
      } else {
        connection.close();
      }
      releaseBody();
      client.responseComplete(exchange, last);
      return;
    }
    out.write(content, out.voidPromise());
    clientDirty = true;
    if (!out.isWritable()) {
      // The client is slower than the backend: stop reading the backend until it catches up.
      connection.channel().config().setAutoRead(false);
    }
  }

  void backendReadComplete() {
    if (clientDirty && !done) {
      clientDirty = false;
      client.channel().flush();
    }
  }

  void backendClosed(BackendConnection connection) {
    if (connection != backend || done) {
      return;
    }
    if (headSent) {
      abortResponse("upstream prematurely closed connection while reading upstream", connection);
      return;
    }
    attemptFailed(Failure.ERROR, "upstream prematurely closed connection while reading response header from "
        + "upstream", connection);
  }

  void backendError(BackendConnection connection, Throwable cause) {
    // channelInactive follows and decides; a reset is logged with it.
  }

  void backendTimedOut(BackendConnection connection) {
    if (connection != backend || done) {
      return;
    }
    if (headSent) {
      abortResponse("upstream timed out (110: Connection timed out) while reading upstream", connection);
      return;
    }
    String what = requestSent && bodyComplete ? "reading response header from upstream"
        : requestSent ? "sending request to upstream" : "connecting to upstream";
    attemptFailed(Failure.TIMEOUT, "upstream timed out (110: Connection timed out) while " + what, connection);
  }

  // ---- endings

  /**
   * This peer failed before any of the answer went to the client. A pooled connection that turns out closed gets
   * one fresh connection to the same peer, not counted as the peer's failure: the backend closing an idle
   * connection is not the peer failing.
   */
  private void attemptFailed(Failure failure, String reason, @Nullable BackendConnection connection) {
    if (done) {
      return;
    }
    boolean wasPooled = connection != null && connection.requests > 1;
    boolean nothingBack = headerAt < 0 && !interim;
    if (connection != null) {
      closeBackend(connection);
    }
    Peer tried = peer;
    if (failure == Failure.ERROR && wasPooled && nothingBack && !freshRetry && canResend() && tried != null) {
      freshRetry = true;
      connectedAt = -1;
      requestSent = false;
      connect(tried);
      return;
    }
    client.server.errorLog().error(reason + ", client: " + client.remoteAddressText() + ", request: \""
        + exchange.requestLine() + "\", upstream: \"" + scheme() + (tried == null ? "" : tried) + "\", host: \""
        + exchange.host + "\"");
    peerEntry(failure == Failure.TIMEOUT ? 504 : 502);
    report(true);
    int bit = switch (failure) {
      case ERROR -> NextUpstream.ERROR;
      case TIMEOUT -> NextUpstream.TIMEOUT;
      case INVALID_HEADER -> NextUpstream.INVALID_HEADER;
    };
    if ((settings.nextUpstream() & bit) != 0 && mayRetry()) {
      nextPeer();
    } else {
      fail(failure);
    }
  }

  /**
   * Whether the request may go to another peer: ngx_http_upstream_next's and ngx_http_upstream_test_next's
   * conditions beside the condition's own bit. A POST, LOCK or PATCH already sent needs {@code non_idempotent}; a
   * body no longer kept cannot be sent again; the tries nginx allows must not be used up (so the last peer's
   * {@code http_500} goes to the client as it is, as nginx passes it); {@code proxy_next_upstream_timeout} counts
   * from the first peer asked.
   */
  private boolean mayRetry() {
    if (done) {
      return false;
    }
    if (tries >= allowedTries()) {
      return false;
    }
    if (requestSent && !idempotent && (settings.nextUpstream() & NextUpstream.NON_IDEMPOTENT) == 0) {
      return false;
    }
    if (!canResend()) {
      return false;
    }
    long limit = settings.nextUpstreamTimeout().toNanos();
    return limit == 0 || System.nanoTime() - upstreamStart < limit;
  }

  /**
   * nginx's {@code u->peer.tries} at the start of the request: the round-robin tries of the upstream
   * ({@code ngx_http_upstream_tries}: the servers not marked {@code down}, primaries and backups; a single primary
   * without backups is tried once, as {@code peers->single}), lowered to {@code proxy_next_upstream_tries} when that
   * is set. Counted on the first retry only.
   */
  private int allowedTries() {
    if (allowedTries < 0) {
      int primaries = 0;
      int backups = 0;
      int live = 0;
      for (Peer candidate : upstream.peers().asList()) {
        if (candidate.isBackup()) {
          backups++;
        } else {
          primaries++;
        }
        if (!candidate.isDown()) {
          live++;
        }
      }
      int allowed = primaries == 1 && backups == 0 ? 1 : live;
      int limit = settings.nextUpstreamTries();
      allowedTries = limit > 0 ? Math.min(allowed, limit) : allowed;
    }
    return allowedTries;
  }

  /** Whether the body can be sent again: all of it is kept, or none of it was written. */
  private boolean canResend() {
    return replayable || !bodyStarted;
  }

  /** No peer (left) answered: 502, or 504 when the last one timed out. */
  private void fail(Failure failure) {
    finishWith(failure == Failure.TIMEOUT ? 504 : 502, true);
  }

  private void finishWith(int status, boolean keep) {
    if (done) {
      return;
    }
    done = true;
    dropBackend();
    releaseBody();
    if (!peerReported) {
      report(false);
    }
    client.respond(exchange, status, keep && client.keepAlive() && (bodyComplete || !hasBody));
  }

  private void abortResponse(String reason, BackendConnection connection) {
    client.server.errorLog().error(reason + ", client: " + client.remoteAddressText() + ", request: \""
        + exchange.requestLine() + "\", upstream: \"" + scheme() + connection.name + "\"");
    done = true;
    closeBackend(connection);
    peerEntry(upstreamStatus);
    report(false);
    releaseBody();
    client.responseAborted(exchange);
  }

  private void closeBackend(BackendConnection connection) {
    takeBytes(connection);
    if (backend == connection) {
      backend = null;
    }
    connection.owner = null;
    connection.close();
  }

  private void dropBackend() {
    BackendConnection connection = backend;
    if (connection != null) {
      closeBackend(connection);
    }
  }

  private void report(boolean failed) {
    if (peerReported) {
      return;
    }
    peerReported = true;
    BackendConnection connection = backend;
    if (connection != null) {
      takeBytes(connection);
    }
    // NGINX Plus's sent and received: what went to the peer and came from it, as $upstream_bytes_sent and
    // $upstream_bytes_received count them (ngx_http_upstream_finalize_request, ngx_http_upstream_next); its
    // responses, header_time and response_time: what peerEntry noted.
    if (failed) {
      selection.failed(peerStatus, peerHeaderNanos, peerResponseNanos, peerBytesSent, peerBytesReceived);
    } else {
      selection.succeeded(peerStatus, peerHeaderNanos, peerResponseNanos, peerBytesSent, peerBytesReceived);
    }
    peerBytesSent = 0;
    peerBytesReceived = 0;
    peerStatus = 0;
  }

  /** Adds what {@code connection} carried since it was last asked to the current peer's bytes. */
  private void takeBytes(BackendConnection connection) {
    peerBytesSent += connection.bytesSent;
    peerBytesReceived += connection.bytesReceived;
    connection.clearBytes();
  }

  private void releaseBody() {
    HttpContent piece;
    while ((piece = body.poll()) != null) {
      piece.release();
    }
    written = 0;
  }

  private void releaseBodyIfSent() {
    if (bodyComplete && written == body.size()) {
      releaseBody();
      replayable = false;
    }
  }

  /** Ends this peer's entry in $upstream_status and the $upstream_*_time lists. */
  private void peerEntry(int status) {
    Peer tried = peer;
    if (tried == null) {
      return;
    }
    long now = System.nanoTime();
    if (headerAt >= 0 && !peerReported && status >= 100 && status <= 999) {
      // The peer answered: its statistics count the response (NGINX Plus's responses, header_time, response_time)
      // when it is reported.
      peerStatus = status;
      peerHeaderNanos = headerAt - peerStart;
      peerResponseNanos = now - peerStart;
    }
    exchange.upstreamDone(tried, status, connectedAt < 0 ? -1 : connectedAt - peerStart,
        headerAt < 0 ? -1 : headerAt - peerStart, now - peerStart);
  }
}
