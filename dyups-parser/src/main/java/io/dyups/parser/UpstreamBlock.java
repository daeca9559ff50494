package io.dyups.parser;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * One upstream: its name, balancing method, servers (in the order written), keepalive settings, zone and active
 * health check. Immutable; equal blocks write out the same text.
 *
 * @param zone the {@code zone} directive, or {@code null} when there is none
 * @param healthCheck the {@code check} directive (with {@code check_http_send}, {@code check_http_expect_alive}
 *     and {@code check_keepalive_requests}), or {@code null} when there is none
 * @param resolver the block's own {@code resolver} directive (nginx 1.27.3 and later), for the servers with the
 *     {@code server ... resolve} parameter; {@code null} when there is none, and the one of the {@code http} block
 *     is used
 * @param resolverTimeout the block's {@code resolver_timeout}, or {@code null} when there is none
 */
public record UpstreamBlock(
    String name,
    Balancing balancing,
    List<ServerSpec> servers,
    KeepaliveSettings keepalive,
    @Nullable Zone zone,
    @Nullable HealthCheck healthCheck,
    @Nullable ResolverSpec resolver,
    @Nullable Duration resolverTimeout) {

  public UpstreamBlock {
    requireNonNull(name, "name");
    requireNonNull(balancing, "balancing");
    servers = PackedServers.of(servers);
    requireNonNull(keepalive, "keepalive");
  }

  /**
   * True when a server is written with a host name ({@link Address.Kind#HOST}), to be looked up when the upstream
   * is defined or, with {@code resolve}, while it lives. Answered without making the servers' records when none
   * can be.
   */
  public boolean hasHostNames() {
    if (PackedServers.hasNoHostNames(servers)) {
      return false;
    }
    for (ServerSpec server : servers) {
      if (server.address().kind() == Address.Kind.HOST) {
        return true;
      }
    }
    return false;
  }

  /** A block without {@code resolver} and {@code resolver_timeout} directives. */
  public UpstreamBlock(String name, Balancing balancing, List<ServerSpec> servers, KeepaliveSettings keepalive,
      @Nullable Zone zone, @Nullable HealthCheck healthCheck) {
    this(name, balancing, servers, keepalive, zone, healthCheck, null, null);
  }

  /** This block under another name. */
  public UpstreamBlock withName(String newName) {
    return newName.equals(name) ? this
        : new UpstreamBlock(newName, balancing, servers, keepalive, zone, healthCheck, resolver, resolverTimeout);
  }

  /** The source name positions carry for text given to {@link #fromCommands}. */
  public static final String COMMANDS_SOURCE = "commands";

  /**
   * Parses the inside of an upstream block, as a dyups {@code POST /upstream/NAME} body carries it:
   * {@code "server 127.0.0.1:8089;server 127.0.0.1:8088;"}. No file is read: an {@code include} is an unknown
   * directive here.
   *
   * @throws IllegalArgumentException when {@code name} cannot be an upstream name (see {@link #checkName})
   * @throws ConfigSyntaxException when nginx would reject the commands; positions name {@value #COMMANDS_SOURCE}
   */
  public static UpstreamBlock fromCommands(String name, String commands) {
    return fromCommands(name, commands, warning -> { });
  }

  /**
   * {@link #fromCommands(String, String)}, giving what nginx would warn about (such as {@code load balancing
   * method redefined}) to {@code warnings}, for the caller to log as nginx logs it.
   */
  public static UpstreamBlock fromCommands(
      String name, String commands, Consumer<? super ConfigWarning> warnings) {
    checkName(name);
    requireNonNull(commands, "commands");
    requireNonNull(warnings, "warnings");
    List<Directive> body = SyntaxReader.read(commands, COMMANDS_SOURCE);
    return UpstreamModelBuilder.build(name, body, new SourcePosition(COMMANDS_SOURCE, 1, 1), warnings);
  }

  /**
   * Reads a file of upstream blocks and nothing else, as {@link #toConfig()} writes them one after another
   * (dyups's persistence file, its {@code dyups_upstream_conf}), giving each block to {@code action} in order and
   * nginx's warnings to {@code warnings}. Blocks are checked as {@link NginxConfig#upstreams()} checks them
   * (names, zones, each block's directives). Anything else at the top level, a misspelt {@code upstrem} or a
   * byte order mark before the first {@code upstream} as much as an {@code include}, is refused with nginx's
   * {@code unknown directive "..."}: the owner of such a file would not write it back, so it must not start
   * from it. When a block is rejected, the blocks before it have been given already. {@code action} and {@code
   * warnings} are called on the calling thread; a large file is read ahead as {@link NginxConfig#forEachUpstream}
   * reads it.
   *
   * @throws IOException when the file cannot be read
   * @throws ConfigSyntaxException when the file is rejected, with its name, line and column
   */
  public static void readAll(
      Path file, Consumer<? super UpstreamBlock> action, Consumer<? super ConfigWarning> warnings)
      throws IOException {
    requireNonNull(file, "file");
    requireNonNull(action, "action");
    requireNonNull(warnings, "warnings");
    Path path = file.toAbsolutePath().normalize();
    UpstreamCollector collector = new UpstreamCollector(action, warnings);
    ReadAhead.read(NginxConfig.readMainFile(path), path.toString(), collector::upstreamsOnly);
    collector.finish();
  }

  /**
   * Checks that {@code name} can be an upstream name: one bare nginx word usable in {@code proxy_pass
   * http://NAME}, 1 to 255 bytes of UTF-8, no whitespace, control characters or invisible format characters
   * (Unicode category Cf, such as U+202E, which would make a listing show another name) and none of
   * {@code ; { } " ' # $ / \}. This is what keeps a caller's name from injecting configuration into a
   * persisted file.
   *
   * @throws IllegalArgumentException saying what is wrong with the name
   */
  public static void checkName(String name) {
    requireNonNull(name, "name");
    String problem = UpstreamModelBuilder.nameProblem(name);
    if (problem != null) {
      throw new IllegalArgumentException(problem);
    }
  }

  /**
   * The form under which two upstream names are the same upstream: ASCII letters {@code A-Z} lower-cased, every
   * other character kept as it is. This is nginx's rule: {@code ngx_http_upstream_add} finds an existing upstream
   * with {@code ngx_strncasecmp}, which folds ASCII letters only, so {@code API} and {@code api} are one upstream
   * while {@code Äpfel} and {@code äpfel} are two. The parser's duplicate check uses this method, and so must
   * anything else that keeps upstreams by name, or a state it accepts could be refused when read back.
   *
   * @return {@code name} itself when it has no ASCII capital letter
   */
  public static String foldName(String name) {
    requireNonNull(name, "name");
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c >= 'A' && c <= 'Z') {
        char[] chars = name.toCharArray();
        for (int j = i; j < chars.length; j++) {
          if (chars[j] >= 'A' && chars[j] <= 'Z') {
            chars[j] = (char) (chars[j] + ('a' - 'A'));
          }
        }
        return new String(chars);
      }
    }
    return name;
  }

  /** The whole block as canonical nginx text: {@code upstream NAME {\n    server ...;\n}\n}. */
  public String toConfig() {
    StringBuilder out = new StringBuilder(64 + 48 * servers.size());
    out.append("upstream ").append(name).append(" {\n");
    for (String line : lines()) {
      out.append("    ").append(line).append('\n');
    }
    return out.append("}\n").toString();
  }

  /** The inside of the block, one directive per line, as {@link #fromCommands} reads it back. */
  public String toCommands() {
    StringBuilder out = new StringBuilder(48 * servers.size());
    for (String line : lines()) {
      out.append(line).append('\n');
    }
    return out.toString();
  }

  private List<String> lines() {
    List<String> lines = new java.util.ArrayList<>(servers.size() + 6);
    String method = balancingDirective();
    // nginx checks "backup" against the method known when it reads the server line, so a method that does not
    // allow backup servers must come after them for the text to read back.
    boolean methodLast = method != null
        && !(balancing instanceof Balancing.RoundRobin || balancing instanceof Balancing.LeastConn)
        && servers.stream().anyMatch(ServerSpec::backup);
    if (method != null && !methodLast) {
      lines.add(method);
    }
    KeepaliveSettings defaults = KeepaliveSettings.DEFAULT;
    if (keepalive.connections() > 0) {
      lines.add("keepalive " + keepalive.connections() + ";");
    }
    if (keepalive.requests() != defaults.requests()) {
      lines.add("keepalive_requests " + keepalive.requests() + ";");
    }
    if (!keepalive.time().equals(defaults.time())) {
      lines.add("keepalive_time " + NginxValues.formatTime(keepalive.time()) + ";");
    }
    if (!keepalive.timeout().equals(defaults.timeout())) {
      lines.add("keepalive_timeout " + NginxValues.formatTime(keepalive.timeout()) + ";");
    }
    if (zone != null) {
      lines.add("zone " + ConfigText.word(zone.name())
          + (zone.size() > 0 ? " " + NginxValues.formatSize(zone.size()) : "") + ";");
    }
    if (resolver != null) {
      lines.add(resolver.toConfig());
    }
    if (resolverTimeout != null) {
      lines.add("resolver_timeout " + NginxValues.formatTime(resolverTimeout) + ";");
    }
    if (healthCheck != null) {
      healthCheckLines(healthCheck, lines);
    }
    for (ServerSpec server : servers) {
      lines.add(server.toConfig());
    }
    if (method != null && methodLast) {
      lines.add(method);
    }
    return lines;
  }

  private static void healthCheckLines(HealthCheck check, List<String> lines) {
    StringBuilder line = new StringBuilder("check interval=").append(check.interval().toMillis())
        .append(" rise=").append(check.rise())
        .append(" fall=").append(check.fall())
        .append(" timeout=").append(check.timeout().toMillis())
        .append(" default_down=").append(check.defaultDown())
        .append(" type=").append(check.type().configName());
    if (check.port() != 0) {
      line.append(" port=").append(check.port());
    }
    lines.add(line.append(';').toString());
    HealthCheck defaults = HealthCheck.DEFAULT;
    if (!check.httpSend().equals(defaults.httpSend())) {
      lines.add("check_http_send " + ConfigText.word(check.httpSend()) + ";");
    }
    if (!check.expectAlive().equals(defaults.expectAlive())) {
      StringBuilder alive = new StringBuilder("check_http_expect_alive");
      for (HealthCheck.StatusClass statusClass : HealthCheck.StatusClass.values()) {
        if (check.expectAlive().contains(statusClass)) {
          alive.append(' ').append(statusClass.configName());
        }
      }
      lines.add(alive.append(';').toString());
    }
    if (check.keepaliveRequests() != defaults.keepaliveRequests()) {
      lines.add("check_keepalive_requests " + check.keepaliveRequests() + ";");
    }
  }

  private @Nullable String balancingDirective() {
    if (balancing instanceof Balancing.IpHash) {
      return "ip_hash;";
    } else if (balancing instanceof Balancing.LeastConn) {
      return "least_conn;";
    } else if (balancing instanceof Balancing.Hash hash) {
      return "hash " + ConfigText.word(hash.key()) + (hash.consistent() ? " consistent;" : ";");
    } else if (balancing instanceof Balancing.Random random) {
      return random.two() ? "random two least_conn;" : "random;";
    }
    return null;
  }
}
