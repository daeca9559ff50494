package io.dyups.parser;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * nginx's number, time and size syntax ({@code ngx_atoi}, {@code ngx_parse_time}, {@code ngx_parse_size}), read
 * and written back. Reading returns -1 for what nginx rejects, so callers word the error for their directive.
 */
final class NginxValues {
  private NginxValues() {}

  /** A non-negative decimal that fits in an int, or -1: no sign, no spaces, digits only, as ngx_atoi. */
  static int parseInt(String text) {
    return parseInt(text, 0);
  }

  /** {@link #parseInt(String)} of {@code text} from index {@code from} on, without a substring. */
  static int parseInt(String text, int from) {
    long value = parseLong(text, from);
    return value > Integer.MAX_VALUE ? -1 : (int) value;
  }

  /** A non-negative decimal that fits in a long, or -1. */
  static long parseLong(String text) {
    return parseLong(text, 0);
  }

  private static long parseLong(String text, int from) {
    if (text.length() <= from) {
      return -1;
    }
    long value = 0;
    for (int i = from; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      if (value > (Long.MAX_VALUE - (c - '0')) / 10) {
        return -1;
      }
      value = value * 10 + (c - '0');
    }
    return value;
  }

  /**
   * A unit of {@code ngx_parse_time}: the letters after a number, its length, and its rank. A unit may only follow
   * units of lower rank, so units come from the largest to the smallest, each once. A space ends a number of
   * seconds and may follow nothing smaller than minutes; after it only spaces and a last bare number may come.
   */
  private enum TimeUnit {
    YEAR("y", 1, 1, 365L * 24 * 3600 * 1000),
    MONTH("M", 2, 2, 30L * 24 * 3600 * 1000),
    WEEK("w", 3, 3, 7L * 24 * 3600 * 1000),
    DAY("d", 4, 4, 24L * 3600 * 1000),
    HOUR("h", 5, 5, 3600L * 1000),
    MINUTE("m", 6, 6, 60L * 1000),
    SECOND("s", 7, 7, 1000),
    MILLISECOND("ms", 8, 8, 1),
    SPACE(" ", 7, 9, 1000);

    final String letters;
    /** The rank the units before must stay below. */
    final int rank;
    /** The rank the units after must stay above. */
    final int rankAfter;
    final long millis;

    TimeUnit(String letters, int rank, int rankAfter, long millis) {
      this.letters = letters;
      this.rank = rank;
      this.rankAfter = rankAfter;
      this.millis = millis;
    }

    /** The unit whose letters start at {@code i} ("ms" before "m"), or null. */
    static @Nullable TimeUnit at(String text, int i) {
      return switch (text.charAt(i)) {
        case 'y' -> YEAR;
        case 'M' -> MONTH;
        case 'w' -> WEEK;
        case 'd' -> DAY;
        case 'h' -> HOUR;
        case 'm' -> i + 1 < text.length() && text.charAt(i + 1) == 's' ? MILLISECOND : MINUTE;
        case 's' -> SECOND;
        case ' ' -> SPACE;
        default -> null;
      };
    }
  }

  /** Where {@code ngx_parse_time} starts: in seconds mode any unit may come first; else none above weeks. */
  private static final int SECONDS_MODE_START = 0;
  private static final int MILLISECONDS_MODE_START = TimeUnit.MONTH.rank;

  /**
   * A time such as {@code 10s}, {@code 1h30m} or {@code 500ms}, or {@code null} when nginx would reject it
   * ({@code ngx_parse_time}). Units must come from the largest to the smallest, each once. In seconds mode (the
   * {@code server} directive's {@code fail_timeout}) {@code ms} is not allowed; in milliseconds mode (keepalive
   * timeouts) {@code y} and {@code M} are not. A number without a unit means seconds.
   */
  static @Nullable Duration parseTime(String text, boolean secondsMode) {
    int rank = secondsMode ? SECONDS_MODE_START : MILLISECONDS_MODE_START;
    boolean valid = false;
    long value = 0;
    long totalMillis = 0;
    int i = 0;
    while (i < text.length()) {
      char c = text.charAt(i);
      if (c >= '0' && c <= '9') {
        if (value > (Long.MAX_VALUE - (c - '0')) / 10) {
          return null;
        }
        value = value * 10 + (c - '0');
        valid = true;
        i++;
        continue;
      }
      TimeUnit unit = TimeUnit.at(text, i);
      if (unit == null || rank >= unit.rank || (unit == TimeUnit.MILLISECOND && secondsMode)) {
        return null;
      }
      rank = unit.rankAfter;
      i += unit.letters.length();
      long part = multiplyOrNegative(value, unit.millis);
      if (part < 0 || totalMillis > MAX_MILLIS - part) {
        return null;
      }
      totalMillis += part;
      value = 0;
      while (i < text.length() && text.charAt(i) == ' ') {
        i++;
      }
    }
    if (!valid) {
      return null;
    }
    long rest = multiplyOrNegative(value, 1000);
    if (rest < 0 || totalMillis > MAX_MILLIS - rest) {
      return null;
    }
    return Duration.ofMillis(totalMillis + rest);
  }

  // nginx keeps times in an ngx_int_t; we keep milliseconds in a long and stop well before it overflows.
  private static final long MAX_MILLIS = Long.MAX_VALUE / 1000;

  private static long multiplyOrNegative(long value, long scale) {
    if (value != 0 && scale > MAX_MILLIS / value) {
      return -1;
    }
    return value * scale;
  }

  /** A size such as {@code 64k}, {@code 10m}, {@code 1g} or {@code 4096}, in bytes, or -1. */
  static long parseSize(String text) {
    if (text.isEmpty()) {
      return -1;
    }
    char unit = text.charAt(text.length() - 1);
    long scale = switch (unit) {
      case 'k', 'K' -> 1024L;
      case 'm', 'M' -> 1024L * 1024;
      case 'g', 'G' -> 1024L * 1024 * 1024;
      default -> 1L;
    };
    String digits = scale == 1 ? text : text.substring(0, text.length() - 1);
    long value = parseLong(digits);
    if (value < 0 || value > Long.MAX_VALUE / scale) {
      return -1;
    }
    return value * scale;
  }

  /** The shortest exact nginx time for a duration: {@code 10s}, {@code 1m30s}, {@code 500ms}, {@code 0s}. */
  static String formatTime(Duration duration) {
    long millis = duration.toMillis();
    if (millis == 0) {
      return "0s";
    }
    StringBuilder out = new StringBuilder();
    long[] scales = {24L * 3600 * 1000, 3600L * 1000, 60L * 1000, 1000L, 1L};
    String[] units = {"d", "h", "m", "s", "ms"};
    for (int i = 0; i < scales.length; i++) {
      long count = millis / scales[i];
      if (count > 0) {
        out.append(count).append(units[i]);
        millis -= count * scales[i];
      }
    }
    return out.toString();
  }

  /** The shortest exact nginx size: {@code 64k}, {@code 10m}, {@code 1g} or plain bytes. */
  static String formatSize(long bytes) {
    if (bytes > 0 && bytes % (1024L * 1024 * 1024) == 0) {
      return bytes / (1024L * 1024 * 1024) + "g";
    }
    if (bytes > 0 && bytes % (1024L * 1024) == 0) {
      return bytes / (1024L * 1024) + "m";
    }
    if (bytes > 0 && bytes % 1024 == 0) {
      return bytes / 1024 + "k";
    }
    return Long.toString(bytes);
  }
}
