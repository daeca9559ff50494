package io.dyups.core;

import static java.util.Objects.requireNonNull;

import io.dyups.parser.ServerSpec;

/**
 * One {@code server} line of an upstream with the id the registry names it by, as NGINX Plus's upstream API does
 * ({@code /api/N/http/upstreams/NAME/servers/ID}): addresses need not be unique in an upstream, ids are.
 *
 * <p>An id is a non-negative {@code int} that depends only on the server's address and on the servers written
 * before it with the same address (see {@link Upstream#servers()}), so it is the same on every instance that holds
 * the upstream, after a restart, after a whole-upstream update that keeps the server, and after a change of the
 * server's other parameters.
 *
 * @param id the server's id in its upstream
 * @param spec the server line
 */
public record UpstreamServer(int id, ServerSpec spec) {
  /**
   * @throws IllegalArgumentException if {@code id} is negative
   * @throws NullPointerException if {@code spec} is null
   */
  public UpstreamServer {
    if (id < 0) {
      throw new IllegalArgumentException("id must be >= 0: " + id);
    }
    requireNonNull(spec, "spec");
  }
}
