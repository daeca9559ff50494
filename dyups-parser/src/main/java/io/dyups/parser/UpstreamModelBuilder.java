package io.dyups.parser;

import com.google.common.net.InetAddresses;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Builds {@link UpstreamBlock}s from directives with nginx's rules and nginx's words for what breaks them
 * ({@code ngx_http_upstream}, {@code ngx_http_upstream_server}, the balancing modules' directive handlers).
 */
final class UpstreamModelBuilder {
  /** The longest DNS name (RFC 1035, without the trailing dot). */
  static final int MAX_HOST_NAME = 253;
  /** The size of sockaddr_un's sun_path on Linux, the terminating NUL included. */
  static final int MAX_UNIX_PATH = 108;

  private UpstreamModelBuilder() {}

  /**
   * Every {@code upstream NAME { }} block anywhere in the tree, in order; names unique as {@link
   * UpstreamBlock#foldName} compares them.
   */
  static List<UpstreamBlock> collect(List<Directive> directives) {
    List<UpstreamBlock> result = new ArrayList<>();
    collect(directives, result, new HashMap<>());
    return result;
  }

  private static void collect(
      List<Directive> directives, List<UpstreamBlock> result, Map<String, Boolean> seen) {
    for (Directive directive : directives) {
      if (directive.name().equals("upstream")) {
        if (!directive.hasBlock()) {
          throw new ConfigSyntaxException(
              "directive \"upstream\" has no opening \"{\"", directive.position());
        }
        if (directive.args().size() != 1) {
          throw invalidArgumentCount(directive);
        }
        String name = directive.args().get(0);
        String problem = nameProblem(name);
        if (problem != null) {
          throw new ConfigSyntaxException(problem, directive.argPositions().get(0));
        }
        if (seen.put(UpstreamBlock.foldName(name), Boolean.TRUE) != null) {
          throw new ConfigSyntaxException(
              "duplicate upstream \"" + name + "\"", directive.position());
        }
        result.add(build(name, directive.children(), directive.position()));
      } else if (directive.hasBlock()) {
        collect(directive.children(), result, seen);
      }
    }
  }

  /**
   * Why {@code name} cannot be an upstream name, or {@code null} when it can. A name must be written back as one
   * bare nginx word and used in {@code proxy_pass http://NAME}, so nothing a caller sends can inject
   * configuration into a persisted file.
   */
  static String nameProblem(String name) {
    if (name.isEmpty()) {
      return "invalid upstream name \"\": it is empty";
    }
    if (name.equals(".") || name.equals("..")) {
      // No admin path can name it: "." and ".." segments are refused there.
      return "invalid upstream name \"" + name + "\": a dot segment";
    }
    if (name.getBytes(StandardCharsets.UTF_8).length > 255) {
      return "invalid upstream name: longer than 255 bytes";
    }
    for (int i = 0; i < name.length(); i += Character.charCount(name.codePointAt(i))) {
      int c = name.codePointAt(i);
      if (c <= ' ' || Character.isWhitespace(c) || Character.isSpaceChar(c) || Character.isISOControl(c)) {
        return "invalid upstream name \"" + printable(name) + "\": whitespace or control character";
      }
      if (Character.getType(c) == Character.FORMAT) {
        // U+202E and the other bidirectional controls, zero-width characters: a listing would show another name.
        return "invalid upstream name \"" + printable(name) + "\": invisible format character U+"
            + Integer.toHexString(c).toUpperCase(Locale.ROOT);
      }
      if (Character.getType(c) == Character.SURROGATE) {
        // No UTF-8 encodes it: the persisted file would hold "?" and read back as another name.
        return "invalid upstream name: lone surrogate U+" + Integer.toHexString(c).toUpperCase(Locale.ROOT);
      }
      if (";{}\"'#$/\\".indexOf(c) >= 0) {
        return "invalid upstream name \"" + printable(name) + "\": character \"" + (char) c + "\" is not allowed";
      }
    }
    return null;
  }

  /** At most 64 characters of a refused name, escaped as {@link ConfigText#escapeUnprintable} does. */
  private static String printable(String name) {
    int end = name.length() <= 64 ? name.length() : name.offsetByCodePoints(0, 64);
    return ConfigText.escapeUnprintable(name.substring(0, end));
  }

  /** Builds one upstream from the directives of its block; {@code where} is used for block-level errors. */
  static UpstreamBlock build(String name, List<Directive> body, SourcePosition where) {
    Balancing balancing = new Balancing.RoundRobin();
    List<ServerSpec> servers = new ArrayList<>();
    int keepaliveConnections = 0;
    Integer keepaliveRequests = null;
    Duration keepaliveTime = null;
    Duration keepaliveTimeout = null;
    Zone zone = null;
    HealthCheckBuilder check = new HealthCheckBuilder();
    for (Directive directive : body) {
      switch (directive.name()) {
        case "server" -> {
          requireSimple(directive);
          if (directive.args().isEmpty()) {
            throw invalidArgumentCount(directive);
          }
          servers.add(server(directive, balancing));
        }
        case "ip_hash", "least_conn" -> {
          requireSimple(directive);
          if (!directive.args().isEmpty()) {
            throw invalidArgumentCount(directive);
          }
          // nginx only warns "load balancing method redefined"; the last method wins.
          balancing = directive.name().equals("ip_hash") ? new Balancing.IpHash() : new Balancing.LeastConn();
        }
        case "hash" -> {
          requireSimple(directive);
          List<String> args = directive.args();
          if (args.isEmpty() || args.size() > 2) {
            throw invalidArgumentCount(directive);
          }
          boolean consistent = false;
          if (args.size() == 2) {
            if (!args.get(1).equals("consistent")) {
              throw invalidParameter(directive, 1);
            }
            consistent = true;
          }
          balancing = new Balancing.Hash(args.get(0), consistent);
        }
        case "random" -> {
          requireSimple(directive);
          List<String> args = directive.args();
          if (args.size() > 2) {
            throw invalidArgumentCount(directive);
          }
          boolean two = false;
          if (!args.isEmpty()) {
            if (!args.get(0).equals("two")) {
              throw invalidParameter(directive, 0);
            }
            two = true;
            if (args.size() == 2 && !args.get(1).equals("least_conn")) {
              throw invalidParameter(directive, 1);
            }
          }
          balancing = new Balancing.Random(two);
        }
        case "keepalive" -> {
          requireOneArgument(directive);
          if (keepaliveConnections != 0) {
            throw duplicate(directive);
          }
          int n = NginxValues.parseInt(directive.args().get(0));
          if (n <= 0) {
            throw new ConfigSyntaxException(
                "invalid value \"" + directive.args().get(0) + "\" in \"keepalive\" directive",
                directive.argPositions().get(0));
          }
          keepaliveConnections = n;
        }
        case "keepalive_requests" -> {
          requireOneArgument(directive);
          if (keepaliveRequests != null) {
            throw duplicate(directive);
          }
          int n = NginxValues.parseInt(directive.args().get(0));
          if (n < 0) {
            throw slotError(directive, "invalid number");
          }
          keepaliveRequests = n;
        }
        case "keepalive_time", "keepalive_timeout" -> {
          requireOneArgument(directive);
          boolean time = directive.name().equals("keepalive_time");
          if ((time ? keepaliveTime : keepaliveTimeout) != null) {
            throw duplicate(directive);
          }
          Duration value = NginxValues.parseTime(directive.args().get(0), false);
          if (value == null) {
            throw slotError(directive, "invalid value");
          }
          if (time) {
            keepaliveTime = value;
          } else {
            keepaliveTimeout = value;
          }
        }
        case "zone" -> {
          requireSimple(directive);
          List<String> args = directive.args();
          if (args.isEmpty() || args.size() > 2) {
            throw invalidArgumentCount(directive);
          }
          if (zone != null) {
            throw duplicate(directive);
          }
          long size = 0;
          if (args.size() == 2) {
            size = NginxValues.parseSize(args.get(1));
            if (size < 0) {
              throw new ConfigSyntaxException(
                  "invalid zone size \"" + args.get(1) + "\"", directive.argPositions().get(1));
            }
            // nginx wants at least eight pages of shared memory.
            if (size < 8 * 4096) {
              throw new ConfigSyntaxException(
                  "zone \"" + args.get(0) + "\" is too small", directive.argPositions().get(1));
            }
          }
          zone = new Zone(args.get(0), size);
        }
        case "check" -> {
          requireSimple(directive);
          if (directive.args().isEmpty()) {
            throw invalidArgumentCount(directive);
          }
          check.check(directive);
        }
        case "check_http_send" -> {
          requireOneArgument(directive);
          check.httpSend = directive.args().get(0);
        }
        case "check_http_expect_alive" -> {
          requireSimple(directive);
          if (directive.args().isEmpty()) {
            throw invalidArgumentCount(directive);
          }
          check.expectAlive(directive);
        }
        case "check_keepalive_requests" -> {
          requireOneArgument(directive);
          int n = NginxValues.parseInt(directive.args().get(0));
          if (n <= 0) {
            throw slotError(directive, "invalid value");
          }
          check.keepaliveRequests = n;
        }
        default -> throw new ConfigSyntaxException(
            "unknown directive \"" + directive.name() + "\"", directive.position());
      }
    }
    if (servers.isEmpty()) {
      throw new ConfigSyntaxException("no servers are inside upstream", where);
    }
    if (servers.stream().allMatch(ServerSpec::backup)) {
      throw new ConfigSyntaxException("no servers in upstream \"" + name + "\"", where);
    }
    KeepaliveSettings defaults = KeepaliveSettings.DEFAULT;
    KeepaliveSettings keepalive = new KeepaliveSettings(
        keepaliveConnections,
        keepaliveRequests == null ? defaults.requests() : keepaliveRequests,
        keepaliveTime == null ? defaults.time() : keepaliveTime,
        keepaliveTimeout == null ? defaults.timeout() : keepaliveTimeout);
    return new UpstreamBlock(name, balancing, servers, keepalive, zone, check.build());
  }

  /**
   * Collects Tengine's check directives, which may come in any order. As in the module, {@code check} may be
   * repeated (the last wins), {@code check_http_expect_alive} adds to what earlier ones gave, and the other
   * check directives without {@code check} are accepted and have no effect.
   */
  private static final class HealthCheckBuilder {
    private HealthCheck check;
    String httpSend;
    final EnumSet<HealthCheck.StatusClass> expectAlive = EnumSet.noneOf(HealthCheck.StatusClass.class);
    Integer keepaliveRequests;

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
          type = HealthCheck.Type.ofConfigName(arg.substring(5));
          if (type == null) {
            throw invalidParameter(directive, i);
          }
        } else if (arg.startsWith("interval=")) {
          interval = positive(directive, i, 9);
        } else if (arg.startsWith("timeout=")) {
          timeout = positive(directive, i, 8);
        } else if (arg.startsWith("rise=")) {
          rise = (int) positive(directive, i, 5);
        } else if (arg.startsWith("fall=")) {
          fall = (int) positive(directive, i, 5);
        } else if (arg.startsWith("port=")) {
          port = NginxValues.parseInt(arg.substring(5));
          if (port < 0 || port > 65535) {
            throw invalidParameter(directive, i);
          }
        } else if (arg.startsWith("default_down=")) {
          String value = arg.substring(13);
          if (value.equalsIgnoreCase("true")) {
            defaultDown = true;
          } else if (value.equalsIgnoreCase("false")) {
            defaultDown = false;
          } else {
            throw new ConfigSyntaxException(
                "invalid value \"" + arg + "\", it must be \"true\" or \"false\"", directive.argPositions().get(i));
          }
        } else {
          throw invalidParameter(directive, i);
        }
      }
      check = new HealthCheck(type, Duration.ofMillis(interval), Duration.ofMillis(timeout), rise, fall,
          defaultDown, port, defaults.httpSend(), defaults.expectAlive(), defaults.keepaliveRequests());
    }

    // The module reads these with ngx_atoi and refuses 0.
    private static long positive(Directive directive, int arg, int prefix) {
      int value = NginxValues.parseInt(directive.args().get(arg).substring(prefix));
      if (value <= 0) {
        throw invalidParameter(directive, arg);
      }
      return value;
    }

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

    HealthCheck build() {
      if (check == null) {
        return null;
      }
      return new HealthCheck(check.type(), check.interval(), check.timeout(), check.rise(), check.fall(),
          check.defaultDown(), check.port(), httpSend == null ? check.httpSend() : httpSend,
          expectAlive.isEmpty() ? check.expectAlive() : expectAlive,
          keepaliveRequests == null ? check.keepaliveRequests() : keepaliveRequests);
    }
  }

  private static ServerSpec server(Directive directive, Balancing balancing) {
    List<String> args = directive.args();
    Address address = address(args.get(0), directive.argPositions().get(0));
    int weight = 1;
    int maxFails = 1;
    Duration failTimeout = ServerSpec.DEFAULT_FAIL_TIMEOUT;
    int maxConns = 0;
    boolean backup = false;
    boolean down = false;
    Duration slowStart = Duration.ZERO;
    boolean drain = false;
    boolean resolve = false;
    String route = null;
    String service = null;
    for (int i = 1; i < args.size(); i++) {
      String arg = args.get(i);
      if (arg.startsWith("weight=")) {
        weight = NginxValues.parseInt(arg.substring(7));
        if (weight <= 0) {
          throw invalidParameter(directive, i);
        }
      } else if (arg.startsWith("max_fails=")) {
        maxFails = NginxValues.parseInt(arg.substring(10));
        if (maxFails < 0) {
          throw invalidParameter(directive, i);
        }
      } else if (arg.startsWith("max_conns=")) {
        maxConns = NginxValues.parseInt(arg.substring(10));
        if (maxConns < 0) {
          throw invalidParameter(directive, i);
        }
      } else if (arg.startsWith("fail_timeout=")) {
        failTimeout = NginxValues.parseTime(arg.substring(13), true);
        if (failTimeout == null) {
          throw invalidParameter(directive, i);
        }
      } else if (arg.startsWith("slow_start=")) {
        slowStart = NginxValues.parseTime(arg.substring(11), true);
        if (slowStart == null) {
          throw invalidParameter(directive, i);
        }
      } else if (arg.startsWith("route=")) {
        route = arg.substring(6);
        if (route.isEmpty()) {
          throw invalidParameter(directive, i);
        }
      } else if (arg.startsWith("service=")) {
        service = arg.substring(8);
        if (service.isEmpty()) {
          throw invalidParameter(directive, i);
        }
      } else if (arg.equals("backup")) {
        if (!supportsBackup(balancing)) {
          throw new ConfigSyntaxException(
              "balancing method does not support parameter \"backup\"", directive.argPositions().get(i));
        }
        backup = true;
      } else if (arg.equals("down")) {
        down = true;
      } else if (arg.equals("drain")) {
        drain = true;
      } else if (arg.equals("resolve")) {
        resolve = true;
      } else {
        throw invalidParameter(directive, i);
      }
    }
    return new ServerSpec(
        address, weight, maxFails, failTimeout, maxConns, backup, down, slowStart, drain, resolve, route, service);
  }

  private static boolean supportsBackup(Balancing balancing) {
    return balancing instanceof Balancing.RoundRobin || balancing instanceof Balancing.LeastConn;
  }

  /**
   * The server address, as nginx's ngx_parse_url reads it for an upstream server (default port 80). Host names
   * are kept as names: nginx resolves them at start; we leave that to whoever connects.
   */
  static Address address(String text, SourcePosition where) {
    if (text.regionMatches(true, 0, "unix:", 0, 5)) {
      String path = text.substring(5);
      if (path.isEmpty()) {
        throw new ConfigSyntaxException(
            "no path in the unix domain socket in upstream \"" + text + "\"", where);
      }
      // nginx's check: the path and its terminating NUL must fit sockaddr_un's sun_path (108 bytes on Linux).
      if (path.getBytes(StandardCharsets.UTF_8).length + 1 > MAX_UNIX_PATH) {
        throw new ConfigSyntaxException(
            "too long path in the unix domain socket in upstream \"" + text + "\"", where);
      }
      return new Address(Address.Kind.UNIX, path, 0);
    }
    if (text.startsWith("[")) {
      int close = text.indexOf(']');
      if (close < 0) {
        throw new ConfigSyntaxException("invalid host in upstream \"" + text + "\"", where);
      }
      String host = text.substring(1, close);
      String rest = text.substring(close + 1);
      int port = Address.DEFAULT_PORT;
      if (!rest.isEmpty()) {
        if (rest.charAt(0) != ':') {
          throw new ConfigSyntaxException("invalid host in upstream \"" + text + "\"", where);
        }
        port = port(rest.substring(1), text, where);
      }
      if (host.isEmpty() || !InetAddresses.isInetAddress(host) || !host.contains(":")) {
        throw new ConfigSyntaxException("invalid IPv6 address in upstream \"" + text + "\"", where);
      }
      return new Address(Address.Kind.IPV6, host, port);
    }
    if (text.indexOf('/') >= 0) {
      throw new ConfigSyntaxException("invalid host in upstream \"" + text + "\"", where);
    }
    int colon = text.indexOf(':');
    String host = colon < 0 ? text : text.substring(0, colon);
    int port = colon < 0 ? Address.DEFAULT_PORT : port(text.substring(colon + 1), text, where);
    if (host.isEmpty()) {
      throw new ConfigSyntaxException("no host in upstream \"" + text + "\"", where);
    }
    for (int i = 0; i < host.length(); i++) {
      char c = host.charAt(i);
      boolean hostChar = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || c == '.' || c == '-' || c == '_';
      if (!hostChar) {
        throw new ConfigSyntaxException("invalid host in upstream \"" + text + "\"", where);
      }
    }
    // nginx would fail to resolve a longer name; refusing it here keeps a megabyte "host" out of the registry.
    if (host.length() > MAX_HOST_NAME) {
      throw new ConfigSyntaxException("invalid host in upstream \"" + text + "\"", where);
    }
    boolean ipv4 = InetAddresses.isInetAddress(host) && host.chars().filter(c -> c == '.').count() == 3;
    return new Address(ipv4 ? Address.Kind.IPV4 : Address.Kind.HOST, host, port);
  }

  private static int port(String digits, String text, SourcePosition where) {
    int port = NginxValues.parseInt(digits);
    if (port < 1 || port > 65535) {
      throw new ConfigSyntaxException("invalid port in upstream \"" + text + "\"", where);
    }
    return port;
  }

  private static void requireSimple(Directive directive) {
    if (directive.hasBlock()) {
      throw new ConfigSyntaxException(
          "directive \"" + directive.name() + "\" is not terminated by \";\"", directive.position());
    }
  }

  private static void requireOneArgument(Directive directive) {
    requireSimple(directive);
    if (directive.args().size() != 1) {
      throw invalidArgumentCount(directive);
    }
  }

  static ConfigSyntaxException invalidArgumentCount(Directive directive) {
    return new ConfigSyntaxException(
        "invalid number of arguments in \"" + directive.name() + "\" directive", directive.position());
  }

  private static ConfigSyntaxException invalidParameter(Directive directive, int arg) {
    return new ConfigSyntaxException(
        "invalid parameter \"" + directive.args().get(arg) + "\"", directive.argPositions().get(arg));
  }

  private static ConfigSyntaxException duplicate(Directive directive) {
    return new ConfigSyntaxException(
        "\"" + directive.name() + "\" directive is duplicate", directive.position());
  }

  private static ConfigSyntaxException slotError(Directive directive, String what) {
    return new ConfigSyntaxException(
        "\"" + directive.name() + "\" directive " + what, directive.argPositions().get(0));
  }
}
