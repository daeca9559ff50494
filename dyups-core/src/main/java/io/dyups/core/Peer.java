package io.dyups.core;

import static java.util.Objects.requireNonNull;

import io.dyups.parser.Address;
import io.dyups.parser.ServerSpec;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One server of an upstream with its live state (active connections, recent failures). The definition part is
 * immutable; the counters change as requests use the peer and are safe to read from any thread.
 */
public final class Peer {
  private final ServerSpec spec;
  private final AtomicInteger activeConnections = new AtomicInteger();
  private final AtomicInteger failures = new AtomicInteger();

  Peer(ServerSpec spec) {
    this.spec = requireNonNull(spec, "spec");
  }

  /** The server line this peer was built from. */
  public ServerSpec spec() {
    return spec;
  }

  /** Where the peer is. */
  public Address address() {
    return spec.address();
  }

  /** Requests currently using this peer. */
  public int activeConnections() {
    return activeConnections.get();
  }

  /** Failures counted in the current {@code fail_timeout} window. */
  public int failures() {
    return failures.get();
  }

  @Override
  public String toString() {
    return spec.address().toString();
  }
}
