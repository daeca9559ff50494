package io.dyups.core;

import io.dyups.parser.UpstreamBlock;
import java.io.IOException;
import java.util.List;

/**
 * Where a registry keeps its upstreams, and how it learns of changes made elsewhere. The registry asks its store
 * to {@linkplain #commit commit} every change; a change is visible to the registry's readers only once the store
 * accepted it, and the store delivers it (and every change other registries made through the same store) to the
 * registry's {@link StoreSink}.
 *
 * <p>Two stores come with dyups: the persistence file ({@link UpstreamRegistry.Builder#persistenceFile}, one
 * registry, durable through a journal beside the file), and ZooKeeper (module {@code io.dyups.zookeeper}, many
 * registries in agreement). Without either, a registry keeps its upstreams in memory only. Another store (etcd,
 * a database) implements this interface; its contract:
 *
 * <ul>
 *   <li><b>Versions</b> come from the store: positive, each larger than every one the store gave before, the same
 *       on every registry for the same definition (see {@link StoredUpstream#version()}).
 *   <li><b>Order</b>: {@link StoredUpstream#order()} is given at creation and kept on replacement.
 *   <li><b>Commit</b> makes the change only when the upstream is at {@link StoreChange#expectedVersion()} (checked
 *       by the store, atomically with the change), and before it returns with {@link Result.Kind#SUCCESS} it has
 *       delivered the change, or a later state of the same upstream, to the sink: a caller reads its own writes.
 *   <li><b>Delivery</b>: changes reach the sink one at a time, in the store's order for each upstream; a store
 *       that may have missed changes delivers its whole state with {@link StoreSink#replaceAll}.
 *   <li><b>Failure</b>: a store that cannot reach its data refuses changes with {@link Result.Kind#UNAVAILABLE}
 *       and changes nothing; the registry goes on serving the upstreams it holds.
 * </ul>
 *
 * <p>One store serves one registry. Implementations are thread-safe: {@link #commit} is called from any thread,
 * at the same time as the store delivers changes.
 */
public interface UpstreamStore extends AutoCloseable {
  /**
   * The upstreams a registry starts from when its store holds no state yet: those of its configuration files
   * ({@link UpstreamRegistry.Builder#load}), read only when the store asks.
   */
  @FunctionalInterface
  interface Seed {
    /**
     * The upstreams, in the order written.
     *
     * @throws IOException when a file cannot be read
     * @throws io.dyups.parser.ConfigSyntaxException when a file does not parse
     */
    List<UpstreamBlock> upstreams() throws IOException;
  }

  /**
   * Starts the store for {@code sink}'s registry: before it returns, it gives the sink the upstreams it holds
   * ({@link StoreSink#replaceAll}); from then on, every change made elsewhere. A store that holds no state yet
   * takes the upstreams of {@code seed} as its first state. Called once, by {@link UpstreamRegistry.Builder#build}.
   *
   * @throws IOException when the store's data cannot be read; no registry is built
   * @throws io.dyups.parser.ConfigSyntaxException when the store's data, or the seed, is not valid configuration
   */
  void open(StoreSink sink, Seed seed) throws IOException;

  /**
   * Commits {@code change}: makes it durable (or agreed) if the upstream is at the expected version, delivers it
   * to the sink, and returns {@link Result#success}-like result with the new version ({@link UpstreamRegistry#ABSENT}
   * after a deletion). Otherwise returns why not, having changed nothing: {@link Result.Kind#NOT_FOUND} (deleting
   * what does not exist), {@link Result.Kind#VERSION_CONFLICT} (with the version found), {@link
   * Result.Kind#TOO_LARGE}, {@link Result.Kind#LOCKED}, {@link Result.Kind#UNAVAILABLE} or {@link
   * Result.Kind#FAILED}. Never throws for a failure of the store.
   */
  Result commit(StoreChange change);

  /** What the store is doing now. */
  StoreStatus status();

  /** Stops delivering changes and releases what the store holds (files, connections). Idempotent. */
  @Override
  void close();
}
