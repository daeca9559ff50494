package io.dyups.zookeeper;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.dyups.parser.UpstreamBlock;
import org.jspecify.annotations.Nullable;

/**
 * How an upstream's name becomes the name of its znode, and back. The znode is named by the name as names compare
 * ({@link UpstreamBlock#foldName}: {@code Backend} and {@code backend} are one upstream, so one znode), so that two
 * instances creating the same upstream under two spellings meet on one znode and one of them wins. Characters
 * ZooKeeper refuses in a path (its {@code PathUtils.validatePath}: {@code /}, control characters, U+D800 to U+F8FF,
 * which holds every character outside the Basic Multilingual Plane, U+FFF0 and above) and {@code %} itself are
 * written as {@code %XX} for each byte of their UTF-8, and the names {@code .} and {@code ..} as {@code %2E}, so
 * that every upstream name has a znode and names a person reads stay as they are.
 */
final class ZnodeNames {
  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

  private ZnodeNames() {}

  /** The znode name of the upstream {@code name}: its folded name, escaped where ZooKeeper needs it. */
  static String znode(String name) {
    String key = UpstreamBlock.foldName(name);
    if (key.equals(".") || key.equals("..")) {
      return key.replace(".", "%2E");
    }
    StringBuilder out = null;
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      if (needsEscape(c)) {
        if (out == null) {
          out = new StringBuilder(key.length() + 16).append(key, 0, i);
        }
        int codePoint = key.codePointAt(i);
        if (Character.charCount(codePoint) == 2) {
          i++;
        }
        for (byte b : new String(Character.toChars(codePoint)).getBytes(UTF_8)) {
          out.append('%').append(HEX[(b >> 4) & 0xF]).append(HEX[b & 0xF]);
        }
      } else if (out != null) {
        out.append(c);
      }
    }
    return out == null ? key : out.toString();
  }

  /**
   * The folded name a znode name stands for, or null when it is not one {@link #znode} makes (a znode made by
   * hand).
   */
  static @Nullable String key(String znode) {
    if (znode.indexOf('%') < 0) {
      return znode.equals(".") || znode.equals("..") ? null : znode;
    }
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream(znode.length());
    for (int i = 0; i < znode.length(); i++) {
      char c = znode.charAt(i);
      if (c == '%') {
        if (i + 2 >= znode.length()) {
          return null;
        }
        int high = Character.digit(znode.charAt(i + 1), 16);
        int low = Character.digit(znode.charAt(i + 2), 16);
        if (high < 0 || low < 0) {
          return null;
        }
        bytes.write(high << 4 | low);
        i += 2;
      } else {
        byte[] encoded = String.valueOf(c).getBytes(UTF_8);
        bytes.write(encoded, 0, encoded.length);
      }
    }
    String key = bytes.toString(UTF_8);
    return znode(key).equals(znode) ? key : null;
  }

  private static boolean needsEscape(char c) {
    return c == '%' || c == '/' || c < 0x20 || (c >= 0x7F && c <= 0x9F) || (c >= 0xD800 && c <= 0xF8FF)
        || c >= 0xFFF0;
  }
}
