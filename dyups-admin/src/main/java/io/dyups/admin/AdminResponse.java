package io.dyups.admin;

import static java.util.Objects.requireNonNull;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The admin interface's answer: status, headers and body. Immutable: the body is copied in and out. Not a record,
 * whose equality would compare the body array by identity.
 */
public final class AdminResponse {
  static final String TEXT = "text/plain; charset=utf-8";
  static final String JSON = "application/json";

  private final int status;
  private final Map<String, String> headers;
  private final byte[] body;

  /**
   * @param status the HTTP status
   * @param headers header names to values; {@code Content-Length} is left to the server
   * @param body the body bytes (copied)
   * @throws NullPointerException if {@code headers} or {@code body} is null
   */
  public AdminResponse(int status, Map<String, String> headers, byte[] body) {
    this.status = status;
    this.headers = Map.copyOf(requireNonNull(headers, "headers"));
    this.body = requireNonNull(body, "body").clone();
  }

  /** The HTTP status. */
  public int status() {
    return status;
  }

  /** Header names to values; {@code Content-Length} is left to the server. */
  public Map<String, String> headers() {
    return headers;
  }

  /** A copy of the body. */
  public byte[] body() {
    return body.clone();
  }

  /** The body as UTF-8 text. */
  public String bodyText() {
    return new String(body, StandardCharsets.UTF_8);
  }

  static AdminResponse text(int status, String body) {
    return new AdminResponse(status, Map.of("Content-Type", TEXT), body.getBytes(StandardCharsets.UTF_8));
  }

  static AdminResponse empty(int status) {
    return new AdminResponse(status, Map.of(), new byte[0]);
  }

  @Override
  public boolean equals(@Nullable Object other) {
    return other instanceof AdminResponse that && status == that.status && headers.equals(that.headers)
        && Arrays.equals(body, that.body);
  }

  @Override
  public int hashCode() {
    return (31 * status + headers.hashCode()) * 31 + Arrays.hashCode(body);
  }

  @Override
  public String toString() {
    return "AdminResponse[" + status + ", " + headers + ", " + body.length + " bytes]";
  }
}
