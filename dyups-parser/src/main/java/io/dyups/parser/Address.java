package io.dyups.parser;

import static com.google.common.base.Preconditions.checkArgument;
import static java.util.Objects.requireNonNull;

/**
 * The address of one upstream server, as nginx's {@code server} directive accepts it: an IPv4 address, an IPv6
 * address in brackets, a host name, each with a port (80 when none is written), or a {@code unix:} socket path.
 *
 * @param kind what sort of address this is
 * @param host the IPv4 text, the IPv6 text without brackets, the host name, or the socket path for {@link Kind#UNIX}
 * @param port 1 to 65535; 0 for {@link Kind#UNIX}
 */
public record Address(Kind kind, String host, int port) {
  /** What sort of address. */
  public enum Kind {
    IPV4,
    IPV6,
    HOST,
    UNIX
  }

  public Address {
    requireNonNull(kind, "kind");
    requireNonNull(host, "host");
    checkArgument(!host.isEmpty(), "host must not be empty");
    if (kind == Kind.UNIX) {
      checkArgument(port == 0, "a unix socket has no port: %s", port);
    } else {
      checkArgument(port >= 1 && port <= 65535, "port must be 1-65535: %s", port);
    }
    // nginx reads "unix:PORT" as a socket path, so a host called unix can only be written without a port.
    checkArgument(kind != Kind.HOST || port == DEFAULT_PORT || !host.equalsIgnoreCase("unix"),
        "a host named \"%s\" can only have port 80: %s", host, port);
  }

  /** The port of a server written without one. */
  static final int DEFAULT_PORT = 80;

  /**
   * The address in nginx's canonical form, as dyups lists it: {@code 127.0.0.1:8080}, {@code [::1]:8080},
   * {@code backend.local:80}, {@code unix:/tmp/backend.sock}.
   */
  @Override
  public String toString() {
    return switch (kind) {
      case IPV4, HOST -> host + ":" + port;
      case IPV6 -> "[" + host + "]:" + port;
      case UNIX -> "unix:" + host;
    };
  }

  /**
   * The address as a {@code server} directive writes it, reading back to an equal address: the canonical form,
   * except that a host named {@code unix} (any case) is written without its port, since {@code unix:80} would read
   * back as the socket path {@code 80}.
   */
  public String toConfig() {
    if (kind == Kind.HOST && host.equalsIgnoreCase("unix")) {
      return host;
    }
    return toString();
  }

  /**
   * Reads an address as the {@code server} directive of an upstream does: {@code 10.0.0.1:8080},
   * {@code [::1]:8080}, {@code backend.local} (port 80), {@code unix:/tmp/backend.sock}. Host names are not
   * resolved.
   *
   * @throws IllegalArgumentException in nginx's words, e.g. {@code invalid port in upstream "1.2.3.4:99999"}
   */
  public static Address parse(String text) {
    requireNonNull(text, "text");
    try {
      return UpstreamModelBuilder.address(text, new SourcePosition("address", 1, 1));
    } catch (ConfigSyntaxException e) {
      throw new IllegalArgumentException(e.reason(), e);
    }
  }
}
