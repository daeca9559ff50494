package io.dyups.parser;

import static io.dyups.parser.UpstreamModelBuilder.invalidParameter;

import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Tengine's check directives of one upstream, which may come in any order ({@code ngx_http_upstream_check_module}).
 * As in the module, {@code check} may be repeated (the last wins), {@code check_http_expect_alive} adds to what
 * earlier ones gave, and the other check directives without {@code check} are accepted and have no effect.
 */
final class HealthCheckDraft {
  private @Nullable HealthCheck check;
  private @Nullable String httpSend;
  private final EnumSet<HealthCheck.StatusClass> expectAlive = EnumSet.noneOf(HealthCheck.StatusClass.class);
  private @Nullable Integer keepaliveRequests;

  /** {@code check interval=N rise=N fall=N timeout=N default_down=B type=T [port=N];} in any order. */
  void check(Directive directive) {
    HealthCheck defaults = HealthCheck.DEFAULT;
    HealthCheck.Type type = defaults.type();
    long interval = defaults.interval().toMillis();
    long timeout = defaults.timeout().toMillis();
    int rise = defaults.rise();
    int fall = defaults.fall();
    boolean defaultDown = defaults.defaultDown();
    int port = defaults.port();
    List<String> args = directive.args();
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      if (arg.startsWith("type=")) {
        type = type(directive, i);
      } else if (arg.startsWith("interval=")) {
        interval = positive(directive, i, "interval=".length());
      } else if (arg.startsWith("timeout=")) {
        timeout = positive(directive, i, "timeout=".length());
      } else if (arg.startsWith("rise=")) {
        rise = positive(directive, i, "rise=".length());
      } else if (arg.startsWith("fall=")) {
        fall = positive(directive, i, "fall=".length());
      } else if (arg.startsWith("port=")) {
        port = port(directive, i);
      } else if (arg.startsWith("default_down=")) {
        defaultDown = defaultDown(directive, i);
      } else {
        throw invalidParameter(directive, i);
      }
    }
    check = new HealthCheck(type, Duration.ofMillis(interval), Duration.ofMillis(timeout), rise, fall,
        defaultDown, port, defaults.httpSend(), defaults.expectAlive(), defaults.keepaliveRequests());
  }

  private static HealthCheck.Type type(Directive directive, int arg) {
    HealthCheck.Type type = HealthCheck.Type.ofConfigName(directive.args().get(arg).substring("type=".length()));
    if (type == null) {
      throw invalidParameter(directive, arg);
    }
    return type;
  }

  // The module reads these with ngx_atoi and refuses 0.
  private static int positive(Directive directive, int arg, int prefix) {
    int value = NginxValues.parseInt(directive.args().get(arg).substring(prefix));
    if (value <= 0) {
      throw invalidParameter(directive, arg);
    }
    return value;
  }

  private static int port(Directive directive, int arg) {
    int port = NginxValues.parseInt(directive.args().get(arg).substring("port=".length()));
    if (port < 0 || port > 65535) {
      throw invalidParameter(directive, arg);
    }
    return port;
  }

  private static boolean defaultDown(Directive directive, int arg) {
    String text = directive.args().get(arg);
    String value = text.substring("default_down=".length());
    if (value.equalsIgnoreCase("true")) {
      return true;
    }
    if (value.equalsIgnoreCase("false")) {
      return false;
    }
    throw new ConfigSyntaxException(
        "invalid value \"" + text + "\", it must be \"true\" or \"false\"", directive.argPositions().get(arg));
  }

  /** {@code check_http_send "...";} */
  void httpSend(String request) {
    httpSend = request;
  }

  /** {@code check_http_expect_alive http_2xx ...;}: adds to the classes earlier ones gave. */
  void expectAlive(Directive directive) {
    for (int i = 0; i < directive.args().size(); i++) {
      HealthCheck.StatusClass statusClass = HealthCheck.StatusClass.ofConfigName(directive.args().get(i));
      if (statusClass == null) {
        throw new ConfigSyntaxException(
            "invalid value \"" + directive.args().get(i) + "\"", directive.argPositions().get(i));
      }
      expectAlive.add(statusClass);
    }
  }

  /** {@code check_keepalive_requests N;} */
  void keepaliveRequests(int requests) {
    keepaliveRequests = requests;
  }

  /** The health check, or null when there was no {@code check}. */
  @Nullable HealthCheck finish() {
    HealthCheck base = check;
    if (base == null) {
      return null;
    }
    return new HealthCheck(base.type(), base.interval(), base.timeout(), base.rise(), base.fall(),
        base.defaultDown(), base.port(), httpSend == null ? base.httpSend() : httpSend,
        expectAlive.isEmpty() ? base.expectAlive() : expectAlive,
        keepaliveRequests == null ? base.keepaliveRequests() : keepaliveRequests);
  }
}
