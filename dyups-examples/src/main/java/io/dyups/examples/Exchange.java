package io.dyups.examples;

import io.dyups.examples.ProxyConfig.Location;
import io.dyups.examples.ProxyConfig.VirtualServer;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import org.jspecify.annotations.Nullable;

/**
 * One request on a client connection and what became of it: what nginx's variables read ({@link Variable}) for
 * the access log, {@code proxy_set_header} and hash keys. Written on the connection's event loop only.
 */
final class Exchange {
  final ClientConnection connection;
  final HttpRequest request;
  final long startNanos;
  final long startMillis;
  /** This request's number on its connection, from 1 ($connection_requests). */
  final int number;
  /** Whether it arrived while an earlier request on the connection was still being answered ($pipe). */
  final boolean pipelined;

  /** The request target's path (without the query, still percent-encoded) and query ({@code null}: none). */
  String path = "/";
  @Nullable String query;
  /** nginx's $host: from the request line's absolute URI, else the Host header, else the server's name. */
  String host = "";
  @Nullable VirtualServer server;
  @Nullable Location location;
  /** $proxy_host: the upstream name, or the host the request named for {@code proxy_pass http://$host}. */
  @Nullable String proxyHost;

  int status;
  long bodyBytesSent;
  long bytesSentAtStart;
  long bytesSent;
  long requestLength;
  @Nullable HttpHeaders responseHeaders;

  // $upstream_addr and friends: one entry per peer tried, ", " between them, as nginx writes them.
  @Nullable StringBuilder upstreamAddr;
  @Nullable StringBuilder upstreamStatus;
  @Nullable StringBuilder upstreamConnectTime;
  @Nullable StringBuilder upstreamHeaderTime;
  @Nullable StringBuilder upstreamResponseTime;

  Exchange(ClientConnection connection, HttpRequest request, int number, boolean pipelined, long startNanos,
      long startMillis) {
    this.connection = connection;
    this.request = request;
    this.number = number;
    this.pipelined = pipelined;
    this.startNanos = startNanos;
    this.startMillis = startMillis;
  }

  HttpHeaders headers() {
    return request.headers();
  }

  boolean isHead() {
    return request.method() == HttpMethod.HEAD || request.method().name().equals("HEAD");
  }

  boolean isHttp10() {
    return request.protocolVersion().equals(HttpVersion.HTTP_1_0);
  }

  /** The request line as nginx's $request shows it. */
  String requestLine() {
    return request.method().name() + " " + request.uri() + " " + request.protocolVersion().text();
  }

  /** Starts a new entry for a peer in the $upstream_* lists. */
  void upstreamTried(String address) {
    if (upstreamAddr == null) {
      upstreamAddr = new StringBuilder(24);
      upstreamStatus = new StringBuilder(8);
      upstreamConnectTime = new StringBuilder(8);
      upstreamHeaderTime = new StringBuilder(8);
      upstreamResponseTime = new StringBuilder(8);
    } else {
      upstreamAddr.append(", ");
      upstreamStatus.append(", ");
      upstreamConnectTime.append(", ");
      upstreamHeaderTime.append(", ");
      upstreamResponseTime.append(", ");
    }
    upstreamAddr.append(address);
  }

  /** Ends the current peer's entry: its status (0 when none, shown as 502 or 504 as nginx does) and times. */
  void upstreamDone(int status, long connectNanos, long headerNanos, long responseNanos) {
    if (upstreamStatus == null) {
      return;
    }
    if (status > 0) {
      upstreamStatus.append(status);
    } else {
      upstreamStatus.append('-');
    }
    appendSeconds(upstreamConnectTime, connectNanos);
    appendSeconds(upstreamHeaderTime, headerNanos);
    appendSeconds(upstreamResponseTime, responseNanos);
  }

  /** Seconds with milliseconds, as nginx's times: {@code 0.012}; {@code -} for a time never reached. */
  static void appendSeconds(StringBuilder out, long nanos) {
    if (nanos < 0) {
      out.append('-');
      return;
    }
    long millis = nanos / 1_000_000;
    out.append(millis / 1000).append('.');
    long rest = millis % 1000;
    if (rest < 100) {
      out.append('0');
    }
    if (rest < 10) {
      out.append('0');
    }
    out.append(rest);
  }
}
