package io.dyups.examples;

import com.google.common.base.Splitter;
import java.net.InetAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Evaluates the nginx variables a {@code hash} key may use: {@code $remote_addr $host $request_uri $uri $args
 * $request_method $arg_NAME $http_NAME $cookie_NAME}. An unknown variable is empty.
 */
final class Variables {
  private Variables() {}

  static String evaluate(String template, HttpHead request, InetAddress client, String host) {
    StringBuilder out = new StringBuilder(template.length() + 32);
    int i = 0;
    while (i < template.length()) {
      char c = template.charAt(i);
      if (c != '$') {
        out.append(c);
        i++;
        continue;
      }
      int start = i + 1;
      boolean braced = start < template.length() && template.charAt(start) == '{';
      if (braced) {
        start++;
      }
      int end = start;
      while (end < template.length() && isNameChar(template.charAt(end))) {
        end++;
      }
      out.append(value(template.substring(start, end), request, client, host));
      i = braced && end < template.length() && template.charAt(end) == '}' ? end + 1 : end;
    }
    return out.toString();
  }

  private static boolean isNameChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  }

  private static String value(String name, HttpHead request, InetAddress client, String host) {
    String target = request.second();
    int query = target.indexOf('?');
    String args = query < 0 ? "" : target.substring(query + 1);
    String lower = name.toLowerCase(Locale.ROOT);
    switch (lower) {
      case "remote_addr" -> {
        return client.getHostAddress();
      }
      case "host" -> {
        return host;
      }
      case "request_uri" -> {
        return target;
      }
      case "uri" -> {
        return URLDecoder.decode(query < 0 ? target : target.substring(0, query), StandardCharsets.UTF_8);
      }
      case "args", "query_string" -> {
        return args;
      }
      case "request_method" -> {
        return request.first();
      }
      default -> {
        // one of the prefixed variables below
      }
    }
    if (lower.startsWith("arg_")) {
      String wanted = name.substring(4);
      for (String pair : Splitter.on('&').split(args)) {
        int eq = pair.indexOf('=');
        if (eq > 0 && pair.substring(0, eq).equalsIgnoreCase(wanted)) {
          return pair.substring(eq + 1);
        }
      }
      return "";
    }
    if (lower.startsWith("http_")) {
      String header = request.header(name.substring(5).replace('_', '-'));
      return header == null ? "" : header;
    }
    if (lower.startsWith("cookie_")) {
      String cookies = request.header("Cookie");
      if (cookies != null) {
        for (String cookie : Splitter.on(';').split(cookies)) {
          int eq = cookie.indexOf('=');
          if (eq > 0 && cookie.substring(0, eq).trim().equals(name.substring(7))) {
            return cookie.substring(eq + 1).trim();
          }
        }
      }
      return "";
    }
    return "";
  }
}
