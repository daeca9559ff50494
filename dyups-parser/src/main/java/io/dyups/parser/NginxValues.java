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
    long value = parseLong(text);
    return value > Integer.MAX_VALUE ? -1 : (int) value;
  }

  /** A non-negative decimal that fits in a long, or -1. */
  static long parseLong(String text) {
    if (text.isEmpty()) {
      return -1;
    }
    long value = 0;
    for (int i = 0; i < text.length(); i++) {
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
   * A time such as {@code 10s}, {@code 1h30m} or {@code 500ms}, or {@code null} when nginx would reject it.
   * Units must come from the largest to the smallest, each once. In seconds mode (the {@code server} directive's
   * {@code fail_timeout}) {@code ms} is not allowed; in milliseconds mode (keepalive timeouts) {@code y} and
   * {@code M} are not. A number without a unit means seconds.
   */
  static @Nullable Duration parseTime(String text, boolean secondsMode) {
    // Steps as in ngx_parse_time: each unit must come after the ones before it.
    final int start = 0;
    final int year = 1;
    final int month = 2;
    final int week = 3;
    final int day = 4;
    final int hour = 5;
    final int minute = 6;
    final int second = 7;
    final int milli = 8;
    final int last = 9;
    int step = secondsMode ? start : month;
    boolean valid = false;
    long value = 0;
    long totalMillis = 0;
    int i = 0;
    int n = text.length();
    while (i < n) {
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
      i++;
      long scaleMillis;
      switch (c) {
        case 'y' -> {
          if (step > start) {
            return null;
          }
          step = year;
          scaleMillis = 365L * 24 * 3600 * 1000;
        }
        case 'M' -> {
          if (step >= month) {
            return null;
          }
          step = month;
          scaleMillis = 30L * 24 * 3600 * 1000;
        }
        case 'w' -> {
          if (step >= week) {
            return null;
          }
          step = week;
          scaleMillis = 7L * 24 * 3600 * 1000;
        }
        case 'd' -> {
          if (step >= day) {
            return null;
          }
          step = day;
          scaleMillis = 24L * 3600 * 1000;
        }
        case 'h' -> {
          if (step >= hour) {
            return null;
          }
          step = hour;
          scaleMillis = 3600L * 1000;
        }
        case 'm' -> {
          if (i < n && text.charAt(i) == 's') {
            if (secondsMode || step >= milli) {
              return null;
            }
            i++;
            step = milli;
            scaleMillis = 1;
          } else {
            if (step >= minute) {
              return null;
            }
            step = minute;
            scaleMillis = 60L * 1000;
          }
        }
        case 's' -> {
          if (step >= second) {
            return null;
          }
          step = second;
          scaleMillis = 1000;
        }
        case ' ' -> {
          if (step >= second) {
            return null;
          }
          step = last;
          scaleMillis = 1000;
        }
        default -> {
          return null;
        }
      }
      long part = multiplyOrNegative(value, scaleMillis);
      if (part < 0 || totalMillis > MAX_MILLIS - part) {
        return null;
      }
      totalMillis += part;
      value = 0;
      while (i < n && text.charAt(i) == ' ') {
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
