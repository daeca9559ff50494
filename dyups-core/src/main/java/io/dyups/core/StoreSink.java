package io.dyups.core;

import java.util.Collection;

/**
 * Where an {@link UpstreamStore} delivers the state it holds: the registry it was {@linkplain UpstreamStore#open
 * opened} for. Each call publishes its changes to the registry's readers and tells its listeners, as a local
 * change does; a server whose line did not change keeps its live state (failures, connections, health). A call
 * that changes nothing (the same definition at the same version) tells no listener.
 *
 * <p>A store calls these from one thread at a time (its own order is the order of the changes), never while
 * holding a lock that {@link UpstreamStore#commit} waits for. Thread-safe.
 */
public interface StoreSink {
  /**
   * Publishes {@code upstream}: creates it, or replaces the upstream of the same name (compared ignoring ASCII
   * case), which keeps its spelling.
   *
   * @throws NullPointerException if {@code upstream} is null
   */
  void put(StoredUpstream upstream);

  /**
   * Deletes the upstream called {@code name} (compared ignoring ASCII case); nothing when there is none.
   *
   * @throws NullPointerException if {@code name} is null
   */
  void remove(String name);

  /**
   * Makes the registry hold exactly {@code upstreams}, changing only what differs: an upstream at the same version
   * with the same definition is left as it is, one whose version alone differs takes the new version and keeps
   * everything else, and names not in {@code upstreams} are deleted. A store calls this with its whole state when it
   * opens and after it may have missed changes (a new ZooKeeper session, for one).
   *
   * @throws NullPointerException if {@code upstreams} or an element is null
   * @throws IllegalArgumentException if two of {@code upstreams} have the same name
   */
  void replaceAll(Collection<StoredUpstream> upstreams);
}
