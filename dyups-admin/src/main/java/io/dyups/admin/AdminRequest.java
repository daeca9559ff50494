package io.dyups.admin;

import static com.google.common.base.Preconditions.checkArgument;
import static java.util.Objects.requireNonNull;

import java.io.InputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * One request to the admin interface, as any HTTP server hands it over: the method, the raw request target
 * (path and query, still percent-encoded), the headers and the body.
 *
 * @param method the request method, such as {@code GET}
 * @param target the raw request target, such as {@code /upstream/dyhost?format=json}
 * @param headers header names (any case) to their values
 * @param body the request body; read by the handler at most up to its limit
 * @param contentLength the declared body length, or -1 when unknown (chunked)
 */
public record AdminRequest(
    String method, String target, Map<String, List<String>> headers, InputStream body, long contentLength) {

  public AdminRequest {
    requireNonNull(method, "method");
    requireNonNull(target, "target");
    requireNonNull(body, "body");
    checkArgument(contentLength >= -1, "contentLength must be >= -1: %s", contentLength);
    TreeMap<String, List<String>> folded = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    for (Map.Entry<String, List<String>> header : requireNonNull(headers, "headers").entrySet()) {
      if (header.getKey() != null) {
        folded.merge(header.getKey(), List.copyOf(header.getValue()), (a, b) -> {
          List<String> both = new ArrayList<>(a);
          both.addAll(b);
          return List.copyOf(both);
        });
      }
    }
    headers = Collections.unmodifiableMap(folded);
  }

  /** The first value of a header (name in any case), or null. */
  @Nullable
  public String header(String name) {
    List<String> values = headers.get(name);
    return values == null || values.isEmpty() ? null : values.get(0);
  }
}
