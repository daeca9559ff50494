/**
 * Many registries, one set of upstreams: a {@link io.dyups.core.UpstreamStore} on Apache ZooKeeper.
 *
 * <h2>Where to start</h2>
 *
 * <ul>
 *   <li>{@link io.dyups.zookeeper.ZooKeeperStore}: build one with its {@code Builder} (the ensemble, the root path,
 *       the local cache file) and give it to {@code UpstreamRegistry.Builder.store}.
 * </ul>
 *
 * <h2>Data in ZooKeeper</h2>
 *
 * <p>One znode per upstream under the root path (default {@code /dyups/upstreams}), named by the upstream's name
 * as names compare (ASCII letters lower-cased, and {@code %XX} for characters ZooKeeper refuses in a path), holding the upstream as
 * nginx configuration ({@code upstream Name {...}}, with the name as first written). An operator reads it with
 * {@code zkCli.sh get /dyups/upstreams/backend}. The version of an upstream is its znode's {@code mzxid}, its place in
 * a listing its {@code czxid}: both the same on every instance.
 *
 * <p>Nothing in this package is null unless marked {@code @Nullable}.
 */
@NullMarked
package io.dyups.zookeeper;

import org.jspecify.annotations.NullMarked;
