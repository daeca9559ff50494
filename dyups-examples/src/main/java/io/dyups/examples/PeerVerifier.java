package io.dyups.examples;

import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;
import org.jspecify.annotations.Nullable;

/**
 * {@code proxy_ssl_verify on}: a backend's certificate chain checked as nginx has OpenSSL check it, with OpenSSL's
 * verification codes and texts (X509_verify_cert_error_string, OpenSSL 3), then its name checked against
 * {@code proxy_ssl_name} as {@code ngx_ssl_check_host} does (X509_check_host: DNS subjectAltNames, else the
 * subject's CN; a {@code *} as the whole leftmost label). A failure ends the handshake with a {@link Failure}
 * whose message is nginx's error-log text: {@code upstream SSL certificate verify error: (18:self-signed
 * certificate)} or {@code upstream SSL certificate does not match "NAME"}. Since the handshake fails, the JDK
 * keeps no session of it, so no later handshake can resume into an unverified peer.
 *
 * <p>The name to check travels in the engine's peer host ({@link BackendTls#sslName}). Thread-safe: immutable.
 */
final class PeerVerifier extends X509ExtendedTrustManager {
  // OpenSSL's X509_V_ERR_* codes for what this verifier can find (include/openssl/x509_vfy.h).
  static final int CERT_SIGNATURE_FAILURE = 7;
  static final int CERT_NOT_YET_VALID = 9;
  static final int CERT_HAS_EXPIRED = 10;
  static final int DEPTH_ZERO_SELF_SIGNED_CERT = 18;
  static final int SELF_SIGNED_CERT_IN_CHAIN = 19;
  static final int UNABLE_TO_GET_ISSUER_CERT_LOCALLY = 20;
  static final int UNABLE_TO_VERIFY_LEAF_SIGNATURE = 21;
  static final int CERT_CHAIN_TOO_LONG = 22;

  /** A handshake refused by verification, with nginx's log text as its message. */
  static final class Failure extends CertificateException {
    private static final long serialVersionUID = 1L;

    Failure(String message) {
      super(message);
    }
  }

  private final List<X509Certificate> trusted;
  private final int depth;

