package io.dyups.examples;

import io.dyups.examples.ProxyConfig.ServerSettings;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.util.AsciiString;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * nginx's checks of a request head (ngx_http_parse_request_line, ngx_http_process_request_headers,
 * ngx_http_process_request_header, ngx_http_validate_host), applied to what Netty's decoder made of it. Each
 * refusal is the status nginx answers and the reason it logs; the connection is closed afterwards, as nginx closes
 * it after 400, 414, 494 and 501, so nothing the client sent after a bad head can be read as a request.
 */
final class RequestChecks {
  /**
   * The version of requests that came as HTTP/2 streams (set by ProxyServer after Netty's codec turned the frames
   * into HTTP/1.1 messages): nginx's $request and $server_protocol say HTTP/2.0.
   */
  static final HttpVersion HTTP_2_0 = new HttpVersion("HTTP", 2, 0, true);

  private RequestChecks() {}

  /** nginx's 494: answered with a 400 whose page says "Request Header Or Cookie Too Large". */
  static final int HEADER_TOO_LARGE = 494;

  /** Why a request was refused: the status and the error log's words. */
  record Refusal(int status, String reason) {}

  /**
   * Checks {@code request} and fills in the exchange's path, query and host; returns null when it may be served.
   */
  @Nullable
  static Refusal check(HttpRequest request, Exchange exchange, ServerSettings limits) {
    HttpHeaders headers = request.headers();
    DecoderResult result = request.decoderResult();
    if (result.isFailure()) {
      Throwable cause = result.cause();
      if (cause instanceof TooLongHttpLineException) {
        return new Refusal(414, "client sent too long URI");
      }
      if (cause instanceof TooLongHttpHeaderException || cause instanceof TooLongFrameException) {
        return new Refusal(HEADER_TOO_LARGE, "client sent too large request");
      }
      // Netty refuses any Transfer-Encoding whose last coding is not chunked; nginx answers those 501.
      String encoding = headers.get(HttpHeaderNames.TRANSFER_ENCODING);
      if (encoding != null && request.protocolVersion().equals(HttpVersion.HTTP_1_1)
          && !encoding.equalsIgnoreCase("chunked") && headers.getAll(HttpHeaderNames.TRANSFER_ENCODING).size() == 1) {
        return new Refusal(501, "client sent unknown \"Transfer-Encoding\": \"" + encoding + "\"");
      }
      return new Refusal(400, "client sent invalid request: " + cause.getMessage());
    }
    HttpVersion version = request.protocolVersion();
    // HTTP/2.0 only on an HTTP/2 stream (ProxyServer marks its requests so); a request line saying so is refused.
    boolean stream = exchange.connection.channel() instanceof Http2StreamChannel;
    if (version.majorVersion() != 1 && !(stream && version.majorVersion() == 2)) {
      return new Refusal(version.majorVersion() > 1 ? 505 : 400, "client sent unsupported HTTP version");
    }
    String uri = request.uri();
    for (int i = 0; i < uri.length(); i++) {
      char c = uri.charAt(i);
      if (c <= 0x20 || c == 0x7f || c > 0xff) {
        return new Refusal(400, "client sent invalid request");
      }
    }
    String host = null;
    String target = uri;
    if (uri.regionMatches(true, 0, "http://", 0, 7) || uri.regionMatches(true, 0, "https://", 0, 8)) {
      // The absolute form: its host is $host, whatever the Host header says (RFC 9112 3.2.2, as nginx).
      int start = uri.indexOf("//") + 2;
      int slash = uri.indexOf('/', start);
      int query = uri.indexOf('?', start);
      int end = slash < 0 ? (query < 0 ? uri.length() : query) : (query >= 0 && query < slash ? query : slash);
      host = validHost(uri.substring(start, end));
      if (host == null || host.isEmpty()) {
        return new Refusal(400, "client sent invalid host in request line");
      }
      target = end == uri.length() ? "/" : uri.charAt(end) == '/' ? uri.substring(end) : "/" + uri.substring(end);
    } else if (!uri.startsWith("/")) {
      if (!(uri.equals("*") && request.method().equals(HttpMethod.OPTIONS))) {
        return new Refusal(400, "client sent invalid request");
      }
      target = "/";
    }
    int question = target.indexOf('?');
    exchange.path = question < 0 ? target : target.substring(0, question);
    exchange.query = question < 0 ? null : target.substring(question + 1);
    if (escapesRoot(exchange.path)) {
      return new Refusal(400, "client sent invalid request");
    }

    // One pass over the headers: line lengths, and the headers nginx allows once.
    int lineLimit = limits.largeHeaderBufferSize();
    int seen = 0;
    CharSequence hostValue = null;
    CharSequence encoding = null;
    for (Iterator<Map.Entry<CharSequence, CharSequence>> it = headers.iteratorCharSequence(); it.hasNext(); ) {
      Map.Entry<CharSequence, CharSequence> header = it.next();
      CharSequence name = header.getKey();
      if (name.length() + 2 + header.getValue().length() > lineLimit) {
        return new Refusal(HEADER_TOO_LARGE, "client sent too long header line: \"" + name + "...\"");
      }
      int unique = UNIQUE.indexOf(name);
      if (unique < 0) {
        continue;
      }
      if ((seen & (1 << unique)) != 0) {
        List<String> values = headers.getAll(name);
        return new Refusal(400, "client sent duplicate header line: \"" + name + ": " + values.get(1)
            + "\", previous value: \"" + name + ": " + values.get(0) + "\"");
      }
      seen |= 1 << unique;
      if (unique == HOST) {
        hostValue = header.getValue();
      } else if (unique == TRANSFER_ENCODING) {
        encoding = header.getValue();
      }
    }
    if (hostValue != null) {
      String headerHost = validHost(hostValue.toString());
      if (headerHost == null) {
        return new Refusal(400, "client sent invalid host header");
      }
      if (host == null) {
        host = headerHost;
      }
    } else if (version.minorVersion() >= 1) {
      return new Refusal(400, "client sent HTTP/1.1 request without \"Host\" header");
    }
    exchange.host = host == null ? "" : host;

    if (encoding != null) {
      if (version.minorVersion() < 1) {
        return new Refusal(400, "client sent HTTP/1.0 request with \"Transfer-Encoding\" header");
      }
      if (!AsciiString.contentEqualsIgnoreCase(encoding, "chunked")) {
        return new Refusal(501, "client sent unknown \"Transfer-Encoding\": \"" + encoding + "\"");
      }
      if ((seen & (1 << CONTENT_LENGTH)) != 0) {
        return new Refusal(400,
            "client sent \"Content-Length\" and \"Transfer-Encoding\" headers at the same time");
      }
    }
    String method = request.method().name();
    if (method.equals("CONNECT") || method.equals("TRACE")) {
      return new Refusal(405, "client sent " + method + " method");
    }
    return null;
  }

