package io.dyups.parser;

import static io.dyups.parser.UpstreamModelBuilder.invalidArgumentCount;
import static io.dyups.parser.UpstreamModelBuilder.invalidParameter;

import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * One upstream block as its directives are read: one method per directive, each checking its arguments as the
 * nginx module that defines it does ({@code ngx_http_upstream_server}, the balancing modules, {@code
 * ngx_http_upstream_keepalive}, {@code ngx_http_upstream_zone}, Tengine's check module) and writing what it read
 * here. {@link #finish} checks the block as a whole and makes the {@link UpstreamBlock}. Not thread-safe; one
 * draft per block.
 */
final class UpstreamDraft {
  private final String name;
  private final Consumer<? super ConfigWarning> warnings;
  // Most upstreams keep the default: one value for all of them (a record without components, so all are equal).
  private static final Balancing ROUND_ROBIN = new Balancing.RoundRobin();

  private Balancing balancing = ROUND_ROBIN;
  // nginx's peer.init_upstream: set by a balancing method and by keepalive, which wraps the method before it.
  private boolean initUpstreamSet;
  private final PackedServers.Builder servers = new PackedServers.Builder();
  private final SharedHosts hosts;
  private int keepaliveConnections;
  private @Nullable Integer keepaliveRequests;
  private @Nullable Duration keepaliveTime;
  private @Nullable Duration keepaliveTimeout;
  private @Nullable Zone zone;
  private @Nullable ResolverSpec resolver;
  private @Nullable Duration resolverTimeout;
  // Made by the first check directive: most upstreams have none.
  private @Nullable HealthCheckDraft check;

  UpstreamDraft(String name, Consumer<? super ConfigWarning> warnings, SharedHosts hosts) {
    this.name = name;
    this.warnings = warnings;
    this.hosts = hosts;
  }

  /** Reads one directive of the block. */
  void directive(Directive directive) {
    switch (directive.name()) {
      case "server" -> server(directive);
      case "ip_hash" -> ipHash(directive);
      case "least_conn" -> leastConn(directive);
      case "hash" -> hash(directive);
      case "random" -> random(directive);
      case "keepalive" -> keepalive(directive);
      case "keepalive_requests" -> keepaliveRequests(directive);
      case "keepalive_time" -> keepaliveTime(directive);
      case "keepalive_timeout" -> keepaliveTimeout(directive);
      case "zone" -> zone(directive);
      case "resolver" -> resolver(directive);
      case "resolver_timeout" -> resolverTimeout(directive);
      case "check" -> check(directive);
      case "check_http_send" -> checkHttpSend(directive);
      case "check_http_expect_alive" -> checkHttpExpectAlive(directive);
      case "check_keepalive_requests" -> checkKeepaliveRequests(directive);
      case "upstream" -> throw new ConfigSyntaxException(
          "\"upstream\" directive is not allowed here", directive.position());
      default -> throw UpstreamCollector.unknownDirective(directive);
    }
  }

  /** The block, checked as a whole; {@code where} is the position block-level errors name. */
  UpstreamBlock finish(SourcePosition where) {
    if (servers.size() == 0) {
      throw new ConfigSyntaxException("no servers are inside upstream", where);
    }
    if (servers.backups() == servers.size()) {
      throw new ConfigSyntaxException("no servers in upstream \"" + name + "\"", where);
    }
    // ngx_http_upstream_init_round_robin: a name looked up again while nginx runs needs the peers in shared
    // memory, where every worker sees the addresses change.
    if (zone == null && servers.resolvingAtRunTime() > 0) {
      throw new ConfigSyntaxException(
          "resolving names at run time requires upstream \"" + name + "\" to be in shared memory", where);
    }
    KeepaliveSettings defaults = KeepaliveSettings.DEFAULT;
    boolean keepaliveWritten = keepaliveConnections != 0 || keepaliveRequests != null || keepaliveTime != null
        || keepaliveTimeout != null;
    // Nearly every upstream has no keepalive directive: they share the defaults.
    KeepaliveSettings keepalive = !keepaliveWritten ? defaults : new KeepaliveSettings(
        keepaliveConnections,
        keepaliveRequests == null ? defaults.requests() : keepaliveRequests,
        keepaliveTime == null ? defaults.time() : keepaliveTime,
        keepaliveTimeout == null ? defaults.timeout() : keepaliveTimeout);
    return new UpstreamBlock(name, balancing, servers.build(), keepalive, zone,
        check == null ? null : check.finish(), resolver, resolverTimeout);
  }

  private void server(Directive directive) {
    requireSimple(directive);
    if (directive.args().isEmpty()) {
      throw invalidArgumentCount(directive);
    }
    ServerLine.read(directive, balancing, hosts, servers);
  }

  private void ipHash(Directive directive) {
    requireNoArguments(directive);
    method(directive, new Balancing.IpHash());
  }

  private void leastConn(Directive directive) {
    requireNoArguments(directive);
    method(directive, new Balancing.LeastConn());
  }

  /** {@code hash KEY [consistent];} */
  private void hash(Directive directive) {
    requireSimple(directive);
    List<String> args = directive.args();
    if (args.isEmpty() || args.size() > 2) {
      throw invalidArgumentCount(directive);
    }
    if (args.size() == 2 && !args.get(1).equals("consistent")) {
      throw invalidParameter(directive, 1);
    }
    method(directive, new Balancing.Hash(args.get(0), args.size() == 2));
  }

  /** {@code random [two [least_conn]];} */
  private void random(Directive directive) {
    requireSimple(directive);
    List<String> args = directive.args();
    if (args.size() > 2) {
      throw invalidArgumentCount(directive);
    }
    if (!args.isEmpty() && !args.get(0).equals("two")) {
      throw invalidParameter(directive, 0);
    }
    if (args.size() == 2 && !args.get(1).equals("least_conn")) {
      throw invalidParameter(directive, 1);
    }
    method(directive, new Balancing.Random(!args.isEmpty()));
  }

  /**
   * nginx warns when a balancing method is set after another one, or after {@code keepalive} (whose connection
   * cache nginx then no longer wraps around the method: nginx documents that a method must come before
   * {@code keepalive}). As nginx, the last method wins; the keepalive settings are kept as written, and {@link
   * UpstreamBlock#toConfig} writes the method first.
   */
  private void method(Directive directive, Balancing method) {
    if (initUpstreamSet) {
      warnings.accept(new ConfigWarning("load balancing method redefined", directive.position()));
    }
    initUpstreamSet = true;
    balancing = method;
  }

  private void keepalive(Directive directive) {
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
    initUpstreamSet = true;
  }

  private void keepaliveRequests(Directive directive) {
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

  private void keepaliveTime(Directive directive) {
    requireOneArgument(directive);
    if (keepaliveTime != null) {
      throw duplicate(directive);
    }
    keepaliveTime = milliseconds(directive);
  }

  private void keepaliveTimeout(Directive directive) {
    requireOneArgument(directive);
    if (keepaliveTimeout != null) {
      throw duplicate(directive);
    }
    keepaliveTimeout = milliseconds(directive);
  }

  /** The one argument as nginx's {@code ngx_conf_set_msec_slot} reads it. */
  private static Duration milliseconds(Directive directive) {
    Duration value = NginxValues.parseTime(directive.args().get(0), false);
    if (value == null) {
      throw slotError(directive, "invalid value");
    }
    return value;
  }

  /** {@code zone NAME [SIZE];}: a size of at least eight pages, as {@code ngx_http_upstream_zone}. */
  private void zone(Directive directive) {
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
      if (size < UpstreamCollector.MIN_ZONE_SIZE) {
        throw new ConfigSyntaxException(
            "zone \"" + args.get(0) + "\" is too small", directive.argPositions().get(1));
      }
    }
    zone = new Zone(args.get(0), size);
  }

  /** {@code resolver ADDRESS ... [valid=TIME] [ipv4=on|off] [ipv6=on|off];}, as ngx_http_upstream_resolver. */
  private void resolver(Directive directive) {
    requireSimple(directive);
    if (directive.args().isEmpty()) {
      throw invalidArgumentCount(directive);
    }
    if (resolver != null) {
      throw duplicate(directive);
    }
    resolver = ResolverSpec.read(directive.args(), directive.argPositions());
  }

  private void resolverTimeout(Directive directive) {
    requireOneArgument(directive);
    if (resolverTimeout != null) {
      throw duplicate(directive);
    }
    resolverTimeout = milliseconds(directive);
  }

  private void check(Directive directive) {
    requireSimple(directive);
    if (directive.args().isEmpty()) {
      throw invalidArgumentCount(directive);
    }
    check().check(directive);
  }

  private void checkHttpSend(Directive directive) {
    requireOneArgument(directive);
    check().httpSend(directive.args().get(0));
  }

  private void checkHttpExpectAlive(Directive directive) {
    requireSimple(directive);
    if (directive.args().isEmpty()) {
      throw invalidArgumentCount(directive);
    }
    check().expectAlive(directive);
  }

  private void checkKeepaliveRequests(Directive directive) {
    requireOneArgument(directive);
    int n = NginxValues.parseInt(directive.args().get(0));
    if (n <= 0) {
      throw slotError(directive, "invalid value");
    }
    check().keepaliveRequests(n);
  }

  private HealthCheckDraft check() {
    HealthCheckDraft draft = check;
    if (draft == null) {
      draft = new HealthCheckDraft();
      check = draft;
    }
    return draft;
  }

  private static void requireSimple(Directive directive) {
    if (directive.hasBlock()) {
      throw new ConfigSyntaxException(
          "directive \"" + directive.name() + "\" is not terminated by \";\"", directive.position());
    }
  }

  private static void requireNoArguments(Directive directive) {
    requireSimple(directive);
    if (!directive.args().isEmpty()) {
      throw invalidArgumentCount(directive);
    }
  }

  private static void requireOneArgument(Directive directive) {
    requireSimple(directive);
    if (directive.args().size() != 1) {
      throw invalidArgumentCount(directive);
    }
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
