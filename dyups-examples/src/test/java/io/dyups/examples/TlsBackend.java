package io.dyups.examples;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * An HTTPS backend on the JDK's TLS server (not Netty, so the proxy's client side meets a server it does not
 * share code with): it records each handshake (resumed or full, the SNI name, the client certificate) and answers
 * every request with {@link #status} and a body naming its port, keeping the connection open.
 */
final class TlsBackend implements AutoCloseable {
  /** One TLS connection as the backend saw it. */
  record Handshake(boolean resumed, String serverName, String clientSubject, String cipherSuite) {}

  private final SSLServerSocket listener;
  final List<Handshake> handshakes = new CopyOnWriteArrayList<>();
  final List<String> requests = new CopyOnWriteArrayList<>();
  volatile int status = 200;
  private volatile String[] protocols; // null: every protocol the JDK enables

  /** A backend serving {@code certificate}/{@code key}, asking for (not requiring) a client certificate. */
  TlsBackend(Path certificate, Path key) throws Exception {
    List<X509Certificate> chain = PemFiles.certificates(certificate);
    PrivateKey privateKey = PemFiles.privateKey(key);
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    store.setKeyEntry("server", privateKey, new char[0], chain.toArray(new X509Certificate[0]));
    KeyManagerFactory keys = KeyManagerFactory.getInstance("PKIX");
    keys.init(store, new char[0]);
    TrustManager[] anyClient = {new X509TrustManager() {
      @Override
      public void checkClientTrusted(X509Certificate[] certificates, String authType) {}

      @Override
      public void checkServerTrusted(X509Certificate[] certificates, String authType) {}

      @Override
      public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
      }
    }};
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(keys.getKeyManagers(), anyClient, null);
    listener = (SSLServerSocket) context.getServerSocketFactory().createServerSocket(0, 50,
        InetAddress.getLoopbackAddress());
    listener.setWantClientAuth(true);
    Thread thread = new Thread(this::accept, "tls-backend");
    thread.setDaemon(true);
    thread.start();
  }
  /** Limits the protocols the backend speaks (every connection accepted from now on). */
  void protocols(String... names) {
    // Set on each accepted socket, not on the listener: SSLServerSocket.accept() takes the listener's settings
    // when it is called, so the accept already waiting would still speak every protocol.
    protocols = names.clone();
  }


  int port() {
    return listener.getLocalPort();
  }

  private void accept() {
    while (!listener.isClosed()) {
      try {
        SSLSocket socket = (SSLSocket) listener.accept();
        long accepted = System.currentTimeMillis();
        Thread thread = new Thread(() -> serve(socket, accepted), "tls-backend-connection");
        thread.setDaemon(true);
        thread.start();
      } catch (IOException e) {
        return;
      }
    }
  }

  private void serve(SSLSocket socket, long accepted) {
    try (socket) {
      String[] only = protocols;
      if (only != null) {
        socket.setEnabledProtocols(only);
      }
      socket.startHandshake();
      var session = socket.getSession();
      String serverName = "";
      if (session instanceof ExtendedSSLSession extended) {
        for (SNIServerName name : extended.getRequestedServerNames()) {
          if (name instanceof SNIHostName host) {
            serverName = host.getAsciiName();
          }
        }
      }
      String client = "";
      try {
        client = ((X509Certificate) session.getPeerCertificates()[0]).getSubjectX500Principal().getName();
      } catch (SSLPeerUnverifiedException e) {
        // No client certificate.
      }
      // A resumed session keeps the creation time of the one it resumes, made before this connection came.
      handshakes.add(new Handshake(session.getCreationTime() < accepted, serverName, client,
          session.getCipherSuite()));
      InputStream in = socket.getInputStream();
      OutputStream out = socket.getOutputStream();
      while (true) {
        String requestLine = line(in);
        if (requestLine == null || requestLine.isEmpty()) {
          return;
        }
        int length = 0;
        for (String header = line(in); header != null && !header.isEmpty(); header = line(in)) {
          if (header.toLowerCase().startsWith("content-length:")) {
            length = Integer.parseInt(header.substring(15).trim());
          }
        }
        in.readNBytes(length);
        requests.add(requestLine);
        int answer = status;
        byte[] body = ("tls backend " + port() + " " + answer + "\n").getBytes(StandardCharsets.UTF_8);
        out.write(("HTTP/1.1 " + answer + " X\r\nContent-Length: " + body.length
            + "\r\nConnection: keep-alive\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        out.write(body);
        out.flush();
      }
    } catch (IOException e) {
      // The proxy closed the connection, or refused the handshake.
    }
  }

  private static String line(InputStream in) throws IOException {
    StringBuilder line = new StringBuilder();
    int c;
    while ((c = in.read()) != -1 && c != '\n') {
      if (c != '\r') {
        line.append((char) c);
      }
    }
    return c == -1 && line.length() == 0 ? null : line.toString();
  }

  /** Waits until {@code n} handshakes were recorded (the backend records them on its own threads). */
  List<Handshake> awaitHandshakes(int n) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (handshakes.size() < n && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    return List.copyOf(handshakes);
  }

  @Override
  public void close() throws IOException {
    listener.close();
  }
}
