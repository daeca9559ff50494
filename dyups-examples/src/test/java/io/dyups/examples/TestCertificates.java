package io.dyups.examples;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.Key;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Certificates for the TLS tests, made by the JDK's own keytool (no network, no extra library) once per build
 * under {@code target/test-certificates} and written as the PEM files nginx reads: a test CA, leaves it signed
 * (RSA and EC for {@code localhost}/{@code backend.test}/127.0.0.1, a client certificate), and a self-signed
 * leaf the CA never saw. Made again when missing or older than a day (they are valid for two).
 *
 * <p>Surefire runs two JVMs at once (forkCount 2 in the parent POM), and the first TLS test class of each may
 * arrive here together: without a lock both run keytool into the same keystores, and one reads a file the
 * other is rewriting ("keystore password was incorrect", a truncated PEM). The check and the making happen
 * under an exclusive lock on {@code target/test-certificates/lock}, taken by the JVM and held until the files
 * and the marker are written; the second JVM then finds the marker and makes nothing.
 */
final class TestCertificates {
  static final Path DIR = Path.of("target/test-certificates").toAbsolutePath();
  private static final String PASSWORD = "changeit";
  private static boolean made;

  private TestCertificates() {}

  /** The directory with ca.pem, rsa.pem/rsa.key, ec.pem/ec.key, client.pem/client.key, rogue.pem/rogue.key. */
  static synchronized Path dir() throws IOException {
    if (made) {
      return DIR;
    }
    Files.createDirectories(DIR);
    try (FileChannel lockFile = FileChannel.open(DIR.resolve("lock"), StandardOpenOption.CREATE,
            StandardOpenOption.WRITE);
        FileLock lock = lockFile.lock()) {
      Path marker = DIR.resolve("done");
      if (!Files.exists(marker)
          || Files.getLastModifiedTime(marker).toMillis() < System.currentTimeMillis() - TimeUnit.DAYS.toMillis(1)) {
        make();
        Files.writeString(marker, "");
      }
    }
    made = true;
    return DIR;
  }

  static Path file(String name) throws IOException {
    return dir().resolve(name);
  }

  private static void make() throws IOException {
    for (String name : List.of("ca.p12", "rsa.p12", "ec.p12", "client.p12", "rogue.p12")) {
      Files.deleteIfExists(DIR.resolve(name));
    }
    keytool("-genkeypair", "-alias", "ca", "-keyalg", "RSA", "-keysize", "2048", "-dname", "CN=dyups test CA",
        "-ext", "bc:c", "-validity", "2", "-keystore", "ca.p12");
    keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", "ca.p12", "-file", "ca.pem");
    leaf("rsa", "RSA", "CN=localhost", "san=dns:localhost,dns:backend.test,ip:127.0.0.1");
    leaf("ec", "EC", "CN=localhost", "san=dns:localhost,dns:backend.test,ip:127.0.0.1");
    leaf("client", "EC", "CN=dyups test client", null);
    keytool("-genkeypair", "-alias", "rogue", "-keyalg", "EC", "-dname", "CN=localhost", "-ext",
        "san=dns:localhost,dns:backend.test", "-validity", "2", "-keystore", "rogue.p12");
    keytool("-exportcert", "-rfc", "-alias", "rogue", "-keystore", "rogue.p12", "-file", "rogue.pem");
    writeKey("rogue");
  }

  private static void leaf(String name, String algorithm, String subject, String san) throws IOException {
    List<String> generate = new ArrayList<>(List.of("-genkeypair", "-alias", name, "-keyalg", algorithm,
        "-dname", subject, "-validity", "2", "-keystore", name + ".p12"));
    if (algorithm.equals("RSA")) {
      generate.addAll(List.of("-keysize", "2048"));
    }
    keytool(generate.toArray(new String[0]));
    keytool("-certreq", "-alias", name, "-keystore", name + ".p12", "-file", name + ".csr");
    List<String> sign = new ArrayList<>(List.of("-gencert", "-rfc", "-alias", "ca", "-keystore", "ca.p12",
        "-infile", name + ".csr", "-outfile", name + ".pem", "-validity", "2"));
    if (san != null) {
      sign.addAll(List.of("-ext", san));
    }
    keytool(sign.toArray(new String[0]));
    writeKey(name);
  }

  /** The key of NAME.p12 as PKCS#8 PEM (keytool does not write keys). */
  private static void writeKey(String name) throws IOException {
    try (InputStream in = Files.newInputStream(DIR.resolve(name + ".p12"))) {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(in, PASSWORD.toCharArray());
      Key key = store.getKey(name, PASSWORD.toCharArray());
      String pem = "-----BEGIN PRIVATE KEY-----\n"
          + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(key.getEncoded())
          + "\n-----END PRIVATE KEY-----\n";
      Files.writeString(DIR.resolve(name + ".key"), pem);
    } catch (java.security.GeneralSecurityException e) {
      throw new IOException(e);
    }
  }

  private static void keytool(String... args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    command.addAll(List.of(args));
    command.addAll(List.of("-storepass", PASSWORD, "-keypass", PASSWORD, "-storetype", "PKCS12", "-noprompt"));
    Process process = new ProcessBuilder(command).directory(DIR.toFile()).redirectErrorStream(true).start();
    try {
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (process.waitFor() != 0) {
        throw new IOException("keytool " + String.join(" ", args) + " failed: " + output);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
  }
}
