package io.dyups.examples;

import io.dyups.parser.ConfigSyntaxException;
import io.dyups.parser.Directive;
import io.dyups.parser.NginxConfig;
import io.dyups.parser.SourcePosition;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The subset of nginx.conf the example proxy serves, read and checked as nginx would check it: every directive
 * known, in its context, with the right number of arguments. Anything else is a {@link ConfigSyntaxException}
 * naming the file and line.
 */
record ProxyConfig(
    Path prefix,
    Path configFile,
    @Nullable Path errorLog,
    @Nullable Path persistenceFile,
    boolean tryLock,
    long maxCommandsSize,
    List<Path> upstreamSources,
    List<VirtualServer> servers) {

  /** What a location does with a request. */
  sealed interface Handler {}

  /** {@code proxy_pass http://NAME;} or {@code proxy_pass http://$host;} ({@code upstream} null). */
  record ProxyPass(@Nullable String upstream) implements Handler {}

  /** {@code echo ARGS;}: the arguments joined by spaces, and a newline. */
  record Echo(String text) implements Handler {}

  /** {@code return CODE [TEXT];} */
  record Return(int status, @Nullable String text) implements Handler {}

  /** {@code dyups_interface;} */
  record DyupsInterface() implements Handler {}

  record Location(String prefix, Handler handler) {}

  record VirtualServer(InetSocketAddress listen, List<Location> locations, SourcePosition position) {
    /** The location with the longest matching prefix, or null. */
    @Nullable
    Location match(String path) {
      for (Location location : locations) {
        if (path.startsWith(location.prefix())) {
          return location;
        }
      }
      return null;
    }
  }

  /**
   * Reads {@code configFile}; relative paths in it resolve as nginx resolves them: {@code include} and
   * {@code dyups_upstream_conf} against the directory of the configuration file, {@code error_log} against the
   * prefix.
   */
  static ProxyConfig load(Path prefix, Path configFile) throws IOException {
    NginxConfig config = NginxConfig.load(configFile);
    Path confDir = configFile.toAbsolutePath().normalize().getParent();
    Builder builder = new Builder(prefix.toAbsolutePath().normalize(), configFile.toAbsolutePath().normalize());
    for (Directive directive : config.directives()) {
      switch (directive.name()) {
        case "daemon" -> {
          flag(directive);
        }
        case "error_log" -> {
          simpleArgs(directive, 1, 2);
          String target = directive.args().get(0);
          builder.errorLog = target.equals("stderr") ? null : prefix.resolve(target).toAbsolutePath().normalize();
        }
        case "pid", "worker_processes" -> simpleArgs(directive, 1, 1);
        case "events" -> {
          block(directive);
          for (Directive inner : directive.children()) {
            switch (inner.name()) {
              case "worker_connections" -> simpleArgs(inner, 1, 1);
              default -> throw unknown(inner);
            }
          }
        }
        case "http" -> {
          block(directive);
          http(directive, builder, confDir);
        }
        default -> throw unknown(directive);
      }
    }
    builder.upstreamSources.add(configFile.toAbsolutePath().normalize());
    return builder.build();
  }

  private static void http(Directive http, Builder builder, Path confDir) {
    for (Directive directive : http.children()) {
      switch (directive.name()) {
        case "upstream" -> {
          // Read and checked by the parser's upstream model when the registry loads the file.
        }
        case "dyups_upstream_conf" -> {
          simpleArgs(directive, 1, 1);
          builder.persistenceFile = confDir.resolve(directive.args().get(0)).toAbsolutePath().normalize();
        }
        case "dyups_trylock" -> builder.tryLock = flag(directive);
        case "dyups_shm_zone_size" -> {
          simpleArgs(directive, 1, 1);
          long size = size(directive.args().get(0));
          if (size <= 0) {
            throw invalidValue(directive);
          }
          builder.maxCommandsSize = size;
        }
        case "dyups_read_msg_timeout" -> {
          simpleArgs(directive, 1, 1);
          if (!directive.args().get(0).matches("[0-9]+(ms|s|m|h)?")) {
            throw invalidValue(directive);
          }
        }
        case "access_log", "default_type", "keepalive_timeout", "sendfile" -> simpleArgs(directive, 1, 2);
        case "server" -> {
          block(directive);
          builder.servers.add(server(directive));
        }
        default -> throw unknown(directive);
      }
    }
  }

  private static VirtualServer server(Directive server) {
    InetSocketAddress listen = null;
    List<Location> locations = new ArrayList<>();
    for (Directive directive : server.children()) {
      switch (directive.name()) {
        case "listen" -> {
          simpleArgs(directive, 1, 1);
          listen = listen(directive);
        }
        case "server_name" -> simpleArgs(directive, 1, Integer.MAX_VALUE);
        case "location" -> {
          block(directive);
          arguments(directive, 1, 1);
          locations.add(location(directive));
        }
        default -> throw unknown(directive);
      }
    }
    if (listen == null) {
      listen = new InetSocketAddress(80);
    }
    for (int i = 0; i < locations.size(); i++) {
      for (int j = i + 1; j < locations.size(); j++) {
        if (locations.get(i).prefix().equals(locations.get(j).prefix())) {
          throw new ConfigSyntaxException(
              "duplicate location \"" + locations.get(j).prefix() + "\"", server.position());
        }
      }
    }
    locations.sort(Comparator.comparingInt((Location l) -> l.prefix().length()).reversed());
    return new VirtualServer(listen, List.copyOf(locations), server.position());
  }

  private static Location location(Directive location) {
    String prefix = location.args().get(0);
    Handler handler = null;
    for (Directive directive : location.children()) {
      Handler next = switch (directive.name()) {
        case "proxy_pass" -> proxyPass(directive);
        case "echo" -> {
          simple(directive);
          yield new Echo(String.join(" ", directive.args()));
        }
        case "return" -> returnHandler(directive);
        case "dyups_interface" -> {
          simpleArgs(directive, 0, 0);
          yield new DyupsInterface();
        }
        default -> throw unknown(directive);
      };
      if (handler != null) {
        throw new ConfigSyntaxException(
            "\"" + directive.name() + "\" directive is duplicate", directive.position());
      }
      handler = next;
    }
    if (handler == null) {
      throw new ConfigSyntaxException(
          "location \"" + prefix + "\" has no content handler (proxy_pass, echo, return or dyups_interface)",
          location.position());
    }
    return new Location(prefix, handler);
  }

  private static Handler proxyPass(Directive directive) {
    simpleArgs(directive, 1, 1);
    String url = directive.args().get(0);
    if (!url.regionMatches(true, 0, "http://", 0, 7)) {
      throw new ConfigSyntaxException("invalid URL prefix in \"" + url + "\"", directive.argPositions().get(0));
    }
    String name = url.substring(7);
    if (name.endsWith("/")) {
      name = name.substring(0, name.length() - 1);
    }
    if (name.equals("$host")) {
      return new ProxyPass(null);
    }
    if (name.isEmpty() || name.contains("/") || name.contains("$")) {
      throw new ConfigSyntaxException(
          "unsupported proxy_pass \"" + url + "\": use http://NAME or http://$host",
          directive.argPositions().get(0));
    }
    return new ProxyPass(name);
  }

  private static Handler returnHandler(Directive directive) {
    simpleArgs(directive, 1, 2);
    String code = directive.args().get(0);
    if (!code.matches("[0-9]{3}") || Integer.parseInt(code) > 999) {
      throw new ConfigSyntaxException("invalid return code \"" + code + "\"", directive.argPositions().get(0));
    }
    return new Return(Integer.parseInt(code), directive.args().size() == 2 ? directive.args().get(1) : null);
  }

  private static InetSocketAddress listen(Directive directive) {
    String value = directive.args().get(0);
    String host = null;
    String port = value;
    if (value.startsWith("[")) {
      int close = value.indexOf("]:");
      if (close < 0) {
        throw invalidListen(directive, "invalid port in \"" + value + "\" of the \"listen\" directive");
      }
      host = value.substring(1, close);
      port = value.substring(close + 2);
    } else if (value.contains(":")) {
      host = value.substring(0, value.lastIndexOf(':'));
      port = value.substring(value.lastIndexOf(':') + 1);
    } else if (!value.matches("[0-9]+")) {
      host = value;
      port = "80";
    }
    int number;
    try {
      number = Integer.parseInt(port);
    } catch (NumberFormatException e) {
      number = -1;
    }
    if (number < 1 || number > 65535) {
      throw invalidListen(directive, "invalid port in \"" + value + "\" of the \"listen\" directive");
    }
    if (host == null || host.equals("*")) {
      return new InetSocketAddress(number);
    }
    try {
      return new InetSocketAddress(InetAddress.getByName(host), number);
    } catch (UnknownHostException e) {
      throw invalidListen(directive, "host not found in \"" + value + "\" of the \"listen\" directive");
    }
  }

  private static ConfigSyntaxException invalidListen(Directive directive, String reason) {
    return new ConfigSyntaxException(reason, directive.argPositions().get(0));
  }

  private static long size(String text) {
    char unit = Character.toLowerCase(text.charAt(text.length() - 1));
    long scale = unit == 'k' ? 1024 : unit == 'm' ? 1024 * 1024 : unit == 'g' ? 1024L * 1024 * 1024 : 1;
    String digits = scale == 1 ? text : text.substring(0, text.length() - 1);
    if (!digits.matches("[0-9]{1,12}")) {
      return -1;
    }
    return Long.parseLong(digits) * scale;
  }

  private static boolean flag(Directive directive) {
    simpleArgs(directive, 1, 1);
    String value = directive.args().get(0);
    if (value.equalsIgnoreCase("on")) {
      return true;
    }
    if (value.equalsIgnoreCase("off")) {
      return false;
    }
    throw new ConfigSyntaxException(
        "invalid value \"" + value + "\" in \"" + directive.name() + "\" directive, it must be \"on\" or \"off\"",
        directive.argPositions().get(0));
  }

  private static void simple(Directive directive) {
    if (directive.hasBlock()) {
      throw new ConfigSyntaxException(
          "directive \"" + directive.name() + "\" is not terminated by \";\"", directive.position());
    }
  }

  private static void block(Directive directive) {
    if (!directive.hasBlock()) {
      throw new ConfigSyntaxException(
          "directive \"" + directive.name() + "\" has no opening \"{\"", directive.position());
    }
  }

  /** A directive ending with ";" with {@code min} to {@code max} arguments. */
  private static void simpleArgs(Directive directive, int min, int max) {
    simple(directive);
    arguments(directive, min, max);
  }

  private static void arguments(Directive directive, int min, int max) {
    int n = directive.args().size();
    if (n < min || n > max) {
      throw new ConfigSyntaxException(
          "invalid number of arguments in \"" + directive.name() + "\" directive", directive.position());
    }
  }

  private static ConfigSyntaxException invalidValue(Directive directive) {
    return new ConfigSyntaxException(
        "\"" + directive.name() + "\" directive invalid value", directive.argPositions().get(0));
  }

  private static ConfigSyntaxException unknown(Directive directive) {
    return new ConfigSyntaxException("unknown directive \"" + directive.name() + "\"", directive.position());
  }

  private static final class Builder {
    final Path prefix;
    final Path configFile;
    Path errorLog;
    Path persistenceFile;
    boolean tryLock;
    long maxCommandsSize = 2L * 1024 * 1024;
    final List<Path> upstreamSources = new ArrayList<>();
    final List<VirtualServer> servers = new ArrayList<>();

    Builder(Path prefix, Path configFile) {
      this.prefix = prefix;
      this.configFile = configFile;
    }

    ProxyConfig build() {
      return new ProxyConfig(prefix, configFile, errorLog, persistenceFile, tryLock, maxCommandsSize,
          List.copyOf(upstreamSources), List.copyOf(servers));
    }
  }
}
