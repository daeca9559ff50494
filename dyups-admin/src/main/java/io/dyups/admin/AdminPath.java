package io.dyups.admin;

import com.google.common.base.Splitter;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The path of an admin request split into segments, as dyups splits nginx's decoded URI: empty segments (from
 * repeated slashes) are skipped. Anything that could make one path mean another — {@code .} or {@code ..}
 * segments, an encoded slash or backslash, control characters, bad percent-escapes — makes the path unusable,
 * which the handler answers with 404.
 */
final class AdminPath {
  private AdminPath() {}

  /** The decoded segments of the target's path, or null when the path is unusable. */
  @Nullable
  static List<String> segments(String target) {
    int query = target.indexOf('?');
    String path = query < 0 ? target : target.substring(0, query);
    if (!path.startsWith("/")) {
      return null;
    }
    List<String> segments = new ArrayList<>();
    for (String raw : path.split("/", -1)) {
      if (raw.isEmpty()) {
        continue;
      }
      String segment = decode(raw);
      if (segment == null || segment.equals(".") || segment.equals("..")) {
        return null;
      }
      segments.add(segment);
    }
    return segments;
  }

  /** The value of a query parameter, or null. */
  @Nullable
  static String queryParameter(String target, String name) {
    int query = target.indexOf('?');
    if (query < 0) {
      return null;
    }
    for (String pair : Splitter.on('&').split(target.substring(query + 1))) {
      int eq = pair.indexOf('=');
      String key = eq < 0 ? pair : pair.substring(0, eq);
      if (key.equals(name)) {
        return eq < 0 ? "" : decode(pair.substring(eq + 1));
      }
    }
    return null;
  }

  /** Percent-decodes once, as UTF-8; null for a bad escape, bad UTF-8, a slash, backslash or control. */
  @Nullable
  private static String decode(String raw) {
    byte[] bytes = new byte[raw.length()];
    int n = 0;
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c == '%') {
        if (i + 2 >= raw.length()) {
          return null;
        }
        int high = Character.digit(raw.charAt(i + 1), 16);
        int low = Character.digit(raw.charAt(i + 2), 16);
        if (high < 0 || low < 0) {
          return null;
        }
        bytes[n++] = (byte) (high << 4 | low);
        i += 2;
      } else if (c < 0x80) {
        bytes[n++] = (byte) c;
      } else {
        // A raw request target is ASCII; anything else was not sent by a well-behaved client.
        return null;
      }
    }
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes, 0, n)).toString();
    } catch (CharacterCodingException e) {
      return null;
    }
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < 0x20 || c == 0x7f || c == '/' || c == '\\') {
        return null;
      }
    }
    return text;
  }
}
