package io.dyups.parser;

import org.antlr.v4.runtime.CharStream;
import org.antlr.v4.runtime.IntStream;
import org.antlr.v4.runtime.misc.Interval;

/**
 * The lexer's characters read straight from configuration bytes, without building a String or a code point array
 * first: an index is a byte offset, and each character is decoded where it stands, as {@link ConfigBytes} decodes
 * it (a well-formed UTF-8 sequence is one character, any other byte one raw-byte character). ASCII, nearly all of
 * a configuration, is one byte read. The lexer only seeks back to indexes it was at, which are character starts,
 * and counts columns by calls to {@link #consume}, so columns stay counted in characters.
 */
final class ByteCharStream implements CharStream {
  private final byte[] bytes;
  private final int start;
  private final int end;
  private final String sourceName;
  private int index;

  ByteCharStream(byte[] bytes, int offset, int length, String sourceName) {
    this.bytes = bytes;
    this.start = offset;
    this.index = offset;
    this.end = offset + length;
    this.sourceName = sourceName;
  }

  byte[] bytes() {
    return bytes;
  }

  @Override
  public void consume() {
    if (index >= end) {
      throw new IllegalStateException("cannot consume EOF");
    }
    int b = bytes[index];
    index += b >= 0 ? 1 : length(index);
  }

  @Override
  public int LA(int i) {
    if (i == 1) {
      if (index >= end) {
        return IntStream.EOF;
      }
      int b = bytes[index];
      return b >= 0 ? b : decode(index);
    }
    if (i > 1) {
      int at = index;
      for (int k = 1; k < i; k++) {
        if (at >= end) {
          return IntStream.EOF;
        }
        at += length(at);
      }
      return at >= end ? IntStream.EOF : decode(at);
    }
    if (i < 0) {
      int at = index;
      for (int k = 0; k > i; k--) {
        if (at <= start) {
          return IntStream.EOF;
        }
        at = previous(at);
      }
      return decode(at);
    }
    return 0;
  }

  /** The character that starts at byte offset {@code at}, which must be a character start before the end. */
  int codePointAt(int at) {
    int b = bytes[at];
    return b >= 0 ? b : decode(at);
  }

  /** The number of bytes of the character at {@code at}. */
  int length(int at) {
    if (bytes[at] >= 0) {
      return 1;
    }
    int size = ConfigBytes.wellFormedLength(bytes, at, end);
    return size == 0 ? 1 : size;
  }

  private int decode(int at) {
    int b = bytes[at] & 0xFF;
    if (b < 0x80) {
      return b;
    }
    int size = ConfigBytes.wellFormedLength(bytes, at, end);
    return switch (size) {
      case 2 -> (b & 0x1F) << 6 | (bytes[at + 1] & 0x3F);
      case 3 -> (b & 0x0F) << 12 | (bytes[at + 1] & 0x3F) << 6 | (bytes[at + 2] & 0x3F);
      case 4 -> (b & 0x07) << 18 | (bytes[at + 1] & 0x3F) << 12 | (bytes[at + 2] & 0x3F) << 6
          | (bytes[at + 3] & 0x3F);
      default -> ConfigBytes.rawByteCharacter(b);
    };
  }

  // The start of the character that ends just before at: up to three continuation bytes back, if they make one.
  private int previous(int at) {
    for (int back = 2; back <= 4; back++) {
      int from = at - back;
      if (from >= start && ConfigBytes.wellFormedLength(bytes, from, end) == back) {
        return from;
      }
    }
    return at - 1;
  }

  @Override
  public int mark() {
    return -1;
  }

  @Override
  public void release(int marker) {}

  @Override
  public int index() {
    return index;
  }

  @Override
  public void seek(int index) {
    this.index = Math.min(index, end);
  }

  @Override
  public int size() {
    return end;
  }

  @Override
  public String getSourceName() {
    return sourceName;
  }

  /** The text of bytes {@code a} to {@code b}, both included. */
  @Override
  public String getText(Interval interval) {
    int from = Math.max(interval.a, 0);
    int to = Math.min(interval.b, end - 1);
    return from > to ? "" : ConfigBytes.decode(bytes, from, to - from + 1);
  }

  @Override
  public String toString() {
    return getText(Interval.of(start, end - 1));
  }
}
