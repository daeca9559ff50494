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
    return anyToken(value, "keep-alive", (v, from, to, keepAlive) -> !isToken(v, from, to, keepAlive));
  }

  /** Whether {@code value} has {@code name} among its tokens, whatever the case. */
  static boolean contains(CharSequence value, CharSequence name) {
    return anyToken(value, name, ConnectionTokens::isToken);
  }

  /** Removes from {@code headers} every header {@code value} names. */
  static void removeNamed(String value, HttpHeaders headers) {
    anyToken(value, headers, (v, from, to, named) -> {
      named.remove(v.subSequence(from, to).toString());
      return false;
    });
  }

  /** What is asked of one token, {@code value}'s characters {@code from} to {@code to} (never empty). */
  private interface TokenTest<T> {
    boolean test(CharSequence value, int from, int to, T context);
  }

  /**
   * Whether {@code test} holds for some token of {@code value}, trying them in order; the one walk over a list of
   * tokens, so that the three questions split and trim it alike. The tests take what they compare with as
   * {@code context}, so that they capture nothing and no object is made per call.
   */
  private static <T> boolean anyToken(CharSequence value, T context, TokenTest<T> test) {
    int length = value.length();
    int start = 0;
    while (start <= length) {
      int end = nextComma(value, start);
      int from = skipSpaces(value, start, end);
      int to = trimEnd(value, from, end);
      if (to > from && test.test(value, from, to, context)) {
        return true;
      }
      start = end + 1;
    }
    return false;
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

  private static boolean isToken(CharSequence value, int from, int to, CharSequence token) {
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
