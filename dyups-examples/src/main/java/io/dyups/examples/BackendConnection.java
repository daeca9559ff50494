package io.dyups.examples;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.util.ReferenceCountUtil;
import java.net.SocketAddress;
import java.util.ArrayDeque;
import org.jspecify.annotations.Nullable;

/**
 * One connection to a backend, on the event loop of the client connection that opened it: while a
 * {@link ProxyRequest} owns it, what the backend sends goes to that request; while it sits in the
 * {@link BackendPool}, anything the backend sends (or its closing) ends it.
 */
final class BackendConnection extends ChannelInboundHandlerAdapter {

  final SocketAddress address;
  // The peer's name as nginx logs it: 10.0.0.1:8080.
  final String name;
  final LoopState loop;
  final long createdNanos = System.nanoTime();
  /** Requests sent on this connection so far (keepalive_requests). */
  int requests;
  /** The request being answered is a HEAD: its response has no body whatever its headers say. */
  boolean headRequest;
  /** For TLS, the context and checked name it was made with (a request takes only a connection made like its own). */
  @Nullable String tlsRoute;
  /** When it last went into the pool. */
  long idleSince;
  @Nullable ProxyRequest owner;
  @Nullable ArrayDeque<BackendConnection> pooledIn;
  /**
   * Bytes of HTTP written to the backend and read from it since the request that owns it last took them:
   * counted where the request's bytes are written ({@link #write}) and where the decoder reads, so over TLS they
   * are the bytes inside the records, as nginx counts {@code c->sent} and {@code $upstream_bytes_received} (the
   * handshake not included). A write counts when it is passed to the channel, whether or not the socket takes all of
   * it.
   */
  long bytesSent;
  long bytesReceived;
  private final Channel channel;
  private final Deadlines.Entry timer = new Deadlines.Entry() {
    @Override
    void expired(long now) {
      ProxyRequest request = owner;
      if (request != null) {
        request.backendTimedOut(BackendConnection.this);
      } else {
        close();
      }
    }
  };

  /**
   * Ends {@code channel}'s pipeline (TLS, when there is, before them) with the response decoder and this handler, before the channel is registered, the connection already counted against the limit; whenever the
   * channel closes (a failed connect too), the count goes down. Requests are written as bytes ({@link BackendRequest}):
   * no encoder.
   */
  BackendConnection(SocketAddress address, String name, LoopState loop, Channel channel) {
    this.address = address;
    this.name = name;
    this.loop = loop;
    this.channel = channel;
    channel.pipeline().addLast(new ResponseDecoder(), this);
    loop.deadlines.add(timer);
    channel.closeFuture().addListener(future -> closed());
  }

  Channel channel() {
    return channel;
  }

  /** Forgets the bytes counted so far, as nginx zeroes {@code c->sent} when a request takes a kept connection. */
  void clearBytes() {
    bytesSent = 0;
    bytesReceived = 0;
  }

  /** Writes {@code bytes} of the request (without a flush), counting them. */
  void write(ByteBuf bytes) {
    bytesSent += bytes.readableBytes();
    channel.write(bytes, channel.voidPromise());
  }

  /**
   * The backend's responses as Netty's {@link HttpResponseDecoder} reads them, one per request sent: the answer to
   * a HEAD has no body (what Netty's client codec learns from its queue of requests, this connection knows from the
   * one request it carries at a time).
   */
  private final class ResponseDecoder extends HttpResponseDecoder {
    ResponseDecoder() {
      super(new HttpDecoderConfig().setMaxInitialLineLength(4096).setMaxHeaderSize(8192).setMaxChunkSize(64 * 1024));
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
      if (msg instanceof ByteBuf buf) {
        bytesReceived += buf.readableBytes();
      }
      super.channelRead(ctx, msg);
    }

    @Override
    protected boolean isContentAlwaysEmpty(HttpMessage msg) {
      if (headRequest && msg instanceof HttpResponse response
          && response.status().codeClass() != HttpStatusClass.INFORMATIONAL) {
        return true;
      }
      return super.isContentAlwaysEmpty(msg);
    }
  }

  private void closed() {
    loop.closed();
    loop.deadlines.remove(timer);
    loop.backends.remove(this);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    // After the codec's last word: a response read until the connection closed has ended before this.
    ProxyRequest request = owner;
    owner = null;
    if (request != null) {
      request.backendClosed(this);
    }
  }

  void deadline(long at) {
    timer.deadline = at;
  }

  void idleUntil(long at) {
    owner = null;
    timer.deadline = at;
  }

  void close() {
    owner = null;
    channel.close();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    ProxyRequest request = owner;
    if (request != null) {
      request.backendRead(this, msg);
    } else {
      // An idle connection has nothing to say: whatever it sent is not an answer to anything.
      ReferenceCountUtil.release(msg);
      loop.backends.remove(this);
      close();
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    ProxyRequest request = owner;
    if (request != null) {
      request.backendReadComplete();
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    ProxyRequest request = owner;
    if (request != null) {
      request.backendWritabilityChanged(this);
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    // A reset or a broken pipe: closing brings channelInactive, which tells the owner.
    ProxyRequest request = owner;
    if (request != null) {
      request.backendError(this, cause);
    }
    ctx.close();
  }
}
