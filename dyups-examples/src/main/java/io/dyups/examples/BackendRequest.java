package io.dyups.examples;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.util.AsciiString;
import io.netty.util.CharsetUtil;

/**
 * A request to a backend as the bytes that go on its connection, written straight from what the client's request
 * head was parsed into, as nginx's ngx_http_proxy_create_request writes its buffer: no second header map, no
 * encoder between the proxy and the socket. The head is made once per request ({@link Builder}) and copied onto
 * each connection it is sent on (a retry sends it again); a chunked body gets its framing here, piece by piece.
 * Nothing in here checks what it writes: the client's header lines passed the decoder and {@link RequestChecks}, and
 * {@code proxy_set_header} values are the configuration's.
 */
final class BackendRequest {
  private BackendRequest() {}

  private static final byte[] CRLF = {'\r', '\n'};
  private static final byte[] LAST_CHUNK = {'0', '\r', '\n', '\r', '\n'};
  private static final byte[] CONTENT_LENGTH = "Content-Length: ".getBytes(CharsetUtil.US_ASCII);
  /** Room for "Content-Length: " with 19 digits and CRLF, then the blank line. */
  private static final int LENGTH_LINE_ROOM = 16 + 19 + 2 + 2;

  /** Makes a request head: the request line, then header lines, in order; {@link #toBytes} ends it. */
  static final class Builder {
    private final ByteBuf buf;

    /** Writes {@code method uri HTTP/1.x} into {@code scratch}, which is cleared first and reused after toBytes. */
    Builder(ByteBuf scratch, AsciiString method, String uri, boolean http11) {
      this.buf = scratch.clear();
      ByteBufUtil.copy(method, buf);
      buf.writeByte(' ');
      buf.writeCharSequence(uri, CharsetUtil.US_ASCII);
      buf.writeCharSequence(http11 ? " HTTP/1.1\r\n" : " HTTP/1.0\r\n", CharsetUtil.US_ASCII);
    }

    /** One header line; bytes of a value beyond ASCII go as they came (ISO-8859-1, as Netty decoded them). */
    Builder header(CharSequence name, CharSequence value) {
      write(name);
      buf.writeByte(':').writeByte(' ');
      write(value);
      buf.writeBytes(CRLF);
      return this;
    }

    /** {@code Content-Length: length}. */
    Builder contentLength(long length) {
      return header(HeaderNames.CONTENT_LENGTH, Long.toString(length));
    }

    private void write(CharSequence text) {
      if (text instanceof AsciiString ascii) {
        ByteBufUtil.copy(ascii, buf);
      } else {
        buf.writeCharSequence(text, CharsetUtil.US_ASCII);
      }
    }

    /** The head so far, without the blank line that ends it ({@link #head} adds it). */
    byte[] toBytes() {
      return ByteBufUtil.getBytes(buf);
    }
  }

  /**
   * The head to send: {@code head} (from {@link Builder#toBytes}), a {@code Content-Length} line when
   * {@code contentLength} is not negative (a body read whole before the head goes), and the blank line.
   */
  static ByteBuf head(ByteBufAllocator alloc, byte[] head, long contentLength) {
    ByteBuf buf = alloc.buffer(head.length + LENGTH_LINE_ROOM);
    buf.writeBytes(head);
    if (contentLength >= 0) {
      buf.writeBytes(CONTENT_LENGTH);
      buf.writeCharSequence(Long.toString(contentLength), CharsetUtil.US_ASCII);
      buf.writeBytes(CRLF);
    }
    buf.writeBytes(CRLF);
    return buf;
  }

  /** The line that opens a chunk of {@code size} bytes (RFC 9112 7.1: hexadecimal size, CRLF). */
  static ByteBuf chunkStart(ByteBufAllocator alloc, int size) {
    ByteBuf buf = alloc.buffer(10);
    buf.writeCharSequence(Integer.toHexString(size), CharsetUtil.US_ASCII);
    buf.writeBytes(CRLF);
    return buf;
  }

  /** The CRLF that closes a chunk's data. */
  static ByteBuf chunkEnd(ByteBufAllocator alloc) {
    return alloc.buffer(2).writeBytes(CRLF);
  }

  /**
   * The last chunk and the end of the body. The client's trailer fields are not passed on: nginx reads a chunked
   * body whole and sends it with a length, so a backend never gets them from nginx either.
   */
  static ByteBuf lastChunk(ByteBufAllocator alloc) {
    return alloc.buffer(LAST_CHUNK.length).writeBytes(LAST_CHUNK);
  }
}
