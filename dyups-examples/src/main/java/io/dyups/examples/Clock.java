package io.dyups.examples;

import io.netty.util.AsciiString;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * The time texts one event loop writes, made once a second as nginx caches its times: $time_local,
 * $time_iso8601 and the Date header. Used on its event loop only.
 */
final class Clock {
  private static final DateTimeFormatter LOCAL = DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.ENGLISH);
  private static final DateTimeFormatter ISO = DateTimeFormatter.ISO_OFFSET_DATE_TIME;
  private static final DateTimeFormatter HTTP =
      DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.ENGLISH);
  private static final ZoneId GMT = ZoneId.of("GMT");

  private long second = Long.MIN_VALUE;
  private String timeLocal = "";
  private String timeIso8601 = "";
  private AsciiString httpDate = AsciiString.EMPTY_STRING;

  private void refresh() {
    long now = System.currentTimeMillis() / 1000;
    if (now != second) {
      second = now;
      ZonedDateTime local = ZonedDateTime.ofInstant(Instant.ofEpochSecond(now), ZoneId.systemDefault());
      timeLocal = LOCAL.format(local);
      timeIso8601 = ISO.format(local.withNano(0));
      httpDate = AsciiString.cached(HTTP.format(ZonedDateTime.ofInstant(Instant.ofEpochSecond(now), GMT)));
    }
  }

  String timeLocal() {
    refresh();
    return timeLocal;
  }

  String timeIso8601() {
    refresh();
    return timeIso8601;
  }

  AsciiString httpDate() {
    refresh();
    return httpDate;
  }
}
