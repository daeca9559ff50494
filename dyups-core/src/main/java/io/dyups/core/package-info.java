/**
 * The registry of upstreams and the balancing of requests over their peers.
 *
 * <h2>Where to start</h2>
 *
 * <ul>
 *   <li>{@link io.dyups.core.UpstreamRegistry}: build one with its {@code Builder}, change it with {@code
 *       updateUpstream} and {@code deleteUpstream} (each answers a {@link io.dyups.core.Result}), read it with
 *       {@code find}, {@code list} and {@code detail}; {@link io.dyups.core.UpstreamListener}s hear of every
 *       change.
 *   <li>{@link io.dyups.core.Upstream}: one published upstream, its definition and its {@link
 *       io.dyups.core.PeerGroup}.
 *   <li>{@link io.dyups.core.PeerSelection}: picks a {@link io.dyups.core.Peer} for one request as nginx does and
 *       takes the request's outcome back.
 *   <li>{@link io.dyups.core.HealthChecker}: Tengine's active health checks over the registry's upstreams.
 *   <li>{@link io.dyups.core.UpstreamStore}: where a registry keeps its upstreams (memory, the persistence file
 *       through {@link io.dyups.core.UpstreamFile}, or a store shared by many registries such as ZooKeeper).
 *   <li>{@link io.dyups.core.HostResolver}: how servers written with a host name are looked up (one peer per
 *       address, names with {@code resolve} looked up again as their TTLs run out); {@link
 *       io.dyups.core.Upstream#hosts()} says what each name resolves to now.
 * </ul>
 *
 * <h2>Threading model</h2>
 *
 * <p><b>Lookup takes no lock.</b> {@code find} is one read of a concurrent map; {@code list} and {@code detail}
 * read without a lock and are made consistent by the registry's change counter (a listing retried when a change
 * ran while it read, and taken under the write lock only when changes keep landing). What a reader gets is an
 * immutable snapshot: an {@code Upstream} never changes after it is published.
 *
 * <p><b>The store commits, then the registry publishes.</b> A writer parses and checks the change without a lock,
 * then hands it to the registry's {@link io.dyups.core.UpstreamStore}, which makes it durable (a journal record
 * forced to disk) or agreed (a conditional ZooKeeper write) and delivers it to the registry's
 * {@link io.dyups.core.StoreSink}, one change at a time; changes made through other registries on a shared store
 * arrive the same way. Publishing takes the registry's write lock: it builds the new {@code PeerGroup} (peers,
 * weight tables, the state of every worker that picked from the generation it replaces) and publishes the new
 * {@code Upstream} with one map write. Nothing in a change walks the other upstreams, so an update costs the same
 * with 100 or 100,000 of them (the persistence file's journal is folded in the background). Listeners are told
 * after the lock is released, on the registry's own thread, in the order of the changes.
 *
 * <p><b>Host names are looked up before the lock, never on a pick.</b> A change looks the names it needs up
 * before it takes the write lock (a slow DNS server holds up only that change); a name with {@code resolve} is
 * looked up again on the registry's own timer thread, and its new addresses are published as a new group, the
 * same version, under the write lock like any change. A {@code Peer}'s socket address is made when it is built.
 *
 * <p><b>One worker's lock is held for a pick.</b> As nginx keeps a copy of an upstream without {@code zone} in
 * each worker process, a group keeps its balancing state once per <i>worker</i> (by default one per processor). A
 * {@code PeerSelection} picks through one worker, chosen by a per-thread probe;
 * {@code next()}, {@code succeeded()} and {@code failed()} hold that worker's small spin lock for a few dozen loads
 * and stores, allocate nothing, and read the clock only when an answer depends on it. Threads on different workers
 * never wait for each other; threads that collide move to another worker. An upstream with {@code zone} has one
 * worker shared by every thread, so its order of picks and its counts are exact across threads.
 *
 * <p><b>A generation hands over to the next.</b> Each update publishes a new group (a generation). A server whose
 * line did not change keeps its state: its counters in each worker (weights, connections, failures) and its health
 * verdict carry over into the new generation, so requests still running on the old group release into the same
 * counters the new group picks from. A worker's state for the new generation is made by the writer for every worker
 * that had one in the old generation (otherwise on the worker's first pick); when it is made, the old generation's
 * worker writes its round-robin weights out and stops following its precomputed cycle, so the two generations
 * never step the same weights two ways. The health fields shared by every worker are guarded by the group's shared
 * lock, always taken before a worker's lock.
 *
 * <p>Nothing in this package is null unless marked {@code @Nullable}.
 */
@NullMarked
package io.dyups.core;

import org.jspecify.annotations.NullMarked;
