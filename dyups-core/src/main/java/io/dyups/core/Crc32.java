package io.dyups.core;

/**
 * CRC-32 (the IEEE polynomial, as nginx's ngx_crc32 and java.util.zip.CRC32) over bytes or over the UTF-8
 * encoding of a CharSequence, without allocating.
 */
final class Crc32 {
  private static final int[] TABLE = new int[256];
  // Slicing by four: TABLE_k[n] is the CRC of byte n followed by k zero bytes. Four independent lookups per four
  // bytes instead of a chain of four dependent ones; used for runs of ASCII, which keys mostly are.
  private static final int[] TABLE_1 = new int[256];
  private static final int[] TABLE_2 = new int[256];
  private static final int[] TABLE_3 = new int[256];

  static {
    for (int n = 0; n < 256; n++) {
      int c = n;
      for (int k = 0; k < 8; k++) {
        c = (c & 1) != 0 ? 0xEDB88320 ^ (c >>> 1) : c >>> 1;
      }
      TABLE[n] = c;
    }
    for (int n = 0; n < 256; n++) {
      TABLE_1[n] = (TABLE[n] >>> 8) ^ TABLE[TABLE[n] & 0xFF];
      TABLE_2[n] = (TABLE_1[n] >>> 8) ^ TABLE[TABLE_1[n] & 0xFF];
      TABLE_3[n] = (TABLE_2[n] >>> 8) ^ TABLE[TABLE_2[n] & 0xFF];
    }
  }

  private Crc32() {}

  static final int INIT = 0xFFFFFFFF;

  static int update(int crc, int b) {
    return TABLE[(crc ^ b) & 0xFF] ^ (crc >>> 8);
  }

  static int finish(int crc) {
    return ~crc;
  }

  static int update(int crc, CharSequence text) {
    int n = text.length();
    for (int i = 0; i < n; i++) {
      if (i + 4 <= n) {
        char c0 = text.charAt(i);
        char c1 = text.charAt(i + 1);
        char c2 = text.charAt(i + 2);
        char c3 = text.charAt(i + 3);
        if ((c0 | c1 | c2 | c3) < 0x80) {
          crc ^= c0 | c1 << 8 | c2 << 16 | c3 << 24;
          crc = TABLE_3[crc & 0xFF] ^ TABLE_2[(crc >>> 8) & 0xFF] ^ TABLE_1[(crc >>> 16) & 0xFF] ^ TABLE[crc >>> 24];
          i += 3;
          continue;
        }
      }
      char c = text.charAt(i);
      if (c < 0x80) {
        crc = update(crc, c);
      } else if (c < 0x800) {
        crc = update(crc, 0xC0 | (c >> 6));
        crc = update(crc, 0x80 | (c & 0x3F));
      } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(text.charAt(i + 1))) {
        int cp = Character.toCodePoint(c, text.charAt(++i));
        crc = update(crc, 0xF0 | (cp >> 18));
        crc = update(crc, 0x80 | ((cp >> 12) & 0x3F));
        crc = update(crc, 0x80 | ((cp >> 6) & 0x3F));
        crc = update(crc, 0x80 | (cp & 0x3F));
      } else {
        // A lone surrogate encodes as '?', as String.getBytes(UTF_8) does.
        int unit = Character.isSurrogate(c) ? '?' : c;
        if (unit == '?') {
          crc = update(crc, unit);
        } else {
          crc = update(crc, 0xE0 | (unit >> 12));
          crc = update(crc, 0x80 | ((unit >> 6) & 0x3F));
          crc = update(crc, 0x80 | (unit & 0x3F));
        }
      }
    }
    return crc;
  }

  static int of(CharSequence text) {
    return finish(update(INIT, text));
  }
}
