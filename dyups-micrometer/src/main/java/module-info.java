/**
 * Micrometer meters for the upstreams of a dyups registry: start at {@link io.dyups.micrometer.UpstreamMetrics}, a
 * {@code MeterBinder} over the public {@code io.dyups.core} API.
 */
module io.dyups.micrometer {
  requires static transitive org.jspecify;
  requires transitive io.dyups.core;
  requires transitive micrometer.core;

  exports io.dyups.micrometer;
}
