package io.dyups.examples;

import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** The variables themselves, in one table. */
final class Variables {
  private Variables() {}

  private static final String PID = Long.toString(ProcessHandle.current().pid());

  static final Map<String, Variable> FIXED = Map.ofEntries(
      Map.entry("remote_addr", (out, e) -> {
        out.append(e.connection.remoteAddressText());
        return true;
      }),
      Map.entry("binary_remote_addr", (out, e) -> {
        for (byte b : e.connection.remoteAddress().getAddress().getAddress()) {
          out.append((char) (b & 0xFF));
        }
        return true;
      }),
      Map.entry("remote_port", (out, e) -> {
        out.append(e.connection.remoteAddress().getPort());
        return true;
      }),
      Map.entry("remote_user", (out, e) -> false),
      Map.entry("time_local", (out, e) -> {
        out.append(e.connection.loop().clock().timeLocal());
        return true;
      }),
      Map.entry("time_iso8601", (out, e) -> {
        out.append(e.connection.loop().clock().timeIso8601());
        return true;
      }),
      Map.entry("msec", (out, e) -> {
        long now = System.currentTimeMillis();
        out.append(now / 1000).append('.');
        appendThreeDigits(out, now % 1000);
        return true;
      }),
      Map.entry("request", (out, e) -> {
        out.append(e.request.method().name()).append(' ').append(e.request.uri()).append(' ')
            .append(e.request.protocolVersion().text());
        return true;
      }),
      Map.entry("request_method", (out, e) -> {
        out.append(e.request.method().name());
        return true;
      }),
      Map.entry("request_uri", (out, e) -> {
        out.append(e.request.uri());
        return true;
      }),
      Map.entry("uri", Variables::appendUri),
      Map.entry("document_uri", Variables::appendUri),
      Map.entry("args", Variables::appendQuery),
      Map.entry("query_string", Variables::appendQuery),
      Map.entry("is_args", (out, e) -> {
        if (e.query != null) {
          out.append('?');
        }
        return true;
      }),
      Map.entry("scheme", (out, e) -> {
        out.append(TlsVariables.isTls(e) ? "https" : "http");
        return true;
      }),
      Map.entry("server_protocol", (out, e) -> {
        out.append(e.request.protocolVersion().text());
        return true;
      }),
      Map.entry("status", (out, e) -> {
        appendThreeDigits(out, e.status);
        return true;
      }),
      Map.entry("body_bytes_sent", (out, e) -> {
        out.append(e.bodyBytesSent);
        return true;
      }),
      Map.entry("bytes_sent", (out, e) -> {
        out.append(e.bytesSent);
        return true;
      }),
      Map.entry("request_length", (out, e) -> {
        out.append(e.requestLength);
        return true;
      }),
      Map.entry("request_time", (out, e) -> {
        Exchange.appendSeconds(out, System.nanoTime() - e.startNanos);
        return true;
      }),
      Map.entry("host", (out, e) -> {
        out.append(e.host);
        return true;
      }),
      Map.entry("hostname", (out, e) -> {
        out.append(Hostname.NAME);
        return true;
      }),
      Map.entry("server_name", (out, e) -> {
        if (e.server != null && !e.server.names().isEmpty()) {
          out.append(e.server.names().get(0));
        }
        return true;
      }),
      Map.entry("server_addr", (out, e) -> {
        out.append(e.connection.localAddress().getAddress().getHostAddress());
        return true;
      }),
      Map.entry("server_port", (out, e) -> {
        out.append(e.connection.localAddress().getPort());
        return true;
      }),
      Map.entry("content_length", (out, e) -> appendHeader(out, e.headers().getAll("content-length"), "")),
      Map.entry("content_type", (out, e) -> appendHeader(out, e.headers().getAll("content-type"), "")),
      Map.entry("connection", (out, e) -> {
        out.append(e.connection.id());
        return true;
      }),
      Map.entry("connection_requests", (out, e) -> {
        out.append(e.number);
        return true;
      }),
      Map.entry("pipe", (out, e) -> {
        out.append(e.pipelined ? 'p' : '.');
        return true;
      }),
      Map.entry("pid", (out, e) -> {
        out.append(PID);
        return true;
      }),
      Map.entry("proxy_host", (out, e) -> {
        if (e.proxyHost == null) {
          return false;
        }
        out.append(e.proxyHost);
        return true;
      }),
      Map.entry("proxy_add_x_forwarded_for", (out, e) -> {
        java.util.List<String> forwarded = e.headers().getAll("x-forwarded-for");
        if (!forwarded.isEmpty()) {
          appendHeader(out, forwarded, "x-forwarded-for");
          out.append(", ");
        }
        out.append(e.connection.remoteAddressText());
        return true;
      }),
      Map.entry("upstream_addr", (out, e) -> e.appendUpstream(out, Exchange.UpstreamFact.ADDRESS)),
      Map.entry("upstream_status", (out, e) -> e.appendUpstream(out, Exchange.UpstreamFact.STATUS)),
      Map.entry("upstream_connect_time", (out, e) -> e.appendUpstream(out, Exchange.UpstreamFact.CONNECT_TIME)),
      Map.entry("upstream_header_time", (out, e) -> e.appendUpstream(out, Exchange.UpstreamFact.HEADER_TIME)),
      Map.entry("upstream_response_time", (out, e) -> e.appendUpstream(out, Exchange.UpstreamFact.RESPONSE_TIME)));

