package io.dyups.parser;

import static com.google.common.base.Preconditions.checkArgument;
import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * nginx's {@code resolver ADDRESS ... [valid=TIME] [ipv4=on|off] [ipv6=on|off];}: the DNS servers that names of
 * servers with the {@code resolve} parameter are looked up with, as an upstream block (nginx 1.27.3 and later) or
 * the {@code http} block writes it.
 *
 * @param servers the DNS servers, in the order written (port 53 when none is written); may be empty, as nginx
 *     reads {@code resolver valid=30s;}, and then no name can be resolved with it
 * @param valid {@code valid=}: how long an answer is used, in place of its TTL; {@code null} when not written
 * @param ipv4 {@code ipv4=}: look up IPv4 addresses (A records); default on
 * @param ipv6 {@code ipv6=}: look up IPv6 addresses (AAAA records); default on
 */
public record ResolverSpec(List<Address> servers, @Nullable Duration valid, boolean ipv4, boolean ipv6) {
  /** The port of a DNS server written without one. */
  public static final int DEFAULT_PORT = 53;

  /**
   * @throws IllegalArgumentException if a server is a unix socket, {@code valid} is negative, or both address
   *     families are off
   */
  public ResolverSpec {
    servers = List.copyOf(servers);
    for (Address server : servers) {
      checkArgument(server.kind() != Address.Kind.UNIX, "a resolver is not a unix socket: %s", server);
    }
    checkArgument(valid == null || !valid.isNegative(), "valid must not be negative: %s", valid);
    checkArgument(ipv4 || ipv6, "\"ipv4\" and \"ipv6\" cannot both be \"off\"");
  }

  /**
   * Reads the arguments of a {@code resolver} directive as nginx's {@code ngx_resolver_create} does, for a
   * program that reads the directive where the parser does not (the {@code http} block of its own configuration).
   *
   * @throws IllegalArgumentException in nginx's words, such as {@code invalid parameter: ipv6=maybe}
   */
  public static ResolverSpec parse(List<String> args) {
    requireNonNull(args, "args");
    SourcePosition where = new SourcePosition("resolver", 1, 1);
    try {
      return read(args, args.stream().map(arg -> where).toList());
    } catch (ConfigSyntaxException e) {
      throw new IllegalArgumentException(e.reason(), e);
    }
  }

  /** The arguments of a {@code resolver} directive; {@code positions} are where each one stands. */
  static ResolverSpec read(List<String> args, List<SourcePosition> positions) {
    List<Address> servers = new java.util.ArrayList<>();
    Duration valid = null;
    boolean ipv4 = true;
    boolean ipv6 = true;
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      SourcePosition where = positions.get(i);
      if (arg.startsWith("valid=")) {
        valid = NginxValues.parseTime(arg.substring(6), true);
        if (valid == null) {
          throw new ConfigSyntaxException("invalid parameter: " + arg, where);
        }
      } else if (arg.startsWith("ipv4=")) {
        ipv4 = onOff(arg, where);
      } else if (arg.startsWith("ipv6=")) {
        ipv6 = onOff(arg, where);
      } else {
        servers.add(UpstreamModelBuilder.address(arg, where, "resolver", DEFAULT_PORT, SharedHosts.UNSHARED));
      }
    }
    if (!ipv4 && !ipv6) {
      throw new ConfigSyntaxException("\"ipv4\" and \"ipv6\" cannot both be \"off\"", positions.get(0));
    }
    return new ResolverSpec(servers, valid, ipv4, ipv6);
  }

  private static boolean onOff(String arg, SourcePosition where) {
    String value = arg.substring(5);
    if (value.equals("on")) {
      return true;
    }
    if (value.equals("off")) {
      return false;
    }
    throw new ConfigSyntaxException("invalid parameter: " + arg, where);
  }

  /** The directive as canonical nginx text, {@code resolver 10.0.0.53:53 valid=30s ipv6=off;}. */
  public String toConfig() {
    StringBuilder out = new StringBuilder("resolver");
    for (Address server : servers) {
      out.append(' ').append(ConfigText.word(server.toConfig()));
    }
    if (valid != null) {
      out.append(" valid=").append(NginxValues.formatTime(valid));
    }
    if (!ipv4) {
      out.append(" ipv4=off");
    }
    if (!ipv6) {
      out.append(" ipv6=off");
    }
    return out.append(';').toString();
  }
}
