package io.dyups.examples;

import io.netty.channel.Channel;
import io.netty.handler.ssl.SslHandler;
import java.util.Map;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLSession;
import org.jspecify.annotations.Nullable;

/**
 * nginx's SSL module variables of a client connection (ngx_http_ssl_module.c), found on connections accepted by a
 * {@code listen ... ssl} socket: {@code $https} ({@code on} or empty), {@code $ssl_protocol}, {@code $ssl_cipher}
 * (OpenSSL's name, as nginx gives it), {@code $ssl_server_name} and {@code $ssl_session_reused} ({@code r} or
 * {@code .}). On a plain connection each is not found, except {@code $https}, which is empty.
 */
final class TlsVariables {
  private TlsVariables() {}

  static final Map<String, Variable> VARIABLES = Map.of(
      "https", (out, e) -> {
        if (session(e) != null) {
          out.append("on");
        }
        return true;
      },
      "ssl_protocol", (out, e) -> {
        SSLSession session = session(e);
        if (session == null) {
          return false;
        }
        out.append(session.getProtocol());
        return true;
      },
      "ssl_cipher", (out, e) -> {
        SSLSession session = session(e);
        if (session == null) {
          return false;
        }
        String openSsl = io.netty.handler.ssl.CipherSuiteConverter.toOpenSsl(session.getCipherSuite(), false);
        out.append(openSsl != null ? openSsl : session.getCipherSuite());
        return true;
      },
      "ssl_server_name", (out, e) -> {
        SSLSession session = session(e);
        if (!(session instanceof ExtendedSSLSession extended)) {
          return false;
        }
        for (SNIServerName name : extended.getRequestedServerNames()) {
          if (name instanceof SNIHostName host) {
            out.append(host.getAsciiName());
            return true;
          }
        }
        return false;
      },
      "ssl_session_reused", (out, e) -> {
        Channel channel = e.connection.channel();
        SslHandler handler = channel.pipeline().get(SslHandler.class);
        if (handler == null) {
          return false;
        }
        out.append(ServerTls.reused(handler, channel) ? 'r' : '.');
        return true;
      });

  /** Whether the request came over TLS ($scheme). */
  static boolean isTls(Exchange exchange) {
    return exchange.connection.channel().pipeline().get(SslHandler.class) != null;
  }

  @Nullable
  private static SSLSession session(Exchange exchange) {
    SslHandler handler = exchange.connection.channel().pipeline().get(SslHandler.class);
    return handler == null || !handler.handshakeFuture().isSuccess() ? null : handler.engine().getSession();
  }
}
