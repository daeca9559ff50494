package io.dyups.core;

import static java.util.Objects.requireNonNull;

import io.dyups.parser.UpstreamBlock;

/**
 * One upstream as a {@link UpstreamStore} holds it: its definition, its version and its place in the listing.
 *
 * @param definition the upstream block; its {@link UpstreamBlock#name() name} is the name as first written (names
 *     compare ignoring ASCII case, see {@link UpstreamBlock#foldName})
 * @param version the version of this definition, given by the store: positive, and larger than the version of
 *     every definition of any upstream that the store accepted before it (so a version is never reused, even by a
 *     name deleted and created again). Every registry on the same store publishes the same version for the same
 *     definition: it is the {@code ETag} of the admin interface.
 * @param order where the upstream stands in a listing: upstreams list in increasing order. Given when the name
 *     is created and kept while it is replaced, so a listing is in order of creation, the same on every registry
 *     on the same store.
 */
public record StoredUpstream(UpstreamBlock definition, long version, long order) {
  /**
   * @throws NullPointerException if {@code definition} is null
   * @throws IllegalArgumentException if {@code version} is not positive
   */
  public StoredUpstream {
    requireNonNull(definition, "definition");
    if (version <= 0) {
      throw new IllegalArgumentException("version must be > 0: " + version);
    }
  }

  /** The name as first written: {@code definition().name()}. */
  public String name() {
    return definition.name();
  }
}
