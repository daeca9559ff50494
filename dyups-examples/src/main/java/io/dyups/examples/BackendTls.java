package io.dyups.examples;

import io.dyups.parser.ConfigSyntaxException;
import io.dyups.parser.SourcePosition;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.util.NetUtil;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSessionContext;
import org.jspecify.annotations.Nullable;

/**
 * TLS toward backends for {@code proxy_pass https://}: one client context per distinct set of {@code proxy_ssl_*}
 * settings (locations with the same settings share it, and so their sessions), on the JDK's provider.
 *
 * <p><b>Sessions belong to peers.</b> nginx keeps one saved session in each upstream peer
 * ({@code ngx_http_upstream_save_round_robin_peer_session}). The JDK keeps client sessions in the context, keyed by
 * the engine's peer host and port; here the peer host is the session key {@code NAME\nUPSTREAM\nADDRESS}: the
 * {@code proxy_ssl_name} the session was verified for, the upstream and the peer's address, and the port is the
 * peer's. So a session is resumed only with the peer that made it (two upstreams naming one address each have
 * their own), a peer kept across an update keeps it, and {@link #forget} frees the sessions of peers an update
 * removed or of a deleted upstream. The JDK takes no SNI from such a host (it is not a host name): the server name
 * is set explicitly, as {@code proxy_ssl_server_name} says. With {@code proxy_ssl_session_reuse off} every engine
 * gets a key of its own, so nothing is ever resumed.
 *
 * <p>Thread-safe: the context is shared by every event loop.
 */
final class BackendTls {
  /** The settings a context is made of; equal settings share one context. */
  record Spec(boolean sessionReuse, boolean verify, int verifyDepth, @Nullable Path trustedCertificate,
      List<String> protocols, String ciphers, @Nullable Path certificate, @Nullable Path certificateKey) {}

  private static final char SEPARATOR = '\n';
  private static final AtomicLong IDS = new AtomicLong();

  /** Tells contexts apart (a pooled connection serves only requests of its own context). */
  final long id = IDS.incrementAndGet();

  private final SslContext context;
  private final boolean sessionReuse;
  private final AtomicLong unshared = new AtomicLong();

  private BackendTls(SslContext context, boolean sessionReuse) {
    this.context = context;
    this.sessionReuse = sessionReuse;
  }

  /**
   * Makes the context, reading the certificate files now.
   *
   * @throws ConfigSyntaxException with nginx's start-up message (a file that cannot be read, a missing key, an
   *     unknown cipher), at {@code at}
   */
  static BackendTls create(Spec spec, SourcePosition at) {
    SslContextBuilder builder = SslContextBuilder.forClient()
        .sslProvider(SslProvider.JDK)
        // Names are checked by PeerVerifier, against proxy_ssl_name, as nginx checks them.
        .endpointIdentificationAlgorithm(null)
        .protocols(TlsOptions.supported(spec.protocols(), at));
    try {
      List<String> ciphers = TlsOptions.ciphers(spec.ciphers());
      if (ciphers != null) {
        builder.ciphers(ciphers);
      }
    } catch (IllegalArgumentException e) {
      throw new ConfigSyntaxException(String.valueOf(e.getMessage()), at);
    }
    try {
      if (spec.verify()) {
        if (spec.trustedCertificate() == null) {
          throw new ConfigSyntaxException("no proxy_ssl_trusted_certificate for proxy_ssl_verify", at);
        }
        builder.trustManager(new PeerVerifier(PemFiles.certificates(spec.trustedCertificate()),
            spec.verifyDepth()));
      } else {
        builder.trustManager(InsecureTrustManagerFactory.INSTANCE);
      }
      if (spec.certificate() != null) {
        if (spec.certificateKey() == null) {
          throw new ConfigSyntaxException("no \"proxy_ssl_certificate_key\" is defined for certificate \""
              + spec.certificate() + "\"", at);
        }
        List<X509Certificate> chain = PemFiles.certificates(spec.certificate());
        PrivateKey key = PemFiles.privateKey(spec.certificateKey());
        builder.keyManager(key, chain);
      }
    } catch (PemFiles.PemException e) {
      throw new ConfigSyntaxException(String.valueOf(e.getMessage()), at);
    }
    if (!spec.sessionReuse()) {
      // Every engine has a key of its own: nothing to keep beyond the one just made.
      builder.sessionCacheSize(1);
    }
    try {
      return new BackendTls(builder.build(), spec.sessionReuse());
    } catch (javax.net.ssl.SSLException | IllegalArgumentException e) {
      throw new ConfigSyntaxException("cannot create the TLS context toward backends: " + e.getMessage(), at);
    }
  }

