package io.dyups.admin;

import static java.util.Objects.requireNonNull;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The admin interface's answer: status, headers and body. Immutable: the body is copied in and out. Not a record,
 * whose equality would compare the body array by identity.
 *
 * <p>A large listing is {@linkplain #isStreamed() streamed}: its body is written from the registry's snapshot as
 * it is sent ({@link #writeBody}), never held whole, so a listing of any size costs a buffer, not its size in
 * heap. A server sends such a body chunked (HTTP/1.1) or up to the close (HTTP/1.0); {@link #body()} still gives
 * it whole, for callers that want it so.
 */
public final class AdminResponse {
  static final String TEXT = "text/plain; charset=utf-8";
  static final String JSON = "application/json";

  private final int status;
  private final Map<String, String> headers;
  private final byte[] body;
  private final @Nullable BodyWriter stream;

  /** Writes a streamed body; may be called more than once, each time writing the same bytes. */
  interface BodyWriter {
    void writeTo(OutputStream out) throws IOException;
  }

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
    this.stream = null;
  }

  private AdminResponse(int status, Map<String, String> headers, BodyWriter stream) {
    this.status = status;
    this.headers = Map.copyOf(headers);
    this.body = new byte[0];
    this.stream = stream;
  }

  /** An answer whose body {@code stream} writes as it is sent. */
  static AdminResponse streamed(int status, Map<String, String> headers, BodyWriter stream) {
    return new AdminResponse(status, headers, requireNonNull(stream, "stream"));
  }

  /**
   * A listing: streamed when {@code large} (written as it is sent, never held whole), otherwise made whole now (one
   * write, a Content-Length). Both give the same bytes.
   */
  static AdminResponse listing(int status, Map<String, String> headers, boolean large, BodyWriter body) {
    if (large) {
      return streamed(status, headers, body);
    }
    ByteArrayOutputStream whole = new ByteArrayOutputStream(256);
    try {
      body.writeTo(whole);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new AdminResponse(status, headers, whole.toByteArray());
  }

  /** True when the body is written as it is sent ({@link #writeBody}), its length not known before. */
  public boolean isStreamed() {
    return stream != null;
  }

  /**
   * Writes the body to {@code out} (a streamed body as it is made, from the snapshot the answer was made of). Does
   * not close {@code out}.
   *
   * @throws IOException if {@code out} fails
   */
  public void writeBody(OutputStream out) throws IOException {
    requireNonNull(out, "out");
    BodyWriter writer = stream;
    if (writer == null) {
      out.write(body);
    } else {
      writer.writeTo(out);
    }
  }

  /** The HTTP status. */
  public int status() {
    return status;
  }

  /** Header names to values; {@code Content-Length} is left to the server. */
  public Map<String, String> headers() {
    return headers;
  }

  /** A copy of the body; a streamed body is written whole into a new array. */
  public byte[] body() {
    BodyWriter writer = stream;
    if (writer == null) {
      return body.clone();
    }
    ByteArrayOutputStream whole = new ByteArrayOutputStream();
    try {
      writer.writeTo(whole);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return whole.toByteArray();
  }

  /** The body as UTF-8 text. */
  public String bodyText() {
    return new String(body(), StandardCharsets.UTF_8);
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
        && Arrays.equals(body(), that.body());
  }

  @Override
  public int hashCode() {
    return (31 * status + headers.hashCode()) * 31 + Arrays.hashCode(body());
  }

  @Override
  public String toString() {
    return "AdminResponse[" + status + ", " + headers + ", " + (stream != null ? "streamed" : body.length + " bytes")
        + "]";
  }
}
