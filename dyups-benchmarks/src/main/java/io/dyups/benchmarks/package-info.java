/**
 * JMH benchmarks of dyups against its peers (Armeria's endpoint selection, nginxparser), and the footprint and
 * visibility probes; how to run them and the latest figures are in {@code BENCHMARKS.md}. Start at {@code
 * PickBenchmark} (a pick and its release), {@code UpdateBenchmark} (a change) and {@code ParseBenchmark}.
 *
 * <p>Nothing in this package is null unless marked {@code @Nullable}.
 */
@NullMarked
package io.dyups.benchmarks;

import org.jspecify.annotations.NullMarked;
