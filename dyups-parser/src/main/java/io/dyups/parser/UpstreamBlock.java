package io.dyups.parser;

import static java.util.Objects.requireNonNull;

import java.util.List;
import javax.annotation.CheckForNull;

/**
 * One upstream: its name, balancing method, servers (in the order written), keepalive settings and zone.
 * Immutable; equal blocks write out the same text.
 *
 * @param zone the {@code zone} directive, or {@code null} when there is none
 */
public record UpstreamBlock(
    String name,
    Balancing balancing,
    List<ServerSpec> servers,
    KeepaliveSettings keepalive,
    @CheckForNull Zone zone) {

  public UpstreamBlock {
    requireNonNull(name, "name");
    requireNonNull(balancing, "balancing");
    servers = List.copyOf(servers);
    requireNonNull(keepalive, "keepalive");
  }
}
