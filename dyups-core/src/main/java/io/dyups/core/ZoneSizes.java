package io.dyups.core;

import io.dyups.parser.UpstreamBlock;
import io.dyups.parser.Zone;
import org.jspecify.annotations.Nullable;

/**
 * Keeps the registry's upstreams loadable as nginx loads a configuration with {@code zone}: a shared memory zone
 * may be named by many upstreams, with one size given at least once ({@code ngx_shared_memory_add}: a second size
 * conflicts; {@code ngx_init_cycle}: a zone never sized is {@code zero size shared memory zone}). A change that
 * would leave the registry in a state its own file could not load again is refused in those words. Only changes
 * that name a zone, or remove one, look at the other upstreams.
 */
final class ZoneSizes {
  private ZoneSizes() {}

  /**
   * What is wrong with the registry after {@code old} becomes {@code definition}, or null when nothing is.
   *
   * @param upstreams every upstream now in the registry, {@code old} among them
   * @param old the upstream the change replaces or deletes, or null
   * @param definition what it becomes, or null for a delete
   */
  static @Nullable String problem(
      Iterable<Upstream> upstreams, @Nullable Upstream old, @Nullable UpstreamBlock definition) {
    Zone named = definition == null ? null : definition.zone();
    Zone left = old == null ? null : old.definition().zone();
    if (named != null) {
      long declared = declaredSize(upstreams, old, named.name());
      if (named.size() != 0 && declared != 0 && declared != named.size()) {
        return "the size " + named.size() + " of shared memory zone \"" + named.name()
            + "\" conflicts with already declared size " + declared;
      }
      if (named.size() == 0 && declared == 0) {
        return "zero size shared memory zone \"" + named.name() + "\"";
      }
    }
    if (old != null && left != null && left.size() != 0 && (named == null || !named.name().equals(left.name()))
        && declaredSize(upstreams, old, left.name()) == 0) {
      Upstream unsized = firstUnsized(upstreams, old, left.name());
      if (unsized != null) {
        return "zero size shared memory zone \"" + left.name() + "\": upstream \"" + unsized.name()
            + "\" names it without a size, and \"" + old.name() + "\" would no longer give one";
      }
    }
    return null;
  }

  // The size the other upstreams give the zone (0: none gives one).
  private static long declaredSize(Iterable<Upstream> upstreams, @Nullable Upstream old, String zone) {
    for (Upstream upstream : upstreams) {
      Zone other = upstream.definition().zone();
      if (upstream != old && other != null && other.name().equals(zone) && other.size() != 0) {
        return other.size();
      }
    }
    return 0;
  }

  private static @Nullable Upstream firstUnsized(Iterable<Upstream> upstreams, @Nullable Upstream old, String zone) {
    for (Upstream upstream : upstreams) {
      Zone other = upstream.definition().zone();
      if (upstream != old && other != null && other.name().equals(zone)) {
        return upstream;
      }
    }
    return null;
  }
}
