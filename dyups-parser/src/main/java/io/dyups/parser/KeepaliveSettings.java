package io.dyups.parser;

import static com.google.common.base.Preconditions.checkArgument;
import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * The upstream keepalive cache settings: {@code keepalive N} (0 when the directive is absent: no cache),
 * {@code keepalive_requests} (default 1000), {@code keepalive_time} (default 1h), {@code keepalive_timeout}
 * (default 60s).
 */
public record KeepaliveSettings(int connections, int requests, Duration time, Duration timeout) {
  /** nginx's defaults, with no cache. */
  public static final KeepaliveSettings DEFAULT =
      new KeepaliveSettings(0, 1000, Duration.ofHours(1), Duration.ofSeconds(60));

  public KeepaliveSettings {
    checkArgument(connections >= 0, "connections must be >= 0: %s", connections);
    checkArgument(requests >= 0, "requests must be >= 0: %s", requests);
    requireNonNull(time, "time");
    requireNonNull(timeout, "timeout");
  }
}
