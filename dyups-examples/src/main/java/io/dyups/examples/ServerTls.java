package io.dyups.examples;

import io.dyups.parser.ConfigSyntaxException;
import io.dyups.parser.SourcePosition;
import io.netty.channel.Channel;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.AttributeKey;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;
import org.jspecify.annotations.Nullable;

/**
 * TLS toward clients, for {@code listen ... ssl}: one server context per server block, with every
 * {@code ssl_certificate}/{@code ssl_certificate_key} pair it names (an RSA and an EC certificate side by side,
 * as nginx serves them: the JDK's key manager picks the pair the client's signature algorithms and cipher suites
 * can use), {@code ssl_protocols}, {@code ssl_ciphers}, {@code ssl_prefer_server_ciphers},
 * {@code ssl_session_cache} (the size of the JDK's server session cache) and {@code ssl_session_timeout} (the
 * lifetime of cached sessions); with {@code listen ... http2}, ALPN offers {@code h2} before
 * {@code http/1.1}. Thread-safe.
 *
 * <p>Sessions are resumed from the JDK's server session cache, not from stateless tickets: the JDK (17 to 25)
 * resumes a ticket whatever its age, so {@code ssl_session_timeout} could not bound it, where its cache drops a
 * session once the timeout has passed, as nginx's OpenSSL does with cache and tickets alike. The JDK reads its
 * switch, the system property {@value #TICKETS_PROPERTY}, when a context is made; {@link ProxyMain} sets it to
 * {@code false} unless it is given. While tickets are off, {@code ssl_session_cache off} or {@code none} (nginx's
 * default, which resumes by tickets alone) keeps {@value TlsDirectives#BUILTIN_CACHE_SESSIONS} sessions in their
 * stead; with tickets on (the property set to {@code true}) it keeps one, the fewest the JDK takes.
 */
final class ServerTls {
  /** The settings of a server block's TLS. */
  record Spec(List<Path> certificates, List<Path> keys, List<String> protocols, String ciphers,
      boolean preferServerCiphers, int sessionCacheSize, Duration sessionTimeout, SourcePosition position) {}

  /** The JDK's switch for stateless session tickets on the server side, read as each context is made. */
  static final String TICKETS_PROPERTY = "jdk.tls.server.enableSessionTicketExtension";

  /** When the connection was accepted, for $ssl_session_reused. */
  static final AttributeKey<Long> ACCEPTED_MILLIS = AttributeKey.valueOf("dyups.acceptedMillis");

  private static final char[] NO_PASSWORD = new char[0];

  private final SslContext context;
  private final boolean preferServerCiphers;

  private ServerTls(SslContext context, boolean preferServerCiphers) {
    this.context = context;
    this.preferServerCiphers = preferServerCiphers;
  }

  /**
   * Reads the certificate pairs and makes the context; {@code http2}: offered by ALPN.
   *
   * @throws ConfigSyntaxException with nginx's start-up message, at {@code spec.position()}
   */
  static ServerTls create(Spec spec, boolean http2) {
    SourcePosition at = spec.position();
    KeyManagerFactory keys;
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      for (int i = 0; i < spec.certificates().size(); i++) {
        List<X509Certificate> chain = PemFiles.certificates(spec.certificates().get(i));
        PrivateKey key = PemFiles.privateKey(spec.keys().get(i));
        if (!key.getAlgorithm().equals(chain.get(0).getPublicKey().getAlgorithm())) {
          throw new ConfigSyntaxException("cannot load certificate key \"" + spec.keys().get(i) + "\": "
              + "SSL_CTX_use_PrivateKey() failed (key values mismatch)", at);
        }
        store.setKeyEntry("certificate-" + i, key, NO_PASSWORD, chain.toArray(new X509Certificate[0]));
      }
      // The PKIX key manager chooses among several pairs by key type and validity, as OpenSSL does by type.
      keys = KeyManagerFactory.getInstance("PKIX");
      keys.init(store, NO_PASSWORD);
    } catch (PemFiles.PemException e) {
      throw new ConfigSyntaxException(String.valueOf(e.getMessage()), at);
    } catch (GeneralSecurityException | java.io.IOException e) {
      throw new ConfigSyntaxException("cannot use the certificates: " + e.getMessage(), at);
    }
    SslContextBuilder builder = SslContextBuilder.forServer(keys)
        .sslProvider(SslProvider.JDK)
        .protocols(TlsOptions.supported(spec.protocols(), at))
        .sessionCacheSize(sessionCacheSize(spec.sessionCacheSize()))
        .sessionTimeout(sessionTimeoutSeconds(spec.sessionTimeout()));
    if (http2) {
      builder.applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
          ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
          ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
          ApplicationProtocolNames.HTTP_2, ApplicationProtocolNames.HTTP_1_1));
    }
    try {
      List<String> ciphers = TlsOptions.ciphers(spec.ciphers());
      if (ciphers != null) {
        builder.ciphers(ciphers);
      }
      return new ServerTls(builder.build(), spec.preferServerCiphers());
    } catch (IllegalArgumentException | javax.net.ssl.SSLException e) {
      throw new ConfigSyntaxException("cannot create the TLS context: " + e.getMessage(), at);
    }
  }

  /**
   * The JDK's cache size for {@code ssl_session_cache}'s {@code sessions} (0: {@code off} or {@code none}): as
   * asked, except that with tickets off the cache stands in for them (see the class comment).
   */
  static int sessionCacheSize(int sessions) {
    if (sessions > 0) {
      return sessions;
    }
    boolean tickets = !"false".equalsIgnoreCase(System.getProperty(TICKETS_PROPERTY, "true"));
    return tickets ? 1 : TlsDirectives.BUILTIN_CACHE_SESSIONS;
  }

  /**
   * The JDK's session lifetime for {@code ssl_session_timeout}. nginx's {@code 0} lets no session outlive the second
   * it was made in; the JDK (and Netty, which leaves 0 at the JDK's default of a day) reads 0 as "no limit", so the
   * nearest the JDK can do is one second.
   */
  static long sessionTimeoutSeconds(Duration timeout) {
    return Math.max(1, timeout.toSeconds());
  }

  /** A server handler for a connection just accepted on {@code channel}. */
  SslHandler newHandler(Channel channel) {
    channel.attr(ACCEPTED_MILLIS).set(System.currentTimeMillis());
    SSLEngine engine = context.newEngine(channel.alloc());
    SSLParameters parameters = engine.getSSLParameters();
    parameters.setUseCipherSuitesOrder(preferServerCiphers);
    engine.setSSLParameters(parameters);
    return new SslHandler(engine);
  }

  /** The context, for SNI among the servers of one listener. */
  SslContext context() {
    return context;
  }

  /**
   * Whether the handshake of the TLS connection that {@code handler} serves resumed a session ($ssl_session_reused).
   * The JDK does not say so directly; a resumed session keeps the creation time of the session it resumes
   * (TLSv1.2 and TLSv1.3 alike), which was made in an earlier handshake, so before this connection was accepted.
   */
  static boolean reused(@Nullable SslHandler handler, Channel channel) {
    if (handler == null || !handler.handshakeFuture().isSuccess()) {
      return false;
    }
    SSLSession session = handler.engine().getSession();
    Long accepted = channel.attr(ACCEPTED_MILLIS).get();
    return accepted != null && session.getCreationTime() < accepted;
  }
}
