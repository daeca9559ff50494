package io.dyups.core;

import static java.util.Objects.requireNonNull;

import io.dyups.parser.UpstreamBlock;
import org.jspecify.annotations.Nullable;

/**
 * One change a registry asks its {@link UpstreamStore} to commit: the upstream {@code name} becomes {@code
 * definition}, or is deleted when {@code definition} is null. The registry has checked everything it can check
 * alone (the name, the commands, the limits) before it asks.
 *
 * @param name the name the caller gave; names compare ignoring ASCII case ({@link #key()}), and an upstream that
 *     exists keeps the spelling it was created with
 * @param definition the new definition, named {@code name}; null for a deletion
 * @param expectedVersion the version the upstream must be at for the change to be made ({@link
 *     UpstreamRegistry#ABSENT}: it must not exist), or {@link #ANY_VERSION}
 */
public record StoreChange(String name, @Nullable UpstreamBlock definition, long expectedVersion) {
  /** As {@link #expectedVersion()}: the change is made whatever the upstream's version. */
  public static final long ANY_VERSION = -1;

  /**
   * @throws NullPointerException if {@code name} is null
   * @throws IllegalArgumentException if {@code expectedVersion} is below {@link #ANY_VERSION}
   */
  public StoreChange {
    requireNonNull(name, "name");
    if (expectedVersion < ANY_VERSION) {
      throw new IllegalArgumentException("expectedVersion must be >= -1: " + expectedVersion);
    }
  }

  /** The name as upstreams are compared: {@link UpstreamBlock#foldName}{@code (name)}. */
  public String key() {
    return UpstreamBlock.foldName(name);
  }

  /** True when the change deletes the upstream. */
  public boolean isDelete() {
    return definition == null;
  }

  /** True when the change is made only at {@link #expectedVersion()}. */
  public boolean isConditional() {
    return expectedVersion != ANY_VERSION;
  }

  /** True when {@code current} (null: the upstream does not exist) is at the version this change expects. */
  public boolean expects(@Nullable StoredUpstream current) {
    return !isConditional() || expectedVersion == (current == null ? UpstreamRegistry.ABSENT : current.version());
  }
}
