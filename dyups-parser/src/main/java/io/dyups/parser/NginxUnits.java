package io.dyups.parser;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * nginx's time and size syntax for programs that read directives of their own beside the upstreams (the example
 * proxy's {@code proxy_read_timeout 30s;}, {@code client_max_body_size 8m;}): the same rules the upstream model
 * uses, in one place. Each method returns a value meaning "rejected" rather than throwing, so that callers word
 * the error for their own directive as nginx does ({@code "proxy_read_timeout" directive invalid value}).
 */
public final class NginxUnits {
  private NginxUnits() {}

  /**
   * A time as nginx's {@code ngx_conf_set_msec_slot} reads it ({@code 500ms}, {@code 10s}, {@code 1m30s}; a bare
   * number is seconds), or {@code null} when nginx would reject it.
   */
  @Nullable
  public static Duration parseTime(String text) {
    return NginxValues.parseTime(text, false);
  }

  /**
   * A time as nginx's {@code ngx_parse_time(value, 1)} reads the {@code server} directive's {@code fail_timeout=}
   * and {@code slow_start=} ({@code 10s}, {@code 1m}; a bare number is seconds; no {@code ms}), or {@code null} when
   * nginx would reject it.
   */
  @Nullable
  public static Duration parseSeconds(String text) {
    return NginxValues.parseTime(text, true);
  }

  /** The shortest exact nginx time for {@code duration}, as a configuration writes it: {@code 10s}, {@code 1m30s}. */
  public static String formatTime(Duration duration) {
    return NginxValues.formatTime(duration);
  }

  /**
   * A size as nginx's {@code ngx_parse_size} reads it ({@code 4096}, {@code 8k}, {@code 1m}, {@code 1g}), in bytes,
   * or -1 when nginx would reject it.
   */
  public static long parseSize(String text) {
    return NginxValues.parseSize(text);
  }

  /** A non-negative decimal that fits in an int, as nginx's {@code ngx_atoi}, or -1. */
  public static int parseInt(String text) {
    return NginxValues.parseInt(text);
  }
}
