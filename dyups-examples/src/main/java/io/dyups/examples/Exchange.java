package io.dyups.examples;

import io.dyups.core.Peer;
import io.dyups.examples.ProxyConfig.Location;
import io.dyups.examples.ProxyConfig.VirtualServer;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.util.Arrays;
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

  // $upstream_addr and friends: one entry per peer tried, formatted only when a log format or a header asks.
  private static final UpstreamTry[] NO_TRIES = {};
  private UpstreamTry[] upstreamTries = NO_TRIES;
  private int upstreams;

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
    return request.method().equals(HttpMethod.HEAD);
  }

  boolean isHttp10() {
    return request.protocolVersion().equals(HttpVersion.HTTP_1_0);
  }

  /** The request line as nginx's $request shows it. */
  String requestLine() {
    return request.method().name() + " " + request.uri() + " " + request.protocolVersion().text();
  }

  /**
   * What became of one try: its status (0: none) and times from its start (-1: never reached). $upstream_addr names
   * the peer by the address connected to, as nginx's peer->name; a try that found no live peer names the upstream
   * instead ({@code peer} null), as ngx_http_upstream_get_round_robin_peer sets pc->name to the peers' name
   * before it returns NGX_BUSY.
   */
  private record UpstreamTry(@Nullable Peer peer, String upstream, int status, long connectNanos, long headerNanos,
      long responseNanos) {}

  /** Records what became of one peer tried: its status (0: none) and times (-1: never reached). */
  void upstreamDone(Peer peer, int status, long connectNanos, long headerNanos, long responseNanos) {
    add(new UpstreamTry(peer, "", status, connectNanos, headerNanos, responseNanos));
  }

  /**
   * Records a try that found no live peer in {@code upstream} ("no live upstreams"): nginx keeps a state for it
   * too (ngx_http_upstream_connect), named after the upstream, with status 502, no connect or header time, and
   * the time from its start to the response.
   */
  void upstreamUnavailable(String upstream, long responseNanos) {
    add(new UpstreamTry(null, upstream, 502, -1, -1, responseNanos));
  }

  private void add(UpstreamTry tried) {
    if (upstreams == upstreamTries.length) {
      upstreamTries = Arrays.copyOf(upstreamTries, Math.max(2, upstreams * 2));
    }
    upstreamTries[upstreams++] = tried;
  }

  /** Which $upstream_* list a variable wants. */
  enum UpstreamFact { ADDRESS, STATUS, CONNECT_TIME, HEADER_TIME, RESPONSE_TIME }

  /** Appends a $upstream_* list as nginx writes it ("a, b"); false when no peer was tried. */
  boolean appendUpstream(StringBuilder out, UpstreamFact fact) {
    if (upstreams == 0) {
      return false;
    }
    for (int i = 0; i < upstreams; i++) {
      if (i > 0) {
        out.append(", ");
      }
      UpstreamTry tried = upstreamTries[i];
      switch (fact) {
        case ADDRESS -> {
          Peer peer = tried.peer();
          if (peer != null) {
            out.append(peer);
          } else {
            out.append(tried.upstream());
          }
        }
        case STATUS -> {
          if (tried.status() > 0) {
            out.append(tried.status());
          } else {
            out.append('-');
          }
        }
        case CONNECT_TIME -> appendSeconds(out, tried.connectNanos());
        case HEADER_TIME -> appendSeconds(out, tried.headerNanos());
        case RESPONSE_TIME -> appendSeconds(out, tried.responseNanos());
      }
    }
    return true;
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
