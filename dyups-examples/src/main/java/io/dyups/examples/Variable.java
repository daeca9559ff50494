package io.dyups.examples;

import io.netty.handler.codec.http.HttpHeaderNames;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * One nginx variable the proxy knows: appends its value for an {@link Exchange}, or reports it not found (nginx's
 * {@code not_found}: the access log writes {@code -}, {@code proxy_set_header} an empty value, which drops the
 * header).
 */
@FunctionalInterface
interface Variable {
  /** Appends the value and returns true, or appends nothing and returns false when it is not found. */
  boolean append(StringBuilder out, Exchange exchange);

  /** The variable called {@code name} (any case), or null when nginx would not know it here. */
  @Nullable
  static Variable named(String name) {
    String lower = name.toLowerCase(Locale.ROOT);
    Variable fixed = Variables.FIXED.get(lower);
    if (fixed == null) {
      fixed = TlsVariables.VARIABLES.get(lower);
    }
    if (fixed != null) {
      return fixed;
    }
    if (lower.startsWith("http_") && lower.length() > 5) {
      String header = lower.substring(5).replace('_', '-');
      return (out, e) -> Variables.appendHeader(out, e.headers().getAll(header), header);
    }
    if (lower.startsWith("sent_http_") && lower.length() > 10) {
      String header = lower.substring(10).replace('_', '-');
      return (out, e) -> e.responseHeaders != null
          && Variables.appendHeader(out, e.responseHeaders.getAll(header), header);
    }
    if (lower.startsWith("arg_") && lower.length() > 4) {
      String wanted = name.substring(4);
      return (out, e) -> Variables.appendArgument(out, e.query, wanted);
    }
    if (lower.startsWith("cookie_") && lower.length() > 7) {
      String wanted = name.substring(7);
      return (out, e) -> Variables.appendCookie(out, e.headers().getAll(HttpHeaderNames.COOKIE), wanted);
    }
    return null;
  }
}
