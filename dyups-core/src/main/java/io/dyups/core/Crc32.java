package io.dyups.core;

/**
 * CRC-32 (the IEEE polynomial, as nginx's ngx_crc32 and java.util.zip.CRC32) over bytes or over the UTF-8
 * encoding of a CharSequence, without allocating.
 */
final class Crc32 {
  private static final int[] TABLE = new int[256];
  // Slicing by sixteen: SLICES[k << 8 | n] is the CRC of byte n followed by k zero bytes. Sixteen lookups per
  // sixteen bytes, only four of which wait for the CRC so far, instead of a chain of sixteen dependent ones; used
  // for runs of ASCII, which keys mostly are.
  private static final int[] SLICES = new int[16 << 8];

  static {
    for (int n = 0; n < 256; n++) {
      int c = n;
      for (int k = 0; k < 8; k++) {
        c = (c & 1) != 0 ? 0xEDB88320 ^ (c >>> 1) : c >>> 1;
      }
      TABLE[n] = c;
      SLICES[n] = c;
    }
    for (int k = 1; k < 16; k++) {
      for (int n = 0; n < 256; n++) {
        int previous = SLICES[(k - 1) << 8 | n];
        SLICES[k << 8 | n] = (previous >>> 8) ^ TABLE[previous & 0xFF];
      }
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
      if (i + 16 <= n) {
        int ascii = 0;
        int x = 0;
        for (int j = 0; j < 4; j++) {
          char c = text.charAt(i + j);
          ascii |= c;
          x |= c << (8 * j);
        }
        int crcPart = crc ^ x;
        int next = SLICES[15 << 8 | (crcPart & 0xFF)] ^ SLICES[14 << 8 | ((crcPart >>> 8) & 0xFF)]
            ^ SLICES[13 << 8 | ((crcPart >>> 16) & 0xFF)] ^ SLICES[12 << 8 | (crcPart >>> 24)];
        for (int j = 4; j < 16; j++) {
          char c = text.charAt(i + j);
          ascii |= c;
          next ^= SLICES[(15 - j) << 8 | (c & 0xFF)];
        }
        if (ascii < 0x80) {
          crc = next;
          i += 15;
          continue;
        }
      }
      if (i + 4 <= n) {
        char c0 = text.charAt(i);
        char c1 = text.charAt(i + 1);
        char c2 = text.charAt(i + 2);
        char c3 = text.charAt(i + 3);
        if ((c0 | c1 | c2 | c3) < 0x80) {
          crc ^= c0 | c1 << 8 | c2 << 16 | c3 << 24;
          crc = SLICES[3 << 8 | (crc & 0xFF)] ^ SLICES[2 << 8 | ((crc >>> 8) & 0xFF)]
              ^ SLICES[1 << 8 | ((crc >>> 16) & 0xFF)] ^ SLICES[crc >>> 24];
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

  static int update(int crc, byte[] bytes, int offset, int length) {
    for (int i = offset; i < offset + length; i++) {
      crc = update(crc, bytes[i] & 0xFF);
    }
    return crc;
  }

  static int of(CharSequence text) {
    return finish(update(INIT, text));
  }
}
