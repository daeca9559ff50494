/**
 * Micrometer meters for the upstreams of a dyups registry: start at {@link io.dyups.micrometer.UpstreamMetrics}, a
 * {@code MeterBinder} over the public {@code io.dyups.core} API.
 */
// Micrometer is an automatic module (micrometer.core, named in its manifest); transitive all the same, since
// UpstreamMetrics is a MeterBinder and its users hold a MeterRegistry.
@SuppressWarnings("requires-transitive-automatic")
module io.dyups.micrometer {
  requires static transitive org.jspecify;
  requires transitive io.dyups.core;
  requires transitive micrometer.core;

  exports io.dyups.micrometer;
}
