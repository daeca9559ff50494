package io.dyups.admin;

import static java.util.Objects.requireNonNull;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The admin interface's answer: status, headers and body. Immutable.
 *
 * @param headers header names to values; {@code Content-Length} is left to the server
 */
public record AdminResponse(int status, Map<String, String> headers, byte[] body) {
  static final String TEXT = "text/plain; charset=utf-8";
  static final String JSON = "application/json";

  public AdminResponse {
    headers = Map.copyOf(requireNonNull(headers, "headers"));
    body = requireNonNull(body, "body").clone();
  }

  @Override
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
}
