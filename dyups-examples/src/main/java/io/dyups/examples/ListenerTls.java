package io.dyups.examples;

import io.dyups.examples.ProxyConfig.VirtualServer;
import io.dyups.parser.ConfigSyntaxException;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.handler.ssl.SniHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.DomainWildcardMappingBuilder;
import io.netty.util.Mapping;
import java.util.IdentityHashMap;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The TLS of one listening socket ({@code listen ... ssl}): the first handler of each accepted connection. When
 * the servers sharing the socket have certificates of their own, the client's SNI name picks the server's
 * (exact names and {@code *.example.com} wildcards), and the default server's answers otherwise, as nginx's
 * {@code ngx_http_ssl_servername} switches contexts. Thread-safe.
 */
final class ListenerTls {
  private final ServerTls defaultTls;
  @Nullable private final Mapping<String, SslContext> byName;
  private final IdentityHashMap<SslContext, ServerTls> byContext = new IdentityHashMap<>();

  private ListenerTls(ServerTls defaultTls, @Nullable Mapping<String, SslContext> byName) {
    this.defaultTls = defaultTls;
    this.byName = byName;
  }

  /**
   * The TLS of the socket {@code servers} share, or null when none of them listens with {@code ssl}.
   *
   * @throws ConfigSyntaxException when the default server has no certificate, as nginx refuses it
   */
  @Nullable
  static ListenerTls of(List<VirtualServer> servers, VirtualServer defaultServer) {
    if (servers.stream().noneMatch(VirtualServer::ssl)) {
      return null;
    }
    if (defaultServer.tls() == null) {
      throw new ConfigSyntaxException(
          "no \"ssl_certificate\" is defined for the \"listen ... ssl\" directive", defaultServer.position());
    }
    boolean several = servers.stream().anyMatch(s -> s.tls() != null && s.tls() != defaultServer.tls());
    if (!several) {
      return new ListenerTls(defaultServer.tls(), null);
    }
    DomainWildcardMappingBuilder<SslContext> names = new DomainWildcardMappingBuilder<>(
        defaultServer.tls().context());
    for (VirtualServer server : servers) {
      if (server.tls() != null) {
        for (String name : server.names()) {
          if (!name.isEmpty() && !name.equals("_")) {
            names.add(name.startsWith(".") ? "*" + name : name, server.tls().context());
          }
        }
      }
    }
    ListenerTls tls = new ListenerTls(defaultServer.tls(), names.build());
    for (VirtualServer server : servers) {
      if (server.tls() != null) {
        tls.byContext.put(server.tls().context(), server.tls());
      }
    }
    return tls;
  }

  /** The first handler of a connection accepted on this socket. */
  ChannelHandler newHandler(Channel channel) {
    if (byName == null) {
      return defaultTls.newHandler(channel);
    }
    return new SniHandler(byName) {
      @Override
      protected SslHandler newSslHandler(SslContext context, ByteBufAllocator allocator) {
        ServerTls tls = byContext.getOrDefault(context, defaultTls);
        return tls.newHandler(channel);
      }
    };
  }
}
