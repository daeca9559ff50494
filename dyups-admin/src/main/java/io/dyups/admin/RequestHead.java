package io.dyups.admin;

import static java.util.Objects.requireNonNull;

import com.google.common.base.Splitter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The head of one HTTP/1.x request, parsed strictly (RFC 9112 §3 and §5, with nginx's leniencies: a bare LF ends a
 * line, empty lines before the request line are skipped) and checked as nginx's {@code
 * ngx_http_process_request_header} checks it: one {@code Host} (required in HTTP/1.1), one {@code Content-Length}
 * of digits, {@code Transfer-Encoding} only {@code chunked}, only in HTTP/1.1 and never with a {@code
 * Content-Length}. What nginx refuses gives an {@link HttpError} with nginx's status.
 *
 * @param method the method, such as {@code POST}
 * @param target the raw request target, still percent-encoded
 * @param minorVersion 0 for HTTP/1.0, 1 for HTTP/1.1
 * @param headers field names as sent to their values in order, one entry per name (any case)
 * @param contentLength the declared body length; -1 when there is none or it is chunked
 * @param chunked the body comes in chunks ({@code Transfer-Encoding: chunked})
 */
record RequestHead(
    String method, String target, int minorVersion, Map<String, List<String>> headers, long contentLength,
    boolean chunked) {

  /**
   * Parses the head in {@code bytes[0, length)}, which ends with its empty line.
   *
   * @throws HttpError when the head is malformed or nginx would refuse it
   */
  static RequestHead parse(byte[] bytes, int length) {
    List<String> lines = lines(bytes, length);
    int first = 0;
    while (first < lines.size() && lines.get(first).isEmpty()) {
      first++;
    }
    if (first == lines.size()) {
      throw new HttpError(400, "client sent no request line");
    }
    String requestLine = lines.get(first);
    int sp1 = requestLine.indexOf(' ');
    int sp2 = sp1 < 0 ? -1 : requestLine.indexOf(' ', sp1 + 1);
    if (sp1 <= 0 || sp2 < 0 || requestLine.indexOf(' ', sp2 + 1) >= 0) {
      throw new HttpError(400, "client sent invalid request");
    }
    String method = requestLine.substring(0, sp1);
    String target = requestLine.substring(sp1 + 1, sp2);
    String version = requestLine.substring(sp2 + 1);
    for (int i = 0; i < method.length(); i++) {
      char c = method.charAt(i);
      // nginx's method: capital letters, '_' and '-' (ngx_http_parse_request_line).
      if (!((c >= 'A' && c <= 'Z') || c == '_' || c == '-')) {
        throw new HttpError(400, "client sent invalid method");
      }
    }
    target = originForm(target);
    int minor = minorVersion(version);
    Map<String, List<String>> headers = new LinkedHashMap<>();
    Map<String, String> folded = new LinkedHashMap<>();
    for (int i = first + 1; i < lines.size(); i++) {
      String line = lines.get(i);
      if (line.isEmpty()) {
        break;
      }
      int colon = line.indexOf(':');
      if (colon <= 0 || !isToken(line, 0, colon)) {
        // Includes a line folded onto the one before (obs-fold), which RFC 9112 §5.2 lets a server refuse.
        throw new HttpError(400, "client sent invalid header line");
      }
      String name = line.substring(0, colon);
      String value = line.substring(colon + 1).strip();
      for (int j = 0; j < value.length(); j++) {
        char c = value.charAt(j);
        if ((c < 0x20 && c != '\t') || c == 0x7f) {
          throw new HttpError(400, "client sent invalid header line");
        }
      }
      String key = name.toLowerCase(Locale.ROOT);
      String spelled = folded.putIfAbsent(key, name);
      headers.computeIfAbsent(spelled == null ? name : spelled, k -> new ArrayList<>()).add(value);
    }
    String host = unique(headers, folded, "host");
    if (minor == 1 && host == null) {
      throw new HttpError(400, "client sent HTTP/1.1 request without \"Host\" header");
    }
    String declared = unique(headers, folded, "content-length");
    String encoding = unique(headers, folded, "transfer-encoding");
    long contentLength = declared == null ? -1 : contentLength(declared);
    boolean chunked = false;
    if (encoding != null) {
      if (minor == 0) {
        throw new HttpError(400, "client sent HTTP/1.0 request with \"Transfer-Encoding\" header");
      }
      if (!encoding.equalsIgnoreCase("chunked")) {
        throw new HttpError(501, "client sent unknown \"Transfer-Encoding\": \"" + encoding + "\"");
      }
      if (declared != null) {
        throw new HttpError(400,
            "client sent \"Content-Length\" and \"Transfer-Encoding\" headers at the same time");
      }
      chunked = true;
    }
    return new RequestHead(method, target, minor, headers, contentLength, chunked);
  }

  /** The first value of a field (name in any case), or null. */
  @Nullable
  String header(String name) {
    for (Map.Entry<String, List<String>> header : headers.entrySet()) {
      if (header.getKey().equalsIgnoreCase(name)) {
        return header.getValue().get(0);
      }
    }
    return null;
  }

  /** The connection stays open after the answer: HTTP/1.1 without {@code Connection: close}. */
  boolean keepAlive() {
    if (minorVersion == 0) {
      return false;
    }
    String connection = header("Connection");
    if (connection == null) {
      return true;
    }
    for (String option : Splitter.on(',').split(connection)) {
      if (option.strip().equalsIgnoreCase("close")) {
        return false;
      }
    }
    return true;
  }

  /** The client waits for {@code 100 Continue} before it sends the body (RFC 9110 §10.1.1). */
  boolean expectsContinue() {
    String expect = header("Expect");
    return minorVersion == 1 && expect != null && expect.equalsIgnoreCase("100-continue");
  }

  /** The request has a body to read. */
  boolean hasBody() {
    return chunked || contentLength > 0;
  }

  // Lines as ISO-8859-1 text (a field value may hold obs-text bytes); a CR counts only right before its LF.
  private static List<String> lines(byte[] bytes, int length) {
    List<String> lines = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < length; i++) {
      if (bytes[i] == '\n') {
        int end = i > start && bytes[i - 1] == '\r' ? i - 1 : i;
        for (int j = start; j < end; j++) {
          if (bytes[j] == '\r' || bytes[j] == 0) {
            throw new HttpError(400, "client sent invalid request");
          }
        }
        lines.add(new String(bytes, start, end - start, StandardCharsets.ISO_8859_1));
        start = i + 1;
      }
    }
    return lines;
  }

  /**
   * The target as a path and query, as nginx's {@code ngx_http_parse_request_line} takes it: a path from {@code /},
   * or an absolute URI ({@code http://host/path}) whose path is used; anything else, a space, a control character
   * or a {@code %} not followed by two hex digits in the path is 400.
   */
  private static String originForm(String target) {
    for (int i = 0; i < target.length(); i++) {
      char c = target.charAt(i);
      if (c <= 0x20 || c == 0x7f) {
        throw new HttpError(400, "client sent invalid request");
      }
    }
    String path = target;
    int scheme = target.indexOf("://");
    if (!target.startsWith("/") && scheme > 0 && isScheme(target.substring(0, scheme))) {
      int slash = target.indexOf('/', scheme + 3);
      int query = target.indexOf('?', scheme + 3);
      path = slash >= 0 && (query < 0 || slash < query) ? target.substring(slash)
          : "/" + (query >= 0 ? target.substring(query) : "");
    }
    if (!path.startsWith("/")) {
      throw new HttpError(400, "client sent invalid request");
    }
    int end = path.indexOf('?') < 0 ? path.length() : path.indexOf('?');
    for (int i = 0; i < end; i++) {
      if (path.charAt(i) == '%' && (i + 2 >= end
          || Character.digit(path.charAt(i + 1), 16) < 0 || Character.digit(path.charAt(i + 2), 16) < 0)) {
        throw new HttpError(400, "client sent invalid request");
      }
    }
    return path;
  }

  private static boolean isScheme(String scheme) {
    for (int i = 0; i < scheme.length(); i++) {
      char c = scheme.charAt(i);
      boolean letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
      if (!(letter || (i > 0 && ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.')))) {
        return false;
      }
    }
    return true;
  }

  private static int minorVersion(String version) {
    if (version.equals("HTTP/1.1")) {
      return 1;
    }
    if (version.equals("HTTP/1.0")) {
      return 0;
    }
    if (version.length() == 8 && version.startsWith("HTTP/") && version.charAt(6) == '.'
        && Character.isDigit(version.charAt(5)) && Character.isDigit(version.charAt(7))) {
      throw new HttpError(505, "client sent unsupported HTTP version");
    }
    throw new HttpError(400, "client sent invalid request");
  }

  // Host, Content-Length and Transfer-Encoding are unique (nginx's ngx_http_process_unique_header_line).
  @Nullable
  private static String unique(Map<String, List<String>> headers, Map<String, String> folded, String name) {
    String spelled = folded.get(name);
    if (spelled == null) {
      return null;
    }
    List<String> values = requireNonNull(headers.get(spelled), "values");
    if (values.size() > 1) {
      throw new HttpError(400, "client sent duplicate header line: \"" + spelled + "\"");
    }
    return values.get(0);
  }

  private static long contentLength(String value) {
    if (value.isEmpty() || value.length() > 18) {
      throw new HttpError(400, "client sent invalid \"Content-Length\" header");
    }
    for (int i = 0; i < value.length(); i++) {
      if (value.charAt(i) < '0' || value.charAt(i) > '9') {
        throw new HttpError(400, "client sent invalid \"Content-Length\" header");
      }
    }
    return Long.parseLong(value);
  }

  private static boolean isToken(String text, int from, int to) {
    for (int i = from; i < to; i++) {
      char c = text.charAt(i);
      boolean tchar = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
      if (!tchar) {
        return false;
      }
    }
    return true;
  }
}