  // nginx's headers handled by ngx_http_process_unique_header_line or process_host: a second one is a 400.
  private static final HeaderNameSet UNIQUE = new HeaderNameSet(HttpHeaderNames.HOST, HttpHeaderNames.CONTENT_LENGTH,
      HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderNames.IF_MODIFIED_SINCE, HttpHeaderNames.IF_UNMODIFIED_SINCE,
      HttpHeaderNames.IF_MATCH, HttpHeaderNames.IF_NONE_MATCH, HttpHeaderNames.CONTENT_RANGE,
      HttpHeaderNames.IF_RANGE, HttpHeaderNames.EXPECT, HttpHeaderNames.AUTHORIZATION);
  private static final int HOST = 0;
  private static final int CONTENT_LENGTH = 1;
  private static final int TRANSFER_ENCODING = 2;

  /**
   * nginx's ngx_http_validate_host: the host lower-cased, without its port and a trailing dot; null when it has a
   * character nginx refuses (a slash, a NUL, a leading dot, two dots in a row, an unclosed bracket).
   */
  @Nullable
  static String validHost(String value) {
    int dotAt = -1;
    boolean bracket = false;
    int end = value.length();
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '.' -> {
          if (dotAt == i - 1) {
            return null;
          }
          dotAt = i;
        }
        case ':' -> {
          if (!bracket) {
            end = i;
            i = value.length();
          }
        }
        case '[' -> {
          if (i != 0) {
            return null;
          }
          bracket = true;
        }
        case ']' -> bracket = false;
        case '/', '\\', '\0' -> {
          return null;
        }
        default -> {
          if (c < 0x20 || c == 0x7f) {
            return null;
          }
        }
      }
    }
    if (bracket) {
      return null;
    }
    if (dotAt == end - 1 && end > 0) {
      end--;
    }
    return value.substring(0, end).toLowerCase(Locale.ROOT);
  }

  /** Whether the path's dot segments climb above the root ({@code /../x}), which nginx refuses. */
  static boolean escapesRoot(String path) {
    if (path.indexOf('.') < 0 && path.indexOf('%') < 0) {
      return false;
    }
    String decoded = path.replace("%2e", ".").replace("%2E", ".");
    int depth = 0;
    for (String segment : decoded.split("/", -1)) {
      if (segment.isEmpty() || segment.equals(".")) {
        continue;
      }
      if (segment.equals("..")) {
        if (--depth < 0) {
          return true;
        }
      } else {
        depth++;
      }
    }
    return false;
  }
}