  /**
   * @param trusted proxy_ssl_trusted_certificate's certificates
   * @param depth proxy_ssl_verify_depth: how many certificates may follow the leaf, the trusted one included
   */
  PeerVerifier(List<X509Certificate> trusted, int depth) {
    this.trusted = List.copyOf(trusted);
    this.depth = depth;
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws Failure {
    check(chain, BackendTls.sslName(engine.getPeerHost()));
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws Failure {
    check(chain, "");
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType) throws Failure {
    check(chain, "");
  }

  private void check(X509Certificate[] chain, String name) throws Failure {
    // X509Certificate.checkValidity takes a Date: the JDK's certificate API has no java.time form.
    @SuppressWarnings("JavaUtilDate")
    Date now = new Date();
    int code = verify(chain, now);
    if (code != 0) {
      throw new Failure("upstream SSL certificate verify error: (" + code + ":" + errorString(code) + ")");
    }
    if (!matchesHost(chain[0], name)) {
      throw new Failure("upstream SSL certificate does not match \"" + name + "\"");
    }
  }

  /**
   * OpenSSL's verification result for {@code chain} (the leaf first, as the peer sent it): 0 when it leads to a
   * trusted certificate within the depth and every certificate on the way is valid {@code now}. As with nginx's
   * callback that lets verification go on, the last error found is the one reported: the path's errors, then the
   * depth, then the validity of each certificate from the top down.
   */
  int verify(X509Certificate[] chain, Date now) {
    List<X509Certificate> path = new ArrayList<>();
    X509Certificate current = chain[0];
    path.add(current);
    int code = 0;
    while (true) {
      if (trusted.contains(current)) {
        break;
      }
      X509Certificate anchor = issuerAmong(current, trusted);
      if (anchor == null && hasIssuerNameAmong(current, trusted)) {
        code = CERT_SIGNATURE_FAILURE;
        break;
      }
      if (anchor != null) {
        path.add(anchor);
        break;
      }
      if (isSelfSigned(current)) {
        code = path.size() == 1 ? DEPTH_ZERO_SELF_SIGNED_CERT : SELF_SIGNED_CERT_IN_CHAIN;
        break;
      }
      X509Certificate next = null;
      for (int i = 1; i < chain.length && next == null; i++) {
        if (!path.contains(chain[i]) && issues(chain[i], current)) {
          next = chain[i];
        }
      }
      if (next == null) {
        code = path.size() == 1 ? UNABLE_TO_VERIFY_LEAF_SIGNATURE : UNABLE_TO_GET_ISSUER_CERT_LOCALLY;
        break;
      }
      path.add(next);
      current = next;
    }
    if (path.size() - 1 > depth) {
      code = CERT_CHAIN_TOO_LONG;
    }
    for (int i = path.size() - 1; i >= 0; i--) {
      try {
        path.get(i).checkValidity(now);
      } catch (CertificateExpiredException e) {
        code = CERT_HAS_EXPIRED;
      } catch (CertificateNotYetValidException e) {
        code = CERT_NOT_YET_VALID;
      }
    }
    return code;
  }

  /** OpenSSL 3's X509_verify_cert_error_string for the codes {@link #verify} gives. */
  static String errorString(int code) {
    return switch (code) {
      case CERT_SIGNATURE_FAILURE -> "certificate signature failure";
      case CERT_NOT_YET_VALID -> "certificate is not yet valid";
      case CERT_HAS_EXPIRED -> "certificate has expired";
      case DEPTH_ZERO_SELF_SIGNED_CERT -> "self-signed certificate";
      case SELF_SIGNED_CERT_IN_CHAIN -> "self-signed certificate in certificate chain";
      case UNABLE_TO_GET_ISSUER_CERT_LOCALLY -> "unable to get local issuer certificate";
      case UNABLE_TO_VERIFY_LEAF_SIGNATURE -> "unable to verify the first certificate";
      case CERT_CHAIN_TOO_LONG -> "certificate chain too long";
      default -> "unknown certificate verification error";
    };
  }

  @Nullable
  private static X509Certificate issuerAmong(X509Certificate certificate, List<X509Certificate> candidates) {
    for (X509Certificate candidate : candidates) {
      if (issues(candidate, certificate)) {
        return candidate;
      }
    }
    return null;
  }

  private static boolean hasIssuerNameAmong(X509Certificate certificate, List<X509Certificate> candidates) {
    for (X509Certificate candidate : candidates) {
      if (candidate.getSubjectX500Principal().equals(certificate.getIssuerX500Principal())
          && !candidate.equals(certificate) && !isSelfSigned(certificate)) {
        return true;
      }
    }
    return false;
  }

  private static boolean issues(X509Certificate issuer, X509Certificate certificate) {
    if (!issuer.getSubjectX500Principal().equals(certificate.getIssuerX500Principal())) {
      return false;
    }
    try {
      certificate.verify(issuer.getPublicKey());
      return true;
    } catch (GeneralSecurityException | RuntimeException e) {
      return false;
    }
  }

  private static boolean isSelfSigned(X509Certificate certificate) {
    return issues(certificate, certificate);
  }

  /** X509_check_host with nginx's flags (none): DNS subjectAltNames when there are any, else the CN. */
  static boolean matchesHost(X509Certificate certificate, String name) {
    String host = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
    if (host.isEmpty()) {
      return false;
    }
    List<String> dnsNames = new ArrayList<>();
    try {
      var alternatives = certificate.getSubjectAlternativeNames();
      if (alternatives != null) {
        for (List<?> alternative : alternatives) {
          if (Integer.valueOf(2).equals(alternative.get(0))) {
            dnsNames.add((String) alternative.get(1));
          }
        }
      }
    } catch (CertificateParsingException e) {
      return false;
    }
    if (dnsNames.isEmpty()) {
      try {
        for (Rdn rdn : new LdapName(certificate.getSubjectX500Principal().getName()).getRdns()) {
          if (rdn.getType().equalsIgnoreCase("CN")) {
            dnsNames.add(rdn.getValue().toString());
          }
        }
      } catch (InvalidNameException e) {
        return false;
      }
    }
    for (String pattern : dnsNames) {
      if (matchesPattern(pattern.toLowerCase(Locale.ROOT), host.toLowerCase(Locale.ROOT))) {
        return true;
      }
    }
    return false;
  }

  private static boolean matchesPattern(String pattern, String host) {
    if (pattern.equals(host)) {
      return true;
    }
    // "*.example.com": the star is the whole leftmost label, matching one label, and never a bare suffix.
    if (pattern.startsWith("*.") && pattern.indexOf('.', 2) > 0) {
      int dot = host.indexOf('.');
      return dot > 0 && host.substring(dot).equals(pattern.substring(1));
    }
    return false;
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    throw new CertificateException("a backend connection does not verify clients");
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    throw new CertificateException("a backend connection does not verify clients");
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    throw new CertificateException("a backend connection does not verify clients");
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return trusted.toArray(new X509Certificate[0]);
  }
}
