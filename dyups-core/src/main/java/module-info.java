/**
 * The registry of dyups: named upstreams created, replaced, deleted, found and listed while traffic flows, and
 * nginx's balancing algorithms over their peers. Start at {@link io.dyups.core.UpstreamRegistry}. Depends on the
 * parser and Guava only; the admin interface is the separate module {@code io.dyups.admin}.
 */
module io.dyups.core {
  requires static transitive org.jspecify;
  requires transitive io.dyups.parser;
  requires com.google.common;

  exports io.dyups.core;
}
