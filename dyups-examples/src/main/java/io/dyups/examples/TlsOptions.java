package io.dyups.examples;

import io.dyups.parser.ConfigSyntaxException;
import io.dyups.parser.SourcePosition;
import io.netty.handler.ssl.CipherSuiteConverter;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import javax.net.ssl.SSLContext;
import org.jspecify.annotations.Nullable;

/**
 * What {@code ssl_protocols}/{@code proxy_ssl_protocols} and {@code ssl_ciphers}/{@code proxy_ssl_ciphers} mean
 * for the JDK's TLS provider, one rule for both sides.
 *
 * <p>Protocols keep nginx's names, which are the JDK's. Ciphers are OpenSSL's: the JDK has no cipher-string
 * language, so a list of suite names (OpenSSL's, such as {@code ECDHE-RSA-AES128-GCM-SHA256}, or IANA's, such as
 * {@code TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256}) is converted name by name, and nginx's two defaults
 * ({@code HIGH:!aNULL:!MD5} for clients, {@code DEFAULT} toward backends) mean the JDK's default suites, which
 * hold no anonymous, NULL, export or MD5 suite. Other OpenSSL expressions ({@code EECDH+AESGCM}) are refused at
 * start-up rather than guessed. As with OpenSSL, the cipher list governs TLSv1.2 and older: TLSv1.3's suites
 * stay enabled whatever the list says (nginx sets those with {@code ssl_conf_command Ciphersuites}).
 */
final class TlsOptions {
  private TlsOptions() {}

  /** nginx's protocol names (ngx_http_ssl_protocols). */
  static final Set<String> PROTOCOL_NAMES = Set.of("SSLv2", "SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3");

  /** NGX_SSL_DEFAULT_PROTOCOLS (ngx_event_openssl.h, nginx 1.23.4 and later). */
  static final List<String> DEFAULT_PROTOCOLS = List.of("TLSv1.2", "TLSv1.3");

  /** NGX_DEFAULT_CIPHERS (ngx_http_ssl_module.c). */
  static final String DEFAULT_SERVER_CIPHERS = "HIGH:!aNULL:!MD5";

  /** proxy_ssl_ciphers' default (ngx_http_proxy_merge_loc_conf). */
  static final String DEFAULT_PROXY_CIPHERS = "DEFAULT";

  private static final Set<String> PROVIDER_DEFAULTS = Set.of("DEFAULT", "HIGH:!aNULL:!MD5", "HIGH:!aNULL",
      "ALL", "HIGH");

  private static final List<String> TLS13_SUITES = List.of("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
      "TLS_CHACHA20_POLY1305_SHA256");

  /**
   * The protocols of {@code names} the JDK's provider knows (SSLv2 it does not; SSLv3, TLSv1 and TLSv1.1 it knows
   * but refuses by its own {@code jdk.tls.disabledAlgorithms}).
   *
   * @throws ConfigSyntaxException when none is left, at {@code position}
   */
  static List<String> supported(List<String> names, SourcePosition position) {
    List<String> known;
    try {
      known = List.of(SSLContext.getDefault().getSupportedSSLParameters().getProtocols());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    List<String> result = new ArrayList<>();
    for (String name : names) {
      if (known.contains(name)) {
        result.add(name);
      }
    }
    if (result.isEmpty()) {
      throw new ConfigSyntaxException("no protocol of \"" + String.join(" ", names) + "\" is supported by the "
          + "JDK's TLS provider", position);
    }
    return result;
  }

  /** The JDK's suites for an nginx cipher string; null for the provider's defaults. */
  @Nullable
  static List<String> ciphers(String spec) {
    if (PROVIDER_DEFAULTS.contains(spec)) {
      return null;
    }
    List<String> result = new ArrayList<>();
    for (String name : spec.split(":", -1)) {
      if (name.isEmpty()) {
        continue;
      }
      if (name.startsWith("TLS_") || name.startsWith("SSL_")) {
        result.add(name);
        continue;
      }
      String java = CipherSuiteConverter.toJava(name, "TLS");
      if (java == null || name.startsWith("!") || name.contains("+") || name.startsWith("@")) {
        throw new IllegalArgumentException("cipher \"" + name + "\" is not a cipher suite name (the example proxy "
            + "takes a list of suite names, or \"" + DEFAULT_SERVER_CIPHERS + "\" or \"DEFAULT\")");
      }
      result.add(java);
    }
    for (String suite : TLS13_SUITES) {
      if (!result.contains(suite)) {
        result.add(suite);
      }
    }
    return result;
  }
}
