package io.dyups.parser;

import static com.google.common.base.Preconditions.checkArgument;
import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The active health check of an upstream, as Tengine's {@code ngx_http_upstream_check_module} configures it:
 *
 * <pre>
 * check interval=3000 rise=2 fall=5 timeout=1000 default_down=true type=http [port=8080];
 * check_http_send "HEAD /health HTTP/1.0\r\n\r\n";
 * check_http_expect_alive http_2xx http_3xx;
 * check_keepalive_requests 1;
 * </pre>
 *
 * A server is marked down after {@code fall} failed checks in a row and up again after {@code rise} good ones;
 * with {@code default_down} a new server is down until it has passed {@code rise} checks. Defaults are the
 * module's: {@code interval=30000 fall=5 rise=2 timeout=1000 default_down=true type=tcp}, the request
 * {@code "GET / HTTP/1.0\r\n\r\n"} and {@code http_2xx http_3xx}.
 *
 * @param port the port checked instead of the server's own; 0 for the server's port
 * @param httpSend what an {@code http} check sends, as {@code check_http_send} gives it; {@link
 *     NginxConfig#toBytes} gives the bytes (UTF-8, and bytes of the configuration that were not UTF-8 as they were)
 * @param expectAlive the status classes an {@code http} check accepts
 * @param keepaliveRequests requests sent on one check connection before it is closed
 */
public record HealthCheck(
    Type type,
    Duration interval,
    Duration timeout,
    int rise,
    int fall,
    boolean defaultDown,
    int port,
    String httpSend,
    Set<StatusClass> expectAlive,
    int keepaliveRequests) {

  /** The module's default request for {@code type=http}. */
  public static final String DEFAULT_HTTP_SEND = "GET / HTTP/1.0\r\n\r\n";

  /** The module's defaults: a TCP connect every 30 s, down after 5 failures, up after 2 successes. */
  public static final HealthCheck DEFAULT = new HealthCheck(Type.TCP, Duration.ofSeconds(30),
      Duration.ofSeconds(1), 2, 5, true, 0, DEFAULT_HTTP_SEND,
      EnumSet.of(StatusClass.HTTP_2XX, StatusClass.HTTP_3XX), 1);

  public HealthCheck {
    requireNonNull(type, "type");
    requireNonNull(interval, "interval");
    requireNonNull(timeout, "timeout");
    checkArgument(interval.toMillis() > 0, "interval must be > 0: %s", interval);
    checkArgument(timeout.toMillis() > 0, "timeout must be > 0: %s", timeout);
    checkArgument(rise > 0, "rise must be > 0: %s", rise);
    checkArgument(fall > 0, "fall must be > 0: %s", fall);
    checkArgument(port >= 0 && port <= 65535, "port must be 0-65535: %s", port);
    requireNonNull(httpSend, "httpSend");
    expectAlive = expectAlive.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(expectAlive));
    checkArgument(keepaliveRequests > 0, "keepaliveRequests must be > 0: %s", keepaliveRequests);
  }

  /** True when an {@code http} check's answer with this status means the server is alive. */
  public boolean isAlive(int status) {
    StatusClass statusClass = StatusClass.of(status);
    return statusClass != null && expectAlive.contains(statusClass);
  }

  /** What a check sends and reads. */
  public enum Type {
    /** A TCP connect: the server is alive when it accepts the connection. */
    TCP,
    /** {@link #httpSend()} is sent and the answer's status must be in {@link #expectAlive()}. */
    HTTP,
    /** Tengine's SSL hello check; checked here as a TCP connect. */
    SSL_HELLO,
    /** Tengine's MySQL greeting check; checked here as a TCP connect. */
    MYSQL,
    /** Tengine's AJP cping check; checked here as a TCP connect. */
    AJP,
    /** Tengine's FastCGI check; checked here as a TCP connect. */
    FASTCGI;

    /** The name as the {@code type=} parameter writes it. */
    public String configName() {
      return name().toLowerCase(Locale.ROOT);
    }

    @Nullable
    static Type ofConfigName(String name) {
      for (Type type : values()) {
        if (type.configName().equals(name)) {
          return type;
        }
      }
      return null;
    }
  }

  /** A class of HTTP status codes, as {@code check_http_expect_alive} names it. */
  public enum StatusClass {
    HTTP_2XX,
    HTTP_3XX,
    HTTP_4XX,
    HTTP_5XX;

    /** The name as {@code check_http_expect_alive} writes it. */
    public String configName() {
      return name().toLowerCase(Locale.ROOT);
    }

    @Nullable
    static StatusClass of(int status) {
      return switch (status / 100) {
        case 2 -> HTTP_2XX;
        case 3 -> HTTP_3XX;
        case 4 -> HTTP_4XX;
        case 5 -> HTTP_5XX;
        default -> null;
      };
    }

    @Nullable
    static StatusClass ofConfigName(String name) {
      for (StatusClass statusClass : values()) {
        if (statusClass.configName().equalsIgnoreCase(name)) {
          return statusClass;
        }
      }
      return null;
    }
  }
}
