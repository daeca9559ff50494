package io.dyups.core;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * What a registry's {@link UpstreamStore} is doing, for operators: the admin interface shows it.
 *
 * @param store what kind of store, such as {@code file}, {@code memory} or {@code zookeeper}
 * @param available true when the store accepts changes now; when false, changes are refused with {@link
 *     Result.Kind#UNAVAILABLE} and the registry goes on serving what it holds
 * @param state the store's own word for its state, such as {@code connected}, {@code suspended} or {@code lost}
 * @param detail where the store keeps its state (a path, a connection string and root path)
 * @param lastVersion the version of the last change applied to the registry from the store ({@link
 *     UpstreamRegistry#ABSENT} before the first)
 * @param lastChangeAt when that change was applied, or null before the first
 * @param pendingChanges changes the store has heard of and not yet applied: how far behind the registry is
 * @param behindMillis how long the oldest of those has waited, in milliseconds (0 when none waits)
 */
public record StoreStatus(
    String store,
    boolean available,
    String state,
    String detail,
    long lastVersion,
    @Nullable Instant lastChangeAt,
    long pendingChanges,
    long behindMillis) {
  /**
   * @throws NullPointerException if {@code store}, {@code state} or {@code detail} is null
   */
  public StoreStatus {
    requireNonNull(store, "store");
    requireNonNull(state, "state");
    requireNonNull(detail, "detail");
  }
}
