package io.dyups.core;

import java.util.Collection;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The upstreams that carry a {@code check} directive, by registry key, so that the {@link HealthChecker} walks
 * them without scanning every upstream. Written by the registry's writer as upstreams are published and deleted;
 * read by the checker without a lock.
 */
final class HealthCheckIndex {
  private final ConcurrentHashMap<String, Upstream> checked = new ConcurrentHashMap<>();

  /** Records that {@code key} is now {@code upstream}: indexed when it has a check, dropped when not. */
  void published(String key, Upstream upstream) {
    if (upstream.definition().healthCheck() != null) {
      checked.put(key, upstream);
    } else {
      checked.remove(key);
    }
  }

  void deleted(String key) {
    checked.remove(key);
  }

  /** The upstreams with a check, as a live view. */
  Collection<Upstream> upstreams() {
    return checked.values();
  }
}
