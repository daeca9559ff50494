/**
 * A DNS client for dyups's host names.
 *
 * <h2>Where to start</h2>
 *
 * <p>{@link io.dyups.dns.DnsHostResolver#create()}, given to {@link
 * io.dyups.core.UpstreamRegistry.Builder#hostResolver}: names with {@code resolve} are then looked up with the
 * servers of their upstream's {@code resolver} directive (or the registry's), and looked up again when the TTL of
 * their answer runs out.
 *
 * <p>Nothing in this package is null unless marked {@code @Nullable}.
 */
@NullMarked
package io.dyups.dns;

import org.jspecify.annotations.NullMarked;
