package io.dyups.examples;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Certificates and private keys in PEM files, as nginx's {@code ssl_certificate}, {@code ssl_certificate_key},
 * {@code proxy_ssl_certificate*} and {@code proxy_ssl_trusted_certificate} read them: a file of one or more
 * {@code CERTIFICATE} blocks (the leaf first, then its chain); a key as PKCS#8 ({@code PRIVATE KEY}), PKCS#1
 * ({@code RSA PRIVATE KEY}) or SEC 1 ({@code EC PRIVATE KEY}, as {@code openssl ecparam -genkey} writes it).
 * Failures are {@link PemException}s worded as nginx's start-up errors ({@code ngx_ssl_certificate} in
 * ngx_event_openssl.c): {@code cannot load certificate "FILE": ...}.
 */
final class PemFiles {
  private PemFiles() {}

  /** A PEM file that cannot be used, with nginx's words for why. */
  static final class PemException extends Exception {
    private static final long serialVersionUID = 1L;

    PemException(String message) {
      super(message);
    }
  }

  /** Every certificate in {@code file}, in order; at least one. */
  static List<X509Certificate> certificates(Path file) throws PemException {
    String what = "cannot load certificate \"" + file + "\": ";
    String text = read(file, what);
    List<byte[]> blocks = blocks(text, "CERTIFICATE");
    if (blocks.isEmpty()) {
      throw new PemException(what + "PEM_read_bio_X509_AUX() failed (no start line: expecting CERTIFICATE)");
    }
    List<X509Certificate> result = new ArrayList<>();
    try {
      CertificateFactory factory = CertificateFactory.getInstance("X.509");
      for (byte[] der : blocks) {
        result.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(der)));
      }
    } catch (CertificateException | RuntimeException e) {
      throw new PemException(what + "PEM_read_bio_X509() failed (" + e.getMessage() + ")");
    }
    return result;
  }

  /** The private key in {@code file}. */
  static PrivateKey privateKey(Path file) throws PemException {
    String what = "cannot load certificate key \"" + file + "\": ";
    String text = read(file, what);
    if (text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----")) {
      throw new PemException(what + "encrypted keys (ssl_password_file) are not supported by the example proxy");
    }
    byte[] pkcs8;
    List<byte[]> pkcs8Blocks = blocks(text, "PRIVATE KEY");
    List<byte[]> rsaBlocks = blocks(text, "RSA PRIVATE KEY");
    List<byte[]> ecBlocks = blocks(text, "EC PRIVATE KEY");
    if (!pkcs8Blocks.isEmpty()) {
      pkcs8 = pkcs8Blocks.get(0);
    } else if (!rsaBlocks.isEmpty()) {
      pkcs8 = Der.rsaPkcs8(rsaBlocks.get(0));
    } else if (!ecBlocks.isEmpty()) {
      pkcs8 = Der.ecPkcs8(ecBlocks.get(0));
      if (pkcs8 == null) {
        throw new PemException(what + "PEM_read_bio_PrivateKey() failed (EC key without a named curve)");
      }
    } else {
      throw new PemException(what + "PEM_read_bio_PrivateKey() failed (no start line: expecting ANY PRIVATE KEY)");
    }
    for (String algorithm : new String[] {"RSA", "EC", "Ed25519", "RSASSA-PSS"}) {
      try {
        return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
      } catch (GeneralSecurityException | RuntimeException e) {
        // Not this algorithm: try the next.
      }
    }
    throw new PemException(what + "PEM_read_bio_PrivateKey() failed (unsupported key type)");
  }

  private static String read(Path file, String what) throws PemException {
    try {
      return Files.readString(file, StandardCharsets.ISO_8859_1);
    } catch (NoSuchFileException e) {
      throw new PemException(what + "BIO_new_file() failed (2: No such file or directory)");
    } catch (AccessDeniedException e) {
      throw new PemException(what + "BIO_new_file() failed (13: Permission denied)");
    } catch (IOException e) {
      throw new PemException(what + "BIO_new_file() failed (" + e.getMessage() + ")");
    }
  }

  /** The DER bytes of every {@code -----BEGIN TYPE-----} block, in order. */
  private static List<byte[]> blocks(String text, String type) throws PemException {
    String begin = "-----BEGIN " + type + "-----";
    String end = "-----END " + type + "-----";
    List<byte[]> result = new ArrayList<>();
    int from = 0;
    while (true) {
      int start = text.indexOf(begin, from);
      if (start < 0) {
        return result;
      }
      int stop = text.indexOf(end, start);
      if (stop < 0) {
        throw new PemException("PEM block \"" + type + "\" has no end line");
      }
      String body = text.substring(start + begin.length(), stop).replaceAll("\\s", "");
      try {
        result.add(Base64.getDecoder().decode(body));
      } catch (IllegalArgumentException e) {
        throw new PemException("bad base64 in a PEM \"" + type + "\" block");
      }
      from = stop + end.length();
    }
  }

  /** The little DER needed to turn PKCS#1 and SEC 1 keys into PKCS#8 (RFC 5208, RFC 5915). */
  private static final class Der {
    private static final byte[] RSA_ALGORITHM = {0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86,
        (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00};
    private static final byte[] EC_PUBLIC_KEY_OID = {0x06, 0x07, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x02,
        0x01};

    static byte[] rsaPkcs8(byte[] pkcs1) {
      return privateKeyInfo(RSA_ALGORITHM, pkcs1);
    }

    /** SEC 1's ECPrivateKey carries its curve in [0]; PKCS#8 wants it in the algorithm identifier. */
    static byte @Nullable [] ecPkcs8(byte[] sec1) {
      // ECPrivateKey ::= SEQUENCE { version INTEGER, privateKey OCTET STRING, [0] parameters, [1] publicKey }
      int at = contentStart(sec1, 0);
      int end = sec1.length;
      while (at < end) {
        int tag = sec1[at] & 0xFF;
        int content = contentStart(sec1, at);
        int length = length(sec1, at);
        if (tag == 0xA0) {
          byte[] curve = java.util.Arrays.copyOfRange(sec1, content, content + length);
          byte[] algorithm = sequence(concat(EC_PUBLIC_KEY_OID, curve));
          return privateKeyInfo(algorithm, sec1);
        }
        at = content + length;
      }
      return null;
    }

    private static byte[] privateKeyInfo(byte[] algorithm, byte[] key) {
      byte[] version = {0x02, 0x01, 0x00};
      return sequence(concat(version, algorithm, tlv(0x04, key)));
    }

    private static int length(byte[] der, int at) {
      int first = der[at + 1] & 0xFF;
      if (first < 0x80) {
        return first;
      }
      int n = first & 0x7F;
      int length = 0;
      for (int i = 0; i < n; i++) {
        length = (length << 8) | (der[at + 2 + i] & 0xFF);
      }
      return length;
    }

    private static int contentStart(byte[] der, int at) {
      int first = der[at + 1] & 0xFF;
      return first < 0x80 ? at + 2 : at + 2 + (first & 0x7F);
    }

    private static byte[] sequence(byte[] content) {
      return tlv(0x30, content);
    }

    private static byte[] tlv(int tag, byte[] content) {
      ByteArrayOutputStream out = new ByteArrayOutputStream(content.length + 6);
      out.write(tag);
      int n = content.length;
      if (n < 0x80) {
        out.write(n);
      } else if (n < 0x100) {
        out.write(0x81);
        out.write(n);
      } else if (n < 0x10000) {
        out.write(0x82);
        out.write(n >> 8);
        out.write(n);
      } else {
        out.write(0x83);
        out.write(n >> 16);
        out.write(n >> 8);
        out.write(n);
      }
      out.writeBytes(content);
      return out.toByteArray();
    }

    private static byte[] concat(byte[]... parts) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      for (byte[] part : parts) {
        out.writeBytes(part);
      }
      return out.toByteArray();
    }
  }
}