  private static boolean appendUri(StringBuilder out, Exchange e) {
    String path = e.path;
    out.append(path.indexOf('%') < 0 ? path : decode(path));
    return true;
  }

  private static String decode(String path) {
    try {
      return URLDecoder.decode(path.replace("+", "%2B"), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException ex) {
      return path;
    }
  }

  private static boolean appendQuery(StringBuilder out, Exchange e) {
    if (e.query == null) {
      return false;
    }
    out.append(e.query);
    return true;
  }

  static void appendThreeDigits(StringBuilder out, long value) {
    if (value < 100) {
      out.append('0');
    }
    if (value < 10) {
      out.append('0');
    }
    out.append(value);
  }

  /** Several lines of one header joined as nginx joins them: "; " for Cookie, ", " for the others. */
  static boolean appendHeader(StringBuilder out, java.util.List<String> values, String name) {
    if (values.isEmpty()) {
      return false;
    }
    String separator = name.equals("cookie") ? "; " : ", ";
    for (int i = 0; i < values.size(); i++) {
      if (i > 0) {
        out.append(separator);
      }
      out.append(values.get(i));
    }
    return true;
  }

  /** $arg_NAME: the first NAME=value in the query, the name compared ignoring case, as nginx does. */
  static boolean appendArgument(StringBuilder out, @Nullable String query, String wanted) {
    if (query == null) {
      return false;
    }
    int start = 0;
    while (start <= query.length()) {
      int end = query.indexOf('&', start);
      if (end < 0) {
        end = query.length();
      }
      int eq = query.indexOf('=', start);
      if (eq > start && eq < end && eq - start == wanted.length()
          && query.regionMatches(true, start, wanted, 0, wanted.length())) {
        out.append(query, eq + 1, end);
        return true;
      }
      start = end + 1;
    }
    return false;
  }

  /** $cookie_NAME: the value of the first cookie called NAME (exact case, as nginx). */
  static boolean appendCookie(StringBuilder out, java.util.List<String> headers, String wanted) {
    for (String header : headers) {
      for (String cookie : header.split(";", -1)) {
        int eq = cookie.indexOf('=');
        if (eq > 0 && cookie.substring(0, eq).trim().equals(wanted)) {
          out.append(cookie.substring(eq + 1).trim());
          return true;
        }
      }
    }
    return false;
  }

  /** The machine's name, read on first use of $hostname only (it may ask a resolver). */
  private static final class Hostname {
    static final String NAME = read();

    private static String read() {
      try {
        return java.net.InetAddress.getLocalHost().getHostName();
      } catch (java.net.UnknownHostException e) {
        return "localhost";
      }
    }
  }

  static String addressText(InetSocketAddress address) {
    return address.getAddress() == null ? address.getHostString() : address.getAddress().getHostAddress();
  }
}
