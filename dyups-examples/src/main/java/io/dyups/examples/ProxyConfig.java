package io.dyups.examples;

import io.dyups.parser.ConfigSyntaxException;
import io.dyups.parser.Directive;
import io.dyups.parser.NginxConfig;
import io.dyups.parser.NginxUnits;
import io.dyups.parser.ResolverSpec;
import io.dyups.parser.SourcePosition;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The subset of nginx.conf the example proxy serves, read and checked as nginx would check it: every directive
 * known, in a context where nginx allows it, with the right number and kind of arguments. Anything else is a
 * {@link ConfigSyntaxException} naming the file, line and column, in nginx's words.
 *
 * <p>Settings that nginx inherits (http, then server, then location) are merged here the way nginx's merge
 * functions do, so the request path reads one finished {@link Settings} per location.
 */
record ProxyConfig(
    Path prefix,
    Path configFile,
    @Nullable Path errorLog,
    ServerLog.Level errorLogLevel,
    @Nullable Path persistenceFile,
    @Nullable ZooKeeper zookeeper,
    boolean tryLock,
    long maxCommandsSize,
    List<Path> upstreamSources,
    int workerProcesses,
    int workerConnections,
    List<VirtualServer> servers,
    @Nullable ResolverSpec resolver,
    @Nullable Duration resolverTimeout) {

  /**
   * {@code dyups_zookeeper HOST:PORT[,HOST:PORT...] [root=/dyups/upstreams] [session_timeout=30s]
   * [max_request=1m];} (http level): keep the upstreams in ZooKeeper, in agreement with every proxy on the same
   * ensemble and root. {@code dyups_upstream_conf} then names the local copy, served when the proxy starts while
   * ZooKeeper cannot be reached. {@code max_request} is ZooKeeper's {@code jute.maxbuffer}.
   */
  record ZooKeeper(String hosts, String root, Duration sessionTimeout, int maxRequestBytes) {}

  /** The distinct TLS contexts toward backends of every location that proxies to {@code https://}. */
  List<BackendTls> backendTls() {
    List<BackendTls> result = new ArrayList<>();
    for (VirtualServer server : servers) {
      for (Location location : server.locations()) {
        TlsDirectives.UpstreamTls tls = location.settings().proxyTls();
        if (tls != null && !result.contains(tls.context())) {
          result.add(tls.context());
        }
      }
    }
    return result;
  }

  /** nginx's default {@code worker_connections} (ngx_event.c). */
  static final int DEFAULT_WORKER_CONNECTIONS = 512;

  /** What a location does with a request. */
  sealed interface Handler {}

  /**
   * {@code proxy_pass http://NAME;} or {@code proxy_pass http://$host;} ({@code upstream} null); {@code https} for
   * {@code https://}, whose TLS settings are the location's {@link Settings#proxyTls}.
   */
  record ProxyPass(@Nullable String upstream, boolean https) implements Handler {}

  /** {@code echo ARGS;}: the arguments joined by spaces, and a newline. */
  record Echo(String text) implements Handler {}

  /** {@code return CODE [TEXT];} */
  record Return(int status, @Nullable String text) implements Handler {}

  /** {@code dyups_interface;} */
  record DyupsInterface() implements Handler {}

  /** NGINX Plus's {@code api [write=on|off];}: its upstream API below the location, read-only unless {@code write}. */
  record PlusApiHandler(boolean write) implements Handler {}

  /** How a location matches a path: a prefix, or {@code =} an exact path. */
  record Location(String path, boolean exact, Handler handler, Settings settings, SourcePosition position) {
    boolean matches(String requestPath) {
      return exact ? requestPath.equals(path) : requestPath.startsWith(path);
    }
  }

  /**
   * One {@code server} block: where it listens, its names, and its locations (exact matches first, then prefixes
   * longest first, as nginx picks them).
   *
   * @param defaultServer {@code listen ... default_server}
   * @param reusePort {@code listen ... reuseport}: a listening socket per event loop (SO_REUSEPORT, on io_uring or epoll)
   * @param ssl {@code listen ... ssl}
   * @param http2 {@code listen ... http2}: HTTP/2 offered by ALPN on the TLS handshake
   * @param tls the server's certificates and TLS settings (null: it names no ssl_certificate)
   * @param defaults the server level's settings, for requests answered before a location is known
   */
  record VirtualServer(
      InetSocketAddress listen,
      boolean defaultServer,
      boolean reusePort,
      boolean ssl,
      boolean http2,
      @Nullable ServerTls tls,
      List<String> names,
      List<Location> locations,
      ServerSettings settings,
      Settings defaults,
      SourcePosition position) {
    /** The location nginx picks for {@code path}, or null. */
    @Nullable
    Location match(String path) {
      for (Location location : locations) {
        if (location.matches(path)) {
          return location;
        }
      }
      return null;
    }

    /** True when a location serves {@code dyups_interface}: the server then runs apart from traffic. */
    boolean isAdmin() {
      return locations.stream().anyMatch(l -> l.handler() instanceof DyupsInterface
          || l.handler() instanceof PlusApiHandler);
    }
  }

  /** What applies before a location is known: how a request head is read. */
  record ServerSettings(Duration clientHeaderTimeout, int clientHeaderBufferSize, int largeHeaderBuffers,
      int largeHeaderBufferSize) {}

  /** One {@code proxy_set_header NAME VALUE;}: an empty value removes the header. */
  record HeaderSetting(String name, Template value) {}

  /** One {@code access_log PATH [FORMAT [buffer=SIZE] [flush=TIME]];}. */
  record AccessLogTarget(Path path, LogFormat format, int bufferSize, Duration flush) {}

  /** One {@code log_format NAME [escape=default|json|none] STRING...;}. */
  record LogFormat(String name, Template template, Template.Escape escape) {}

  /**
   * One allow or deny rule of a context; a context's rules are kept in order and the first that matches decides
   * (nginx's access module). {@code network} is empty for {@code all}.
   */
  static final class AccessRule {
    private final boolean allow;
    private final byte[] network;
    private final int prefixLength;
    private final String text;

    AccessRule(boolean allow, byte[] network, int prefixLength, String text) {
      this.allow = allow;
      this.network = network.clone();
      this.prefixLength = prefixLength;
      this.text = text;
    }

    boolean allow() {
      return allow;
    }

    @Override
    public String toString() {
      return (allow ? "allow " : "deny ") + text;
    }

    boolean matches(InetAddress address) {
      byte[] bytes = address.getAddress();
      if (network.length == 0) {
        return true;
      }
      if (bytes.length != network.length) {
        return false;
      }
      int full = prefixLength / 8;
      for (int i = 0; i < full; i++) {
        if (bytes[i] != network[i]) {
          return false;
        }
      }
      int rest = prefixLength % 8;
      if (rest == 0) {
        return true;
      }
      int mask = 0xFF << (8 - rest) & 0xFF;
      return (bytes[full] & mask) == (network[full] & mask);
    }
  }

  /**
   * Everything a location's requests read, merged from http, server and location as nginx merges them.
   *
   * @param proxyHttpVersion 10 or 11
   * @param proxyHeaders the effective proxy_set_header list: the innermost level that has any, nothing inherited
   *     beside it (nginx's rule), then nginx's defaults for the names not given
   * @param nextUpstream the proxy_next_upstream conditions, bits of {@link NextUpstream}
   * @param accessRules allow and deny, from the innermost level that has any
   * @param accessLogs empty for {@code access_log off}
   * @param adminToken {@code dyups_interface_token}, or null
   * @param proxyTls the proxy_ssl_* settings of a location that proxies to {@code https://}, else null
   */
  record Settings(
      int proxyHttpVersion,
      List<HeaderSetting> proxyHeaders,
      int nextUpstream,
      int nextUpstreamTries,
      Duration nextUpstreamTimeout,
      Duration proxyConnectTimeout,
      Duration proxyReadTimeout,
      Duration proxySendTimeout,
      Duration clientBodyTimeout,
      Duration sendTimeout,
      Duration keepaliveTimeout,
      int keepaliveRequests,
      long clientMaxBodySize,
      List<AccessRule> accessRules,
      List<AccessLogTarget> accessLogs,
      @Nullable String adminToken,
      TlsDirectives.@Nullable UpstreamTls proxyTls) {

    /** Whether {@code address} may use this location (no rules: everyone). */
    boolean allows(InetAddress address) {
      for (AccessRule rule : accessRules) {
        if (rule.matches(address)) {
          return rule.allow();
        }
      }
      return true;
    }
  }

  /** The proxy_next_upstream conditions, as nginx's NGX_HTTP_UPSTREAM_FT_* bits. */
  static final class NextUpstream {
    static final int ERROR = 1;
    static final int TIMEOUT = 1 << 1;
    static final int INVALID_HEADER = 1 << 2;
    static final int HTTP_500 = 1 << 3;
    static final int HTTP_502 = 1 << 4;
    static final int HTTP_503 = 1 << 5;
    static final int HTTP_504 = 1 << 6;
    static final int HTTP_403 = 1 << 7;
    static final int HTTP_404 = 1 << 8;
    static final int HTTP_429 = 1 << 9;
    static final int NON_IDEMPOTENT = 1 << 10;
    static final int OFF = 1 << 30;

    private NextUpstream() {}

    /** The bit for a response status proxy_next_upstream can name, or 0. */
    static int forStatus(int status) {
      return switch (status) {
        case 500 -> HTTP_500;
        case 502 -> HTTP_502;
        case 503 -> HTTP_503;
        case 504 -> HTTP_504;
        case 403 -> HTTP_403;
        case 404 -> HTTP_404;
        case 429 -> HTTP_429;
        default -> 0;
      };
    }

    static final Map<String, Integer> NAMES = Map.ofEntries(
        Map.entry("error", ERROR), Map.entry("timeout", TIMEOUT), Map.entry("invalid_header", INVALID_HEADER),
        Map.entry("non_idempotent", NON_IDEMPOTENT), Map.entry("http_500", HTTP_500),
        Map.entry("http_502", HTTP_502), Map.entry("http_503", HTTP_503), Map.entry("http_504", HTTP_504),
        Map.entry("http_403", HTTP_403), Map.entry("http_404", HTTP_404), Map.entry("http_429", HTTP_429),
        Map.entry("off", OFF));
  }

  /**
   * nginx's own proxy_set_header defaults (ngx_http_proxy_headers in ngx_http_proxy_module.c): Host is the
   * proxied host, Connection is {@code close}, and these are never passed on from the client. Content-Length and
   * Transfer-Encoding are the proxy's own framing of the body.
   */
  static final List<String> PROXY_DEFAULT_HEADERS = List.of(
      "host", "connection", "content-length", "transfer-encoding", "te", "keep-alive", "expect", "upgrade");

  /** nginx's predefined "combined" format (ngx_http_log_module.c). */
  static final String COMBINED = "$remote_addr - $remote_user [$time_local] \"$request\" $status $body_bytes_sent "
      + "\"$http_referer\" \"$http_user_agent\"";

  // Where each directive may appear, as nginx's NGX_HTTP_*_CONF flags for the directives the proxy knows.
  private static final Set<String> ANY_LEVEL = Set.of(
      "proxy_http_version", "proxy_set_header", "proxy_next_upstream", "proxy_next_upstream_tries",
      "proxy_next_upstream_timeout", "proxy_connect_timeout", "proxy_read_timeout", "proxy_send_timeout",
      "client_body_timeout", "send_timeout", "keepalive_timeout", "keepalive_requests", "client_max_body_size",
      "allow", "deny", "access_log", "dyups_interface_token", "default_type", "sendfile", "tcp_nodelay",
      "tcp_nopush", "server_tokens");
  private static final Set<String> SERVER_LEVEL = Set.of(
      "client_header_timeout", "client_header_buffer_size", "large_client_header_buffers");

  /**
   * Reads {@code configFile}; relative paths in it resolve as nginx resolves them: {@code include} and
   * {@code dyups_upstream_conf} against the directory of the configuration file, {@code error_log} and
   * {@code access_log} against the prefix.
   */
  static ProxyConfig load(Path prefix, Path configFile) throws IOException {
    NginxConfig config = NginxConfig.load(configFile);
    Path absolute = configFile.toAbsolutePath().normalize();
    Path confDir = absolute.getParent() == null ? absolute.getRoot() : absolute.getParent();
    Builder builder = new Builder(prefix.toAbsolutePath().normalize(), configFile.toAbsolutePath().normalize());
    Directive http = null;
    for (Directive directive : config.directives()) {
      switch (directive.name()) {
        case "daemon", "master_process" -> flag(directive);
        case "error_log" -> {
          simpleArgs(directive, 1, 2);
          String target = directive.args().get(0);
          builder.errorLog = target.equals("stderr") ? null : builder.prefix.resolve(target).normalize();
          if (directive.args().size() == 2) {
            ServerLog.Level level = ServerLog.Level.parse(directive.args().get(1));
            if (level == null) {
              throw new ConfigSyntaxException("invalid log level \"" + directive.args().get(1) + "\"",
                  directive.argPositions().get(1));
            }
            builder.errorLogLevel = level;
          }
        }
        case "pid", "worker_rlimit_nofile" -> simpleArgs(directive, 1, 1);
        case "worker_processes" -> {
          simpleArgs(directive, 1, 1);
          String value = directive.args().get(0);
          int n = value.equals("auto") ? 0 : NginxUnits.parseInt(value);
          if (n < 0 || (n == 0 && !value.equals("auto")) || n > 1024) {
            throw new ConfigSyntaxException(
                "invalid value \"" + value + "\" in \"worker_processes\" directive", directive.argPositions().get(0));
          }
          builder.workerProcesses = n;
        }
        case "events" -> {
          block(directive);
          for (Directive inner : directive.children()) {
            switch (inner.name()) {
              case "worker_connections" -> {
                simpleArgs(inner, 1, 1);
                int n = NginxUnits.parseInt(inner.args().get(0));
                if (n <= 0) {
                  throw new ConfigSyntaxException("invalid number \"" + inner.args().get(0) + "\"",
                      inner.argPositions().get(0));
                }
                builder.workerConnections = n;
              }
              case "multi_accept", "accept_mutex" -> flag(inner);
              case "use" -> simpleArgs(inner, 1, 1);
              default -> throw unknownOrMisplaced(inner);
            }
          }
        }
        case "http" -> {
          block(directive);
          if (http != null) {
            throw new ConfigSyntaxException("\"http\" directive is duplicate", directive.position());
          }
          http = directive;
        }
        default -> throw unknownOrMisplaced(directive);
      }
    }
    if (http != null) {
      http(http, builder, confDir);
    }
    builder.upstreamSources.add(configFile.toAbsolutePath().normalize());
    return builder.build();
  }

  private static void http(Directive http, Builder builder, Path confDir) {
    // log_format first: nginx requires a format to be defined before an access_log names it, in the same order,
    // but the formats themselves are known to every level below.
    Map<String, LogFormat> formats = new LinkedHashMap<>();
    formats.put("combined", new LogFormat("combined", Template.compile(COMBINED, http.position()),
        Template.Escape.DEFAULT));
    SettingsBuilder httpSettings = new SettingsBuilder(null);
    httpSettings.confDir = confDir;
    List<Directive> servers = new ArrayList<>();
    for (Directive directive : http.children()) {
      switch (directive.name()) {
        case "upstream" -> {
          // Read and checked by the parser's upstream model when the registry loads the file.
        }
        case "dyups_upstream_conf" -> {
          simpleArgs(directive, 1, 1);
          builder.persistenceFile = confDir.resolve(directive.args().get(0)).toAbsolutePath().normalize();
        }
        case "dyups_zookeeper" -> builder.zookeeper = zookeeper(directive);
        case "dyups_trylock" -> builder.tryLock = flag(directive);
        // For the upstreams' servers with resolve (ngx_http_upstream_zone_module takes the http block's).
        case "resolver" -> {
          if (builder.resolver != null) {
            throw new ConfigSyntaxException("\"resolver\" directive is duplicate", directive.position());
          }
          simpleArgs(directive, 1, Integer.MAX_VALUE);
          try {
            builder.resolver = ResolverSpec.parse(directive.args());
          } catch (IllegalArgumentException e) {
            throw new ConfigSyntaxException(String.valueOf(e.getMessage()), directive.position());
          }
        }
        case "resolver_timeout" -> {
          if (builder.resolverTimeout != null) {
            throw new ConfigSyntaxException("\"resolver_timeout\" directive is duplicate", directive.position());
          }
          simpleArgs(directive, 1, 1);
          Duration timeout = NginxUnits.parseTime(directive.args().get(0));
          if (timeout == null) {
            throw invalidValue(directive);
          }
          builder.resolverTimeout = timeout;
        }
        case "dyups_shm_zone_size" -> {
          simpleArgs(directive, 1, 1);
          long size = NginxUnits.parseSize(directive.args().get(0));
          if (size <= 0) {
            throw invalidValue(directive);
          }
          builder.maxCommandsSize = size;
        }
        case "dyups_read_msg_timeout" -> {
          simpleArgs(directive, 1, 1);
          if (NginxUnits.parseTime(directive.args().get(0)) == null) {
            throw invalidValue(directive);
          }
        }
        case "log_format" -> {
          simpleArgs(directive, 2, Integer.MAX_VALUE);
          LogFormat format = logFormat(directive);
          if (formats.containsKey(format.name())) {
            throw new ConfigSyntaxException("duplicate \"log_format\" name \"" + format.name() + "\"",
                directive.argPositions().get(0));
          }
          formats.put(format.name(), format);
        }
        case "server" -> {
          block(directive);
          servers.add(directive);
        }
        default -> {
          if (ANY_LEVEL.contains(directive.name()) || SERVER_LEVEL.contains(directive.name())
              || TlsDirectives.PROXY.contains(directive.name()) || TlsDirectives.SERVER.contains(directive.name())) {
            httpSettings.set(directive, formats, builder.prefix);
          } else {
            throw unknownOrMisplaced(directive);
          }
        }
      }
    }
    for (Directive server : servers) {
      builder.servers.add(server(server, httpSettings, formats, builder.prefix));
    }
  }

  private static VirtualServer server(Directive server, SettingsBuilder http, Map<String, LogFormat> formats,
      Path prefix) {
    InetSocketAddress listen = null;
    boolean defaultServer = false;
    boolean reusePort = false;
    boolean ssl = false;
    boolean http2 = false;
    @Nullable Directive listenDirective = null;
    List<String> names = new ArrayList<>();
    SettingsBuilder settings = new SettingsBuilder(http);
    List<Directive> locations = new ArrayList<>();
    for (Directive directive : server.children()) {
      switch (directive.name()) {
        case "listen" -> {
          simpleArgs(directive, 1, Integer.MAX_VALUE);
          if (listen != null) {
            throw new ConfigSyntaxException("multiple \"listen\" directives are not supported by the example proxy",
                directive.position());
          }
          listen = listen(directive);
          listenDirective = directive;
          for (int i = 1; i < directive.args().size(); i++) {
            String option = directive.args().get(i);
            if (option.equals("default_server") || option.equals("default")) {
              defaultServer = true;
            } else if (option.equals("reuseport")) {
              reusePort = true;
            } else if (option.equals("ssl")) {
              ssl = true;
            } else if (option.equals("http2")) {
              http2 = true;
            } else if (!option.startsWith("backlog=")) {
              throw new ConfigSyntaxException("invalid parameter \"" + option + "\"",
                  directive.argPositions().get(i));
            }
          }
        }
        case "server_name" -> {
          simpleArgs(directive, 1, Integer.MAX_VALUE);
          for (String name : directive.args()) {
            names.add(name.toLowerCase(Locale.ROOT));
          }
        }
        case "location" -> {
          block(directive);
          locations.add(directive);
        }
        default -> {
          if (ANY_LEVEL.contains(directive.name()) || SERVER_LEVEL.contains(directive.name())
              || TlsDirectives.PROXY.contains(directive.name()) || TlsDirectives.SERVER.contains(directive.name())) {
            settings.set(directive, formats, prefix);
          } else {
            throw unknownOrMisplaced(directive);
          }
        }
      }
    }
    ServerTls.Spec tlsSpec = TlsDirectives.server(settings::tlsDirectives, settings.confDir(), server.position());
    if (ssl && tlsSpec == null && listenDirective != null) {
      throw new ConfigSyntaxException("no \"ssl_certificate\" is defined for the \"listen ... ssl\" directive",
          listenDirective.position());
    }
    if (http2 && !ssl && listenDirective != null) {
      // nginx would speak HTTP/2 with prior knowledge (h2c) here; the example proxy offers HTTP/2 by ALPN only.
      throw new ConfigSyntaxException("\"http2\" without \"ssl\" (h2c) is not supported by the example proxy",
          listenDirective.argPositions().get(listenDirective.args().indexOf("http2")));
    }
    ServerTls tls = tlsSpec == null ? null : ServerTls.create(tlsSpec, http2);
    if (listen == null) {
      listen = new InetSocketAddress(80);
    }
    List<Location> built = new ArrayList<>();
    for (Directive location : locations) {
      Location next = location(location, settings, formats, prefix);
      for (Location other : built) {
        if (other.path().equals(next.path()) && other.exact() == next.exact()) {
          throw new ConfigSyntaxException("duplicate location \"" + next.path() + "\"", location.position());
        }
      }
      built.add(next);
    }
    built.sort(Comparator.comparing((Location l) -> !l.exact())
        .thenComparing(Comparator.comparingInt((Location l) -> l.path().length()).reversed()));
    ServerSettings serverSettings = settings.serverSettings();
    return new VirtualServer(listen, defaultServer, reusePort, ssl, http2, tls, List.copyOf(names), List.copyOf(built),
        serverSettings, settings.settings(prefix, formats, null), server.position());
  }

  private static Location location(Directive location, SettingsBuilder server, Map<String, LogFormat> formats,
      Path prefix) {
    arguments(location, 1, 2);
    String path;
    boolean exact = false;
    if (location.args().size() == 2) {
      String modifier = location.args().get(0);
      path = location.args().get(1);
      switch (modifier) {
        case "=" -> exact = true;
        case "^~" -> {
          // A prefix that stops the search for regular expressions; the proxy has none, so a plain prefix.
        }
        case "~", "~*" -> throw new ConfigSyntaxException(
            "regular expression locations are not supported by the example proxy", location.argPositions().get(0));
        default -> throw new ConfigSyntaxException("invalid location modifier \"" + modifier + "\"",
            location.argPositions().get(0));
      }
    } else {
      path = location.args().get(0);
      if (path.startsWith("~") || path.startsWith("@")) {
        throw new ConfigSyntaxException(
            "regular expression and named locations are not supported by the example proxy",
            location.argPositions().get(0));
      }
      if (path.startsWith("=") && path.length() > 1) {
        exact = true;
        path = path.substring(1);
      }
    }
    SettingsBuilder settings = new SettingsBuilder(server);
    Handler handler = null;
    for (Directive directive : location.children()) {
      Handler next;
      switch (directive.name()) {
        case "proxy_pass" -> next = proxyPass(directive);
        case "echo" -> {
          simple(directive);
          next = new Echo(String.join(" ", directive.args()));
        }
        case "return" -> next = returnHandler(directive);
        case "dyups_interface" -> {
          simpleArgs(directive, 0, 0);
          next = new DyupsInterface();
        }
        case "api" -> next = plusApi(directive);
        default -> {
          if (ANY_LEVEL.contains(directive.name()) || TlsDirectives.PROXY.contains(directive.name())) {
            settings.set(directive, formats, prefix);
            continue;
          }
          throw unknownOrMisplaced(directive);
        }
      }
      if (handler != null) {
        throw new ConfigSyntaxException(
            "\"" + directive.name() + "\" directive is duplicate", directive.position());
      }
      handler = next;
    }
    if (handler == null) {
      throw new ConfigSyntaxException(
          "location \"" + path + "\" has no content handler (proxy_pass, echo, return, dyups_interface or api)",
          location.position());
    }
    TlsDirectives.UpstreamTls proxyTls = null;
    if (handler instanceof ProxyPass pass && pass.https()) {
      proxyTls = TlsDirectives.upstream(settings::tlsDirectives, settings.confDir(), settings.contexts(),
          location.position());
    }
    return new Location(path, exact, handler, settings.settings(prefix, formats, proxyTls), location.position());
  }

  // NGINX Plus's ngx_http_api_module: "api;" is read-only, "api write=on;" takes changes too.
  private static Handler plusApi(Directive directive) {
    simpleArgs(directive, 0, 1);
    if (directive.args().isEmpty()) {
      return new PlusApiHandler(false);
    }
    String arg = directive.args().get(0);
    return switch (arg) {
      case "write=on" -> new PlusApiHandler(true);
      case "write=off" -> new PlusApiHandler(false);
      default -> throw new ConfigSyntaxException("invalid parameter \"" + arg + "\"",
          directive.argPositions().get(0));
    };
  }

  private static Handler proxyPass(Directive directive) {
    simpleArgs(directive, 1, 1);
    String url = directive.args().get(0);
    boolean https = url.regionMatches(true, 0, "https://", 0, 8);
    if (!https && !url.regionMatches(true, 0, "http://", 0, 7)) {
      throw new ConfigSyntaxException("invalid URL prefix in \"" + url + "\"", directive.argPositions().get(0));
    }
    String name = url.substring(https ? 8 : 7);
    if (name.endsWith("/")) {
      name = name.substring(0, name.length() - 1);
    }
    if (name.equals("$host")) {
      return new ProxyPass(null, https);
    }
    if (name.isEmpty() || name.contains("/") || name.contains("$")) {
      throw new ConfigSyntaxException(
          "unsupported proxy_pass \"" + url + "\": use http://NAME, http://$host or https://",
          directive.argPositions().get(0));
    }
    return new ProxyPass(name, https);
  }

  private static Handler returnHandler(Directive directive) {
    simpleArgs(directive, 1, 2);
    String code = directive.args().get(0);
    if (!code.matches("[0-9]{3}")) {
      throw new ConfigSyntaxException("invalid return code \"" + code + "\"", directive.argPositions().get(0));
    }
    return new Return(Integer.parseInt(code), directive.args().size() == 2 ? directive.args().get(1) : null);
  }

  private static LogFormat logFormat(Directive directive) {
    List<String> args = directive.args();
    String name = args.get(0);
    int first = 1;
    Template.Escape escape = Template.Escape.DEFAULT;
    if (args.get(1).startsWith("escape=")) {
      escape = switch (args.get(1).substring(7)) {
        case "default" -> Template.Escape.DEFAULT;
        case "json" -> Template.Escape.JSON;
        case "none" -> Template.Escape.NONE;
        default -> throw new ConfigSyntaxException("unknown log format escaping \"" + args.get(1).substring(7) + "\"",
            directive.argPositions().get(1));
      };
      first = 2;
      if (args.size() < 3) {
        throw new ConfigSyntaxException("invalid number of arguments in \"log_format\" directive",
            directive.position());
      }
    }
    StringBuilder text = new StringBuilder();
    for (int i = first; i < args.size(); i++) {
      text.append(args.get(i));
    }
    return new LogFormat(name, Template.compile(text.toString(), directive.argPositions().get(first)), escape);
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
    int number = NginxUnits.parseInt(port);
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

  static boolean flag(Directive directive) {
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

  static void simple(Directive directive) {
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
  static void simpleArgs(Directive directive, int min, int max) {
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

  /** {@code dyups_zookeeper HOSTS [root=PATH] [session_timeout=TIME] [max_request=SIZE];} */
  private static ZooKeeper zookeeper(Directive directive) {
    simpleArgs(directive, 1, 4);
    String hosts = directive.args().get(0);
    for (String host : hosts.split(",", -1)) {
      int colon = host.lastIndexOf(':');
      if (host.isEmpty() || colon <= 0 || colon == host.length() - 1
          || !host.substring(colon + 1).chars().allMatch(Character::isDigit)) {
        throw new ConfigSyntaxException("invalid ZooKeeper server \"" + host + "\" in \"dyups_zookeeper\""
            + " (host:port expected)", directive.argPositions().get(0));
      }
    }
    String root = "/dyups/upstreams";
    Duration sessionTimeout = Duration.ofSeconds(30);
    int maxRequest = 0xfffff;
    for (int i = 1; i < directive.args().size(); i++) {
      String arg = directive.args().get(i);
      SourcePosition at = directive.argPositions().get(i);
      int equals = arg.indexOf('=');
      String name = equals < 0 ? arg : arg.substring(0, equals);
      String value = equals < 0 ? "" : arg.substring(equals + 1);
      switch (name) {
        case "root" -> {
          if (!value.startsWith("/") || value.length() < 2 || value.endsWith("/") || value.contains("//")) {
            throw new ConfigSyntaxException("invalid root \"" + value + "\" in \"dyups_zookeeper\"", at);
          }
          root = value;
        }
        case "session_timeout" -> {
          Duration time = NginxUnits.parseTime(value);
          if (time == null || time.isZero()) {
            throw new ConfigSyntaxException("invalid session_timeout \"" + value + "\" in \"dyups_zookeeper\"",
                at);
          }
          sessionTimeout = time;
        }
        case "max_request" -> {
          long size = NginxUnits.parseSize(value);
          if (size < 4096 || size > Integer.MAX_VALUE) {
            throw new ConfigSyntaxException("invalid max_request \"" + value + "\" in \"dyups_zookeeper\"", at);
          }
          maxRequest = (int) size;
        }
        default -> throw new ConfigSyntaxException("invalid parameter \"" + arg + "\"", at);
      }
    }
    return new ZooKeeper(hosts, root, sessionTimeout, maxRequest);
  }

  static ConfigSyntaxException invalidValue(Directive directive) {
    return new ConfigSyntaxException(
        "\"" + directive.name() + "\" directive invalid value", directive.argPositions().get(0));
  }

  private static final Set<String> KNOWN_ELSEWHERE = Set.of(
      "proxy_pass", "echo", "return", "dyups_interface", "api", "location", "server", "listen", "server_name",
      "upstream", "log_format", "dyups_upstream_conf", "dyups_zookeeper", "dyups_trylock", "dyups_shm_zone_size",
      "dyups_read_msg_timeout", "worker_connections", "worker_processes", "events", "http", "daemon", "pid",
      "error_log", "client_header_timeout", "client_header_buffer_size", "large_client_header_buffers");

  /** nginx's two messages: a directive it does not know, or one it knows in the wrong place. */
  private static ConfigSyntaxException unknownOrMisplaced(Directive directive) {
    if (KNOWN_ELSEWHERE.contains(directive.name()) || ANY_LEVEL.contains(directive.name())
        || TlsDirectives.PROXY.contains(directive.name()) || TlsDirectives.SERVER.contains(directive.name())) {
      return new ConfigSyntaxException("\"" + directive.name() + "\" directive is not allowed here",
          directive.position());
    }
    return new ConfigSyntaxException("unknown directive \"" + directive.name() + "\"", directive.position());
  }

  /**
   * The settings of one level (http, server or location) as written, unset ones null; a child reads through to its
   * parent as nginx's merge does.
   */
  private static final class SettingsBuilder {
    @Nullable private final SettingsBuilder parent;
    @Nullable Integer proxyHttpVersion;
    @Nullable List<HeaderSetting> proxyHeaders;
    @Nullable Integer nextUpstream;
    @Nullable Integer nextUpstreamTries;
    @Nullable Duration nextUpstreamTimeout;
    @Nullable Duration proxyConnectTimeout;
    @Nullable Duration proxyReadTimeout;
    @Nullable Duration proxySendTimeout;
    @Nullable Duration clientBodyTimeout;
    @Nullable Duration sendTimeout;
    @Nullable Duration keepaliveTimeout;
    @Nullable Integer keepaliveRequests;
    @Nullable Long clientMaxBodySize;
    @Nullable List<AccessRule> accessRules;
    @Nullable List<AccessLogTarget> accessLogs;
    /** This level has {@code access_log off}: no access log here, whatever else the level names. */
    boolean accessLogOff;
    @Nullable String adminToken;
    @Nullable Duration clientHeaderTimeout;
    @Nullable Integer clientHeaderBufferSize;
    int @Nullable [] largeHeaderBuffers;
    private final java.util.HashSet<String> seen = new java.util.HashSet<>();
    // The TLS directives written at this level, by name (TlsDirectives checks and merges them).
    private final Map<String, List<Directive>> tls = new java.util.HashMap<>();
    // The root level's: where relative certificate names start, and the contexts toward backends made so far.
    @Nullable Path confDir;
    private @Nullable Map<BackendTls.Spec, BackendTls> contexts;

    SettingsBuilder(@Nullable SettingsBuilder parent) {
      this.parent = parent;
    }

    void set(Directive directive, Map<String, LogFormat> formats, Path prefix) {
      String name = directive.name();
      boolean repeatable = name.equals("proxy_set_header") || name.equals("allow") || name.equals("deny")
          || name.equals("access_log") || TlsDirectives.REPEATABLE.contains(name);
      if (!repeatable && !seen.add(name)) {
        throw new ConfigSyntaxException("\"" + name + "\" directive is duplicate", directive.position());
      }
      if (TlsDirectives.PROXY.contains(name) || TlsDirectives.SERVER.contains(name)) {
        TlsDirectives.check(directive);
        tls.computeIfAbsent(name, key -> new ArrayList<>()).add(directive);
        return;
      }
      switch (name) {
        case "proxy_http_version" -> {
          simpleArgs(directive, 1, 1);
          proxyHttpVersion = switch (directive.args().get(0)) {
            case "1.0" -> 10;
            case "1.1" -> 11;
            default -> throw new ConfigSyntaxException("invalid value \"" + directive.args().get(0) + "\"",
                directive.argPositions().get(0));
          };
        }
        case "proxy_set_header" -> {
          simpleArgs(directive, 2, 2);
          if (proxyHeaders == null) {
            proxyHeaders = new ArrayList<>();
          }
          proxyHeaders.add(new HeaderSetting(directive.args().get(0),
              Template.compile(directive.args().get(1), directive.argPositions().get(1))));
        }
        case "proxy_next_upstream" -> {
          simpleArgs(directive, 1, Integer.MAX_VALUE);
          int bits = 0;
          for (int i = 0; i < directive.args().size(); i++) {
            Integer bit = NextUpstream.NAMES.get(directive.args().get(i));
            if (bit == null) {
              throw new ConfigSyntaxException("invalid value \"" + directive.args().get(i) + "\"",
                  directive.argPositions().get(i));
            }
            bits |= bit;
          }
          if ((bits & NextUpstream.OFF) != 0 && bits != NextUpstream.OFF) {
            throw new ConfigSyntaxException("\"off\" value cannot be used with other values",
                directive.argPositions().get(0));
          }
          nextUpstream = bits == NextUpstream.OFF ? 0 : bits;
        }
        case "proxy_next_upstream_tries", "keepalive_requests" -> {
          simpleArgs(directive, 1, 1);
          int n = NginxUnits.parseInt(directive.args().get(0));
          if (n < 0) {
            throw invalidValue(directive);
          }
          if (name.equals("keepalive_requests")) {
            keepaliveRequests = n;
          } else {
            nextUpstreamTries = n;
          }
        }
        case "proxy_next_upstream_timeout" -> nextUpstreamTimeout = time(directive);
        case "proxy_connect_timeout" -> proxyConnectTimeout = time(directive);
        case "proxy_read_timeout" -> proxyReadTimeout = time(directive);
        case "proxy_send_timeout" -> proxySendTimeout = time(directive);
        case "client_body_timeout" -> clientBodyTimeout = time(directive);
        case "client_header_timeout" -> clientHeaderTimeout = time(directive);
        case "send_timeout" -> sendTimeout = time(directive);
        case "keepalive_timeout" -> {
          // The optional second argument (the Keep-Alive: timeout= header) is accepted; the proxy sends none.
          simpleArgs(directive, 1, 2);
          keepaliveTimeout = NginxUnits.parseTime(directive.args().get(0));
          if (keepaliveTimeout == null) {
            throw invalidValue(directive);
          }
        }
        case "client_max_body_size" -> clientMaxBodySize = size(directive);
        case "client_header_buffer_size" -> {
          long size = size(directive);
          if (size == 0 || size > Integer.MAX_VALUE) {
            throw invalidValue(directive);
          }
          clientHeaderBufferSize = (int) size;
        }
        case "large_client_header_buffers" -> {
          simpleArgs(directive, 2, 2);
          int number = NginxUnits.parseInt(directive.args().get(0));
          long size = NginxUnits.parseSize(directive.args().get(1));
          if (number <= 0 || size <= 0 || size > Integer.MAX_VALUE / 64) {
            throw new ConfigSyntaxException("invalid value \"" + String.join(" ", directive.args()) + "\"",
                directive.argPositions().get(0));
          }
          largeHeaderBuffers = new int[] {number, (int) size};
        }
        case "allow", "deny" -> {
          simpleArgs(directive, 1, 1);
          if (accessRules == null) {
            accessRules = new ArrayList<>();
          }
          accessRules.add(accessRule(directive));
        }
        case "access_log" -> {
          simpleArgs(directive, 1, 5);
          if (accessLogs == null) {
            accessLogs = new ArrayList<>();
          }
          if (directive.args().get(0).equals("off")) {
            if (directive.args().size() != 1) {
              throw new ConfigSyntaxException("invalid parameter \"" + directive.args().get(1) + "\"",
                  directive.argPositions().get(1));
            }
            accessLogOff = true;
          } else {
            accessLogs.add(accessLog(directive, formats, prefix));
          }
        }
        case "dyups_interface_token" -> {
          simpleArgs(directive, 1, 1);
          if (directive.args().get(0).isBlank()) {
            throw invalidValue(directive);
          }
          adminToken = directive.args().get(0);
        }
        case "default_type", "server_tokens" -> simpleArgs(directive, 1, 1);
        case "sendfile", "tcp_nodelay", "tcp_nopush" -> flag(directive);
        default -> throw new IllegalStateException(name);
      }
    }

    private static Duration time(Directive directive) {
      simpleArgs(directive, 1, 1);
      Duration value = NginxUnits.parseTime(directive.args().get(0));
      if (value == null) {
        throw invalidValue(directive);
      }
      return value;
    }

    private static long size(Directive directive) {
      simpleArgs(directive, 1, 1);
      long value = NginxUnits.parseSize(directive.args().get(0));
      if (value < 0) {
        throw invalidValue(directive);
      }
      return value;
    }

    private static AccessRule accessRule(Directive directive) {
      String value = directive.args().get(0);
      boolean allow = directive.name().equals("allow");
      if (value.equals("all")) {
        return new AccessRule(allow, new byte[0], 0, value);
      }
      if (value.startsWith("unix:")) {
        return new AccessRule(allow, new byte[] {(byte) 0xFF}, 0, value);
      }
      String address = value;
      int prefixLength = -1;
      int slash = value.indexOf('/');
      if (slash >= 0) {
        address = value.substring(0, slash);
        prefixLength = NginxUnits.parseInt(value.substring(slash + 1));
      }
      byte[] bytes = io.netty.util.NetUtil.createByteArrayFromIpAddressString(address);
      if (bytes == null || (slash >= 0 && (prefixLength < 0 || prefixLength > bytes.length * 8))) {
        throw new ConfigSyntaxException("invalid parameter \"" + value + "\"", directive.argPositions().get(0));
      }
      if (prefixLength < 0) {
        prefixLength = bytes.length * 8;
      }
      return new AccessRule(allow, bytes, prefixLength, value);
    }

    private static AccessLogTarget accessLog(Directive directive, Map<String, LogFormat> formats, Path prefix) {
      List<String> args = directive.args();
      Path path = prefix.resolve(args.get(0)).normalize();
      LogFormat format = combined(formats);
      int bufferSize = 0;
      Duration flush = Duration.ZERO;
      for (int i = 1; i < args.size(); i++) {
        String arg = args.get(i);
        if (i == 1 && !arg.contains("=")) {
          LogFormat named = formats.get(arg);
          if (named == null) {
            throw new ConfigSyntaxException("unknown log format \"" + arg + "\"", directive.argPositions().get(i));
          }
          format = named;
        } else if (arg.startsWith("buffer=")) {
          long size = NginxUnits.parseSize(arg.substring(7));
          if (size <= 0 || size > 16 * 1024 * 1024) {
            throw new ConfigSyntaxException("invalid buffer size \"" + arg.substring(7) + "\"",
                directive.argPositions().get(i));
          }
          bufferSize = (int) size;
        } else if (arg.startsWith("flush=")) {
          Duration time = NginxUnits.parseTime(arg.substring(6));
          if (time == null || time.isZero()) {
            throw new ConfigSyntaxException("invalid flush time \"" + arg.substring(6) + "\"",
                directive.argPositions().get(i));
          }
          flush = time;
        } else {
          throw new ConfigSyntaxException("invalid parameter \"" + arg + "\"", directive.argPositions().get(i));
        }
      }
      if (!flush.isZero() && bufferSize == 0) {
        bufferSize = 64 * 1024;
      }
      return new AccessLogTarget(path, format, bufferSize, flush);
    }

    /** The value set at this level or the nearest one above it; null when none sets it. */
    /** nginx's predefined format, put in every map of formats before any log_format. */
    private static LogFormat combined(Map<String, LogFormat> formats) {
      return java.util.Objects.requireNonNull(formats.get("combined"), "the combined format");
    }

    private <T> @Nullable T find(java.util.function.Function<SettingsBuilder, @Nullable T> field) {
      for (SettingsBuilder level = this; level != null; level = level.parent) {
        T value = field.apply(level);
        if (value != null) {
          return value;
        }
      }
      return null;
    }

    private <T> T get(java.util.function.Function<SettingsBuilder, @Nullable T> field, T fallback) {
      T value = find(field);
      return value == null ? fallback : value;
    }

    /** The level whose access_log directives apply: this one or the nearest above with any; null when none has. */
    private @Nullable SettingsBuilder accessLogLevel() {
      for (SettingsBuilder level = this; level != null; level = level.parent) {
        if (level.accessLogs != null) {
          return level;
        }
      }
      return null;
    }

    /** The TLS directives called {@code name} of the innermost level that has any, or null. */
    @Nullable
    List<Directive> tlsDirectives(String name) {
      return find(b -> b.tls.get(name));
    }

    Path confDir() {
      SettingsBuilder root = this;
      while (root.parent != null) {
        root = root.parent;
      }
      return java.util.Objects.requireNonNull(root.confDir, "confDir");
    }

    Map<BackendTls.Spec, BackendTls> contexts() {
      SettingsBuilder root = this;
      while (root.parent != null) {
        root = root.parent;
      }
      if (root.contexts == null) {
        root.contexts = new java.util.HashMap<>();
      }
      return root.contexts;
    }

    ServerSettings serverSettings() {
      int[] large = get(b -> b.largeHeaderBuffers, new int[] {4, 8 * 1024});
      return new ServerSettings(get(b -> b.clientHeaderTimeout, Duration.ofSeconds(60)),
          get(b -> b.clientHeaderBufferSize, 1024), large[0], large[1]);
    }

    Settings settings(Path prefix, Map<String, LogFormat> formats, TlsDirectives.@Nullable UpstreamTls proxyTls) {
      List<HeaderSetting> headers = get(b -> b.proxyHeaders, List.of());
      SettingsBuilder logLevel = accessLogLevel();
      List<AccessLogTarget> effectiveLogs;
      if (logLevel == null || logLevel.accessLogs == null) {
        // nginx's default: access_log logs/access.log combined.
        effectiveLogs = List.of(new AccessLogTarget(prefix.resolve("logs/access.log"), combined(formats), 0,
            Duration.ZERO));
      } else if (logLevel.accessLogOff) {
        // "access_log off" cancels every access_log of its level.
        effectiveLogs = List.of();
      } else {
        effectiveLogs = List.copyOf(logLevel.accessLogs);
      }
      return new Settings(
          get(b -> b.proxyHttpVersion, 10),
          List.copyOf(headers),
          get(b -> b.nextUpstream, NextUpstream.ERROR | NextUpstream.TIMEOUT),
          get(b -> b.nextUpstreamTries, 0),
          get(b -> b.nextUpstreamTimeout, Duration.ZERO),
          get(b -> b.proxyConnectTimeout, Duration.ofSeconds(60)),
          get(b -> b.proxyReadTimeout, Duration.ofSeconds(60)),
          get(b -> b.proxySendTimeout, Duration.ofSeconds(60)),
          get(b -> b.clientBodyTimeout, Duration.ofSeconds(60)),
          get(b -> b.sendTimeout, Duration.ofSeconds(60)),
          get(b -> b.keepaliveTimeout, Duration.ofSeconds(75)),
          get(b -> b.keepaliveRequests, 1000),
          get(b -> b.clientMaxBodySize, 1024L * 1024),
          List.copyOf(get(b -> b.accessRules, List.of())),
          effectiveLogs,
          find(b -> b.adminToken),
          proxyTls);
    }
  }

  private static final class Builder {
    final Path prefix;
    final Path configFile;
    @Nullable Path errorLog;
    ServerLog.Level errorLogLevel = ServerLog.Level.ERROR;
    @Nullable Path persistenceFile;
    @Nullable ZooKeeper zookeeper;
    boolean tryLock;
    long maxCommandsSize = 2L * 1024 * 1024;
    // nginx's default: one worker, so the seed's conf/nginx.conf (no worker_processes) gives the seed's answers in
    // the seed's order (each event loop balances on its own, as each nginx worker does). 0 is "auto".
    int workerProcesses = 1;
    int workerConnections = DEFAULT_WORKER_CONNECTIONS;
    final List<Path> upstreamSources = new ArrayList<>();
    final List<VirtualServer> servers = new ArrayList<>();
    @Nullable ResolverSpec resolver;
    @Nullable Duration resolverTimeout;

    Builder(Path prefix, Path configFile) {
      this.prefix = prefix;
      this.configFile = configFile;
      // nginx's default error log, under the prefix.
      this.errorLog = prefix.resolve("logs/error.log");
    }

    ProxyConfig build() {
      return new ProxyConfig(prefix, configFile, errorLog, errorLogLevel, persistenceFile, zookeeper, tryLock,
          maxCommandsSize, List.copyOf(upstreamSources), workerProcesses, workerConnections, List.copyOf(servers),
          resolver, resolverTimeout);
    }
  }
}
