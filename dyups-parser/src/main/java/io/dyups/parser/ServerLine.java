package io.dyups.parser;

import static io.dyups.parser.UpstreamModelBuilder.invalidParameter;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * One {@code server ADDRESS [parameters];} line, read as {@code ngx_http_upstream_server} reads it: the address,
 * then each parameter in turn (the last of a name wins), nginx's defaults for the rest. Not thread-safe; one per
 * line.
 */
final class ServerLine {
  private final Directive directive;
  private final Balancing balancing;
  private int weight = 1;
  private int maxFails = 1;
  private Duration failTimeout = ServerSpec.DEFAULT_FAIL_TIMEOUT;
  private int maxConns;
  private boolean backup;
  private boolean down;
  private Duration slowStart = Duration.ZERO;
  private boolean drain;
  private boolean resolve;
  private @Nullable String route;
  private @Nullable String service;

  private ServerLine(Directive directive, Balancing balancing) {
    this.directive = directive;
    this.balancing = balancing;
  }

  /**
   * Reads the server of a {@code server} directive with at least one argument into {@code servers}; {@code
   * balancing} is the method known when the line is read, which decides whether {@code backup} is allowed (nginx
   * checks it there too). Nothing of the line is kept or given back, so that the JIT can keep it off the heap.
   */
  static void read(Directive directive, Balancing balancing, SharedHosts hosts, PackedServers.Builder servers) {
    ServerLine line = new ServerLine(directive, balancing);
    for (int i = 1; i < directive.args().size(); i++) {
      line.parameter(i);
    }
    String text = directive.args().get(0);
    if (line.addedAsIpv4(text, servers)) {
      return;
    }
    if (line.service != null && !line.resolve) {
      throw new ConfigSyntaxException(
          "service upstream \"" + text + "\" requires \"resolve\" parameter", directive.position());
    }
    Address address = UpstreamModelBuilder.address(text, directive.argPosition(0), hosts);
    if (line.service != null) {
      line.checkService(text, address);
    }
    servers.add(line.spec(address));
  }

  /**
   * The common line (an IPv4 address as dotted decimal, an optional port, numeric parameters and flags), added
   * packed without making its address, its record or the address's position, which a large file would make 400 000
   * times for nothing. Every text taken here is one that {@link UpstreamModelBuilder#address} reads as that IPv4
   * address and port; anything else, errors included, goes the general way.
   */
  private boolean addedAsIpv4(String text, PackedServers.Builder servers) {
    if (resolve || route != null || service != null || !slowStart.isZero()) {
      return false;
    }
    int colon = text.indexOf(':');
    long ip = PackedServers.ipv4(text, 0, colon < 0 ? text.length() : colon);
    if (ip < 0) {
      return false;
    }
    int port = colon < 0 ? Address.DEFAULT_PORT : NginxValues.parseInt(text, colon + 1);
    return port >= 1 && port <= 65535
        && servers.addIpv4(ip, port, weight, maxFails, failTimeout, maxConns, backup, down, drain);
  }

  // ngx_http_upstream_server: a service's ports and addresses come from its SRV records.
  private void checkService(String text, Address address) {
    boolean portWritten = address.kind() == Address.Kind.IPV6
        ? text.lastIndexOf(':') > text.lastIndexOf(']') : text.indexOf(':') >= 0;
    if (portWritten && address.kind() != Address.Kind.UNIX) {
      throw new ConfigSyntaxException(
          "service upstream \"" + text + "\" may not have port", directive.position());
    }
    if (address.kind() != Address.Kind.HOST) {
      throw new ConfigSyntaxException(
          "service upstream \"" + text + "\" requires domain name", directive.position());
    }
  }

  private void parameter(int i) {
    String arg = directive.args().get(i);
    if (arg.startsWith("weight=")) {
      weight = number(i, "weight=", 1);
    } else if (arg.startsWith("max_fails=")) {
      maxFails = number(i, "max_fails=", 0);
    } else if (arg.startsWith("max_conns=")) {
      maxConns = number(i, "max_conns=", 0);
    } else if (arg.startsWith("fail_timeout=")) {
      failTimeout = seconds(i, "fail_timeout=");
    } else if (arg.startsWith("slow_start=")) {
      if (!balancing.supportsSlowStart()) {
        throw new ConfigSyntaxException(Balancing.notSupported(arg), directive.argPositions().get(i));
      }
      slowStart = seconds(i, "slow_start=");
    } else if (arg.startsWith("route=")) {
      route = nonEmpty(i, "route=");
    } else if (arg.startsWith("service=")) {
      service = nonEmpty(i, "service=");
    } else if (arg.equals("backup")) {
      backup(i);
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

  /** {@code NAME=N} with N at least {@code min}, read as {@code ngx_atoi}. */
  private int number(int i, String prefix, int min) {
    int value = NginxValues.parseInt(directive.args().get(i), prefix.length());
    if (value < min) {
      throw invalidParameter(directive, i);
    }
    return value;
  }

  /** {@code NAME=TIME} as {@code ngx_parse_time} reads seconds. */
  private Duration seconds(int i, String prefix) {
    Duration value = NginxValues.parseTime(directive.args().get(i).substring(prefix.length()), true);
    if (value == null) {
      throw invalidParameter(directive, i);
    }
    // The default written out (fail_timeout=10s) is kept as the one default: a registry holds many servers.
    return value.equals(ServerSpec.DEFAULT_FAIL_TIMEOUT) ? ServerSpec.DEFAULT_FAIL_TIMEOUT : value;
  }

  private String nonEmpty(int i, String prefix) {
    String value = directive.args().get(i).substring(prefix.length());
    if (value.isEmpty()) {
      throw invalidParameter(directive, i);
    }
    return value;
  }

  // Only round robin and least_conn keep backup servers (the NGX_HTTP_UPSTREAM_BACKUP flag of their handlers).
  private void backup(int i) {
    if (!balancing.supportsBackup()) {
      throw new ConfigSyntaxException(Balancing.BACKUP_NOT_SUPPORTED, directive.argPositions().get(i));
    }
    backup = true;
  }

  private ServerSpec spec(Address address) {
    return new ServerSpec(
        address, weight, maxFails, failTimeout, maxConns, backup, down, slowStart, drain, resolve, route, service);
  }
}
