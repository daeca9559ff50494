package io.dyups.examples;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;

/**
 * The tokens of a {@code Connection} header value ({@code keep-alive, Upgrade}), read in place: RFC 9110 7.6.1's
 * "the headers it names end at this hop", asked of every proxied request and response. Most values say only
 * {@code keep-alive}, which names a header the proxy drops anyway, so that case is told apart without splitting
 * the value into strings.
 */
final class ConnectionTokens {
  private ConnectionTokens() {}

  /** Whether {@code value} names some header other than Keep-Alive (an empty token names none). */
  static boolean namesHeaders(CharSequence value) {
    int length = value.length();
    int start = 0;
    while (start <= length) {
      int end = nextComma(value, start);
      int from = skipSpaces(value, start, end);
      int to = trimEnd(value, from, end);
      if (to > from && !isToken(value, from, to, "keep-alive")) {
        return true;
      }
      start = end + 1;
    }
    return false;
  }

  /** Whether {@code value} has {@code name} among its tokens, whatever the case. */
  static boolean contains(CharSequence value, CharSequence name) {
    int length = value.length();
    int start = 0;
    while (start <= length) {
      int end = nextComma(value, start);
      int from = skipSpaces(value, start, end);
      int to = trimEnd(value, from, end);
      if (to - from == name.length() && regionEqualsIgnoreCase(value, from, name)) {
        return true;
      }
      start = end + 1;
    }
    return false;
  }

  /** Removes from {@code headers} every header {@code value} names. */
  static void removeNamed(String value, HttpHeaders headers) {
    int length = value.length();
    int start = 0;
    while (start <= length) {
      int end = nextComma(value, start);
      int from = skipSpaces(value, start, end);
      int to = trimEnd(value, from, end);
      if (to > from) {
        headers.remove(value.substring(from, to));
      }
      start = end + 1;
    }
  }

  private static int nextComma(CharSequence value, int from) {
    for (int i = from; i < value.length(); i++) {
      if (value.charAt(i) == ',') {
        return i;
      }
    }
    return value.length();
  }

  // String.trim's rule: anything up to a space is blank.
  private static int skipSpaces(CharSequence value, int from, int end) {
    while (from < end && value.charAt(from) <= ' ') {
      from++;
    }
    return from;
  }

  private static int trimEnd(CharSequence value, int from, int end) {
    while (end > from && value.charAt(end - 1) <= ' ') {
      end--;
    }
    return end;
  }

  private static boolean isToken(CharSequence value, int from, int to, String token) {
    return to - from == token.length() && regionEqualsIgnoreCase(value, from, token);
  }

  private static boolean regionEqualsIgnoreCase(CharSequence value, int from, CharSequence name) {
    for (int i = 0; i < name.length(); i++) {
      if (AsciiString.toLowerCase(value.charAt(from + i)) != AsciiString.toLowerCase(name.charAt(i))) {
        return false;
      }
    }
    return true;
  }
}
