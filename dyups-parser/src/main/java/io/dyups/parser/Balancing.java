package io.dyups.parser;

import static java.util.Objects.requireNonNull;

/**
 * The balancing method of an upstream block: the directive that chose it, or round robin when none did.
 */
public sealed interface Balancing {
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
