package io.dyups.admin;

import io.dyups.core.UpstreamRegistry;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The value of an {@code If-Match} or {@code If-None-Match} field (RFC 9110 §13.1.1, §13.1.2): {@code *}, or a list
 * of entity-tags ({@code "5", W/"6"}), compared with the one strong tag the admin interface gives an upstream, its
 * version in quotes ({@link #of}).
 *
 * <p>The list is parsed as RFC 9110 §5.6.1 and §8.8.3 write it: elements separated by commas and optional white
 * space, empty elements ignored, the field's lines joined into one list, a tag's quoted part any visible character
 * but {@code "} (so it may hold a comma). A field that does not parse is {@code null}; the handler answers it with
 * 412, as a condition that cannot hold, so that a change is never made on a precondition it misread.
 *
 * @param any the field is {@code *}
 * @param tags the entity-tags listed (empty for {@code *})
 */
record EntityTags(boolean any, List<Tag> tags) {
  /** One entity-tag: its opaque part without the quotes, and whether it was weak ({@code W/}). */
  record Tag(boolean weak, String opaque) {}

  /** The strong entity-tag of an upstream at {@code version}. */
  static String of(long version) {
    return "\"" + version + "\"";
  }

  /** The field's lines as one condition; null when they are malformed (or empty). */
  static @Nullable EntityTags parse(List<String> lines) {
    List<Tag> tags = new ArrayList<>();
    boolean any = false;
    for (String line : lines) {
      int i = 0;
      int n = line.length();
      while (true) {
        i = skipSpace(line, i);
        if (i == n) {
          break;
        }
        if (line.charAt(i) == ',') {
          i++;
          continue;
        }
        if (line.charAt(i) == '*') {
          any = true;
          i++;
        } else {
          boolean weak = line.startsWith("W/", i);
          int open = weak ? i + 2 : i;
          if (open >= n || line.charAt(open) != '"') {
            return null;
          }
          int close = open + 1;
          while (close < n && line.charAt(close) != '"') {
            char c = line.charAt(close);
            if (c < 0x21 || c == 0x7f) {
              return null;
            }
            close++;
          }
          if (close == n) {
            return null;
          }
          tags.add(new Tag(weak, line.substring(open + 1, close)));
          i = close + 1;
        }
        i = skipSpace(line, i);
        if (i < n && line.charAt(i) != ',') {
          return null;
        }
      }
    }
    // "*" stands alone (If-Match = "*" / #entity-tag).
    if (any ? !tags.isEmpty() : tags.isEmpty()) {
      return null;
    }
    return new EntityTags(any, List.copyOf(tags));
  }

  /**
   * {@code If-Match}'s test: {@code *} holds when the upstream exists, a list when one of its tags is the current
   * one by the strong comparison (RFC 9110 §8.8.3.2: a weak tag never matches).
   *
   * @param version the upstream's current version, {@link UpstreamRegistry#ABSENT} when it does not exist
   */
  boolean matchStrong(long version) {
    if (version == UpstreamRegistry.ABSENT) {
      return false;
    }
    if (any) {
      return true;
    }
    String opaque = Long.toString(version);
    for (Tag tag : tags) {
      if (!tag.weak() && tag.opaque().equals(opaque)) {
        return true;
      }
    }
    return false;
  }

  /**
   * {@code If-None-Match}'s test, before its negation: {@code *} matches when the upstream exists, a list when one
   * of its tags is the current one by the weak comparison (RFC 9110 §8.8.3.2: {@code W/} ignored).
   *
   * @param version the upstream's current version, {@link UpstreamRegistry#ABSENT} when it does not exist
   */
  boolean matchWeak(long version) {
    if (version == UpstreamRegistry.ABSENT) {
      return false;
    }
    if (any) {
      return true;
    }
    String opaque = Long.toString(version);
    for (Tag tag : tags) {
      if (tag.opaque().equals(opaque)) {
        return true;
      }
    }
    return false;
  }

  private static int skipSpace(String line, int i) {
    while (i < line.length() && (line.charAt(i) == ' ' || line.charAt(i) == '\t')) {
      i++;
    }
    return i;
  }
}
