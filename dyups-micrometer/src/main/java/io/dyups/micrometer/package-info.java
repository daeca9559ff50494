/**
 * Micrometer meters for dyups's upstreams.
 *
 * <h2>Where to start</h2>
 *
 * <p>{@link io.dyups.micrometer.UpstreamMetrics#of}, bound to a {@code MeterRegistry}: every peer of every upstream
 * gets meters for NGINX Plus's per-peer statistics ({@link io.dyups.core.PeerStatistics}), added and removed as
 * upstreams and servers come and go.
 *
 * <p>Nothing in this package is null unless marked {@code @Nullable}.
 */
@NullMarked
package io.dyups.micrometer;

import org.jspecify.annotations.NullMarked;
