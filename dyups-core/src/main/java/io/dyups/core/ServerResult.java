package io.dyups.core;

import static java.util.Objects.requireNonNull;

import org.jspecify.annotations.Nullable;

/**
 * What a change to one server came to: the change's {@link Result} (its kind, status, message and the upstream's
 * new version) and the server it concerned.
 *
 * @param result the outcome, as for a whole-upstream change
 * @param server after success, the server as added or changed, with its id (an id can differ from the one asked
 *     for when the address changed), or as it was before it was removed; null when the change was not made
 */
public record ServerResult(Result result, @Nullable UpstreamServer server) {
  /**
   * @throws NullPointerException if {@code result} is null
   * @throws IllegalArgumentException if {@code server} is given for a change not made, or missing for one made
   */
  public ServerResult {
    requireNonNull(result, "result");
    if (result.isSuccess() != (server != null)) {
      throw new IllegalArgumentException("a server comes with a change made, and only with one: " + result);
    }
  }

  /** True when the change was made. */
  public boolean isSuccess() {
    return result.isSuccess();
  }

  static ServerResult failed(Result result) {
    return new ServerResult(result, null);
  }
}
