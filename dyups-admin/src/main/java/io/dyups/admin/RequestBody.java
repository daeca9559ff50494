package io.dyups.admin;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Collects a request body as its bytes arrive, of a declared length or in chunks (RFC 9112 §7.1, parsed as nginx's
 * {@code ngx_http_parse_chunked}: chunk extensions and trailer fields read and dropped, a bare LF accepted where
 * CRLF is due), keeping at most {@code limit + 1} bytes: enough for the handler to tell a body over its limit.
 * Memory grows with what arrived, not with what was announced. Used by one thread at a time.
 */
final class RequestBody {
  // nginx refuses chunk-size lines, extensions and trailers beyond its buffers; this bounds each line and the trailer.
  private static final int MAX_LINE = 4096;
  private static final int MAX_TRAILER = 8192;

  private enum State { SIZE, EXTENSION, SIZE_LF, DATA, DATA_CR, DATA_LF, TRAILER, DONE }

  private final boolean chunked;
  private final long keep;
  private byte[] bytes;
  private int size;
  private long remaining;
  private State state;
  private boolean sizeDigits;
  private int lineLength;
  private int trailerLength;

  private RequestBody(boolean chunked, long length, long limit) {
    this.chunked = chunked;
    this.keep = Math.min(limit + 1, Integer.MAX_VALUE - 8);
    this.bytes = new byte[(int) Math.min(keep, Math.min(length, 16 * 1024))];
    this.remaining = chunked ? 0 : length;
    this.state = chunked ? State.SIZE : (length == 0 ? State.DONE : State.DATA);
  }

  /** A body of {@code length} bytes ({@code length <= limit}). */
  static RequestBody ofLength(long length, long limit) {
    return new RequestBody(false, length, limit);
  }

  /** A chunked body, kept up to {@code limit + 1} bytes. */
  static RequestBody chunked(long limit) {
    return new RequestBody(true, 16 * 1024, limit);
  }

  /**
   * Takes what it can from {@code in} (in read mode), leaving bytes after the body there.
   *
   * @return true when the body is complete or more than the limit has arrived
   * @throws HttpError when a chunked body is malformed
   */
  boolean feed(ByteBuffer in) {
    while (in.hasRemaining() && state != State.DONE && size < keep) {
      if (state == State.DATA) {
        int n = (int) Math.min(Math.min(remaining, in.remaining()), keep - size);
        append(in, n);
        remaining -= n;
        if (remaining == 0) {
          state = chunked ? State.DATA_CR : State.DONE;
        }
        continue;
      }
      byte b = in.get();
      switch (state) {
        case SIZE -> size(b);
        case EXTENSION -> {
          if (b == '\n') {
            endOfSizeLine();
          } else if (++lineLength > MAX_LINE) {
            throw invalid();
          }
        }
        case SIZE_LF -> {
          if (b != '\n') {
            throw invalid();
          }
          endOfSizeLine();
        }
        case DATA_CR -> state = b == '\r' ? State.DATA_LF : b == '\n' ? next() : fail();
        case DATA_LF -> state = b == '\n' ? next() : fail();
        case TRAILER -> trailer(b);
        default -> throw new IllegalStateException(state.name());
      }
    }
    return state == State.DONE || size >= keep;
  }

  /** The bytes kept: the whole body, or {@code limit + 1} bytes of a larger one. */
  byte[] bytes() {
    return Arrays.copyOf(bytes, size);
  }

  /** Every byte of the body has arrived (false when it stopped over the limit). */
  boolean complete() {
    return state == State.DONE;
  }

  private void size(byte b) {
    int digit = Character.digit(b, 16);
    if (digit >= 0) {
      if (remaining > (Long.MAX_VALUE >> 4)) {
        throw invalid();
      }
      remaining = remaining << 4 | digit;
      sizeDigits = true;
    } else if (!sizeDigits) {
      throw invalid();
    } else if (b == ';' || b == ' ' || b == '\t') {
      state = State.EXTENSION;
      lineLength = 0;
    } else if (b == '\r') {
      state = State.SIZE_LF;
    } else if (b == '\n') {
      endOfSizeLine();
    } else {
      throw invalid();
    }
  }

  private void endOfSizeLine() {
    state = remaining == 0 ? State.TRAILER : State.DATA;
    lineLength = 0;
  }

  private State next() {
    sizeDigits = false;
    remaining = 0;
    return State.SIZE;
  }

  private void trailer(byte b) {
    if (++trailerLength > MAX_TRAILER) {
      throw invalid();
    }
    if (b == '\n') {
      if (lineLength == 0) {
        state = State.DONE;
      }
      lineLength = 0;
    } else if (b != '\r') {
      lineLength++;
    }
  }

  private void append(ByteBuffer in, int n) {
    if (size + n > bytes.length) {
      bytes = Arrays.copyOf(bytes, (int) Math.min(keep, Math.max(size + n, 2L * bytes.length)));
    }
    in.get(bytes, size, n);
    size += n;
  }

  private static State fail() {
    throw invalid();
  }

  private static HttpError invalid() {
    return new HttpError(400, "client sent invalid chunked body");
  }
}
