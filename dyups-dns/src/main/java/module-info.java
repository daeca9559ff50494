/**
 * A DNS client for the host names of dyups's upstreams: {@link io.dyups.dns.DnsHostResolver}, an {@link
 * io.dyups.core.HostResolver} on Netty's DNS codec that asks the servers of nginx's {@code resolver} directive and
 * gives each answer's TTL. Start at {@link io.dyups.dns.DnsHostResolver}.
 */
module io.dyups.dns {
  requires static transitive org.jspecify;
  requires transitive io.dyups.core;
  requires io.netty.buffer;
  requires io.netty.codec.dns;
  requires io.netty.common;
  requires io.netty.resolver.dns;
  requires io.netty.transport;

  exports io.dyups.dns;
}
