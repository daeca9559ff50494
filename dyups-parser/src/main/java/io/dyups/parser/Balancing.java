package io.dyups.parser;

import static java.util.Objects.requireNonNull;

/**
 * The balancing method of an upstream block: the directive that chose it, or round robin when none did.
 */
public sealed interface Balancing {
  /**
   * True for the methods that keep {@code backup} servers, round robin and {@code least_conn} (the {@code
   * NGX_HTTP_UPSTREAM_BACKUP} flag of their handlers); the others refuse the parameter on a server line read after
   * them, with nginx's {@code balancing method does not support parameter "backup"}.
   */
  default boolean supportsBackup() {
    return this instanceof RoundRobin || this instanceof LeastConn;
  }

  /** nginx's words for a {@code backup} server under a method that does not {@linkplain #supportsBackup keep one}. */
  String BACKUP_NOT_SUPPORTED = "balancing method does not support parameter \"backup\"";

  /**
   * True for the methods NGINX Plus allows {@code slow_start=} with: round robin and {@code least_conn}, not hash,
   * {@code ip_hash} or {@code random}, whose picks do not follow a weight that changes with time.
   */
  default boolean supportsSlowStart() {
    return this instanceof RoundRobin || this instanceof LeastConn;
  }

  /**
   * nginx's words for a server parameter the method does not support, {@code parameter} as written ({@code
   * slow_start=30s}): ngx_http_upstream_server's {@code not_supported}.
   */
  static String notSupported(String parameter) {
    return "balancing method does not support parameter \"" + parameter + "\"";
  }

  /** nginx's default: smooth weighted round robin. */
  record RoundRobin() implements Balancing {}

  /** {@code ip_hash;} */
  record IpHash() implements Balancing {}

  /** {@code hash KEY [consistent];} with KEY as written (variables unevaluated). */
  record Hash(String key, boolean consistent) implements Balancing {
    public Hash {
      requireNonNull(key, "key");
    }
  }

  /** {@code least_conn;} */
  record LeastConn() implements Balancing {}

  /** {@code random;} or {@code random two [least_conn];} ({@code two} always compares by least connections). */
  record Random(boolean two) implements Balancing {}
}