  /**
   * A client handler for a connection to {@code address}, peer of {@code upstream}.
   *
   * @param sslName proxy_ssl_name's value for this request, port stripped (as ngx_http_upstream_ssl_name)
   * @param serverName proxy_ssl_server_name: send {@code sslName} as SNI (never an IP literal, RFC 6066)
   * @param handshakeMillis proxy_connect_timeout, which bounds the handshake as in nginx
   */
  SslHandler newHandler(ByteBufAllocator alloc, String sslName, boolean serverName, String upstream,
      InetSocketAddress address, long handshakeMillis) {
    String key = sslName + SEPARATOR + upstream + SEPARATOR + peerKey(address);
    if (!sessionReuse) {
      key = key + SEPARATOR + unshared.incrementAndGet();
    }
    SSLEngine engine = context.newEngine(alloc, key, address.getPort());
    SSLParameters parameters = engine.getSSLParameters();
    List<SNIServerName> names = Collections.emptyList();
    if (serverName && !sslName.isEmpty() && !NetUtil.isValidIpV4Address(sslName)
        && !NetUtil.isValidIpV6Address(sslName)) {
      try {
        names = List.of(new SNIHostName(sslName));
      } catch (IllegalArgumentException e) {
        // Not a host name SNI can carry: none is sent, as OpenSSL would refuse it too.
      }
    }
    parameters.setServerNames(names);
    engine.setSSLParameters(parameters);
    SslHandler handler = new SslHandler(engine);
    handler.setHandshakeTimeoutMillis(Math.max(1, handshakeMillis));
    return handler;
  }

  /** The proxy_ssl_name part of a session key (what {@link PeerVerifier} checks the certificate against). */
  static String sslName(@Nullable String key) {
    if (key == null) {
      return "";
    }
    int end = key.indexOf(SEPARATOR);
    return end < 0 ? key : key.substring(0, end);
  }

  /** How a peer's socket address is written in session keys: {@code 127.0.0.1:8443}, {@code [::1]:8443}. */
  static String peerKey(SocketAddress address) {
    if (address instanceof InetSocketAddress inet) {
      String host = inet.getAddress() == null ? inet.getHostString()
          : inet.getAddress() instanceof java.net.Inet6Address ? "[" + inet.getAddress().getHostAddress() + "]"
          : inet.getAddress().getHostAddress();
      return host + ":" + inet.getPort();
    }
    return String.valueOf(address);
  }

  /**
   * Frees the saved sessions of {@code upstream}'s peers whose {@link #peerKey} is not in {@code kept} (all of them
   * for an empty set): the upstream was changed without them, or deleted.
   */
  void forget(String upstream, Set<String> kept) {
    SSLSessionContext sessions = context.sessionContext();
    List<SSLSession> doomed = new ArrayList<>();
    for (byte[] id : Collections.list(sessions.getIds())) {
      SSLSession session = sessions.getSession(id);
      if (session == null || session.getPeerHost() == null) {
        continue;
      }
      String[] parts = session.getPeerHost().split(String.valueOf(SEPARATOR), -1);
      if (parts.length >= 3 && parts[1].equals(upstream) && !kept.contains(parts[2])) {
        doomed.add(session);
      }
    }
    for (SSLSession session : doomed) {
      session.invalidate();
    }
  }

  /** Saved sessions; for tests. */
  int savedSessions() {
    return Collections.list(context.sessionContext().getIds()).size();
  }

  /** Whether a failed handshake ran out of time (proxy_connect_timeout). */
  static boolean isTimeout(Throwable cause) {
    return cause instanceof SslHandshakeTimeoutException;
  }

  /**
   * nginx's error-log words for a failed handshake, without " while SSL handshaking to upstream": the verifier's
   * text when it refused the certificate, else {@code SSL_do_handshake() failed (WHY)}.
   */
  static String failure(Throwable cause) {
    for (Throwable t = cause; t != null; t = t.getCause()) {
      if (t instanceof PeerVerifier.Failure) {
        return String.valueOf(t.getMessage());
      }
    }
    if (isTimeout(cause)) {
      return "upstream timed out (110: Connection timed out)";
    }
    return "SSL_do_handshake() failed (SSL: " + cause.getMessage() + ")";
  }
}
