package io.dyups.parser;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * How configuration bytes become text and back. nginx reads a configuration as bytes and never decodes it: a
 * comment or a quoted string may hold any bytes (a Latin-1 comment is common). The parser hands out Java strings,
 * so bytes are read as UTF-8, and each byte that is not part of a well-formed UTF-8 sequence becomes the
 * character U+DC80 to U+DCFF (0xDC00 plus the byte), as Python's "surrogateescape" does (PEP 383). Those
 * characters are low surrogates standing alone, which no well-formed text holds, so nothing read as UTF-8 is
 * mistaken for a raw byte, and {@link #encode} gives back exactly the bytes that were read. Places where a value
 * must be text (an upstream name, a socket path) refuse raw bytes.
 */
final class ConfigBytes {
  private static final int RAW_BYTE_BASE = 0xDC00;

  private ConfigBytes() {}

  /** True for a character that stands for a byte that was not UTF-8 (when it is not half of a surrogate pair). */
  static boolean isRawByte(int c) {
    return c >= RAW_BYTE_BASE + 0x80 && c <= RAW_BYTE_BASE + 0xFF;
  }

  /** The byte a raw-byte character stands for. */
  static int rawByte(int c) {
    return c - RAW_BYTE_BASE;
  }

  /** The character that stands for {@code b}, a byte that is not part of well-formed UTF-8. */
  static char rawByteCharacter(int b) {
    return (char) (RAW_BYTE_BASE + b);
  }

  /** The bytes as text: UTF-8, with each byte of an ill-formed sequence as its raw-byte character. */
  static String decode(byte[] bytes, int offset, int length) {
    int end = offset + length;
    for (int i = offset; i < end; i++) {
      if (bytes[i] < 0) {
        return decodeWithRawBytes(bytes, offset, length);
      }
    }
    // ASCII, as nearly every word of a configuration: one copy into a compact String.
    return new String(bytes, offset, length, StandardCharsets.ISO_8859_1);
  }

  private static String decodeWithRawBytes(byte[] bytes, int offset, int length) {
    StringBuilder out = new StringBuilder(length);
    int end = offset + length;
    int i = offset;
    while (i < end) {
      int b = bytes[i] & 0xFF;
      int size = wellFormedLength(bytes, i, end);
      if (size == 0) {
        out.append((char) (RAW_BYTE_BASE + b));
        i++;
      } else if (size == 1) {
        out.append((char) b);
        i++;
      } else {
        out.append(new String(bytes, i, size, StandardCharsets.UTF_8));
        i += size;
      }
    }
    return out.toString();
  }

  /**
   * The length of the well-formed UTF-8 sequence at {@code i} (RFC 3629: no overlong forms, no surrogates, nothing
   * above U+10FFFF), or 0 when the byte there does not start one.
   */
  static int wellFormedLength(byte[] bytes, int i, int end) {
    int b = bytes[i] & 0xFF;
    if (b < 0x80) {
      return 1;
    }
    int size;
    int min2;
    int max2;
    if (b >= 0xC2 && b <= 0xDF) {
      size = 2;
      min2 = 0x80;
      max2 = 0xBF;
    } else if (b >= 0xE0 && b <= 0xEF) {
      size = 3;
      min2 = b == 0xE0 ? 0xA0 : 0x80;
      max2 = b == 0xED ? 0x9F : 0xBF;
    } else if (b >= 0xF0 && b <= 0xF4) {
      size = 4;
      min2 = b == 0xF0 ? 0x90 : 0x80;
      max2 = b == 0xF4 ? 0x8F : 0xBF;
    } else {
      return 0;
    }
    if (i + size > end) {
      return 0;
    }
    int second = bytes[i + 1] & 0xFF;
    if (second < min2 || second > max2) {
      return 0;
    }
    for (int k = 2; k < size; k++) {
      int next = bytes[i + k] & 0xFF;
      if (next < 0x80 || next > 0xBF) {
        return 0;
      }
    }
    return size;
  }

  /**
   * The index of the first character of {@code text} that has no bytes: a surrogate standing alone that is not a
   * raw-byte character; -1 when every character can be written.
   */
  static int firstUnwritable(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (!Character.isSurrogate(c)) {
        continue;
      }
      if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
        i++;
      } else if (!isRawByte(c)) {
        return i;
      }
    }
    return -1;
  }

  /** True when the text holds raw-byte characters or surrogate pairs, so that it needs more than the JDK's UTF-8. */
  static boolean hasSurrogates(String text) {
    for (int i = 0; i < text.length(); i++) {
      if (Character.isSurrogate(text.charAt(i))) {
        return true;
      }
    }
    return false;
  }

  /**
   * The bytes of the text: UTF-8, with each raw-byte character written as the byte it stands for.
   *
   * @throws IllegalArgumentException for a surrogate standing alone that is not a raw-byte character
   */
  static byte[] encode(String text) {
    if (!hasSurrogates(text)) {
      return text.getBytes(StandardCharsets.UTF_8);
    }
    int bad = firstUnwritable(text);
    if (bad >= 0) {
      throw new IllegalArgumentException("no bytes for the lone surrogate U+"
          + Integer.toHexString(text.charAt(bad)).toUpperCase(java.util.Locale.ROOT) + " at index " + bad);
    }
    ByteBuffer out = ByteBuffer.allocate(text.length() * 3);
    int start = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (isRawByte(c) && !(i > 0 && Character.isHighSurrogate(text.charAt(i - 1)))) {
        out.put(text.substring(start, i).getBytes(StandardCharsets.UTF_8));
        out.put((byte) rawByte(c));
        start = i + 1;
      }
    }
    out.put(text.substring(start).getBytes(StandardCharsets.UTF_8));
    byte[] bytes = new byte[out.position()];
    out.flip().get(bytes);
    return bytes;
  }
}
