package io.dyups.core;

import io.dyups.parser.Address;
import io.dyups.parser.HealthCheck;
import io.dyups.parser.NginxConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

/**
 * Checks a server over a real connection: {@code type=http} sends {@code check_http_send} and reads the status
 * line; every other type is a connect. The whole check, connect included, must finish within {@code timeout}.
 */
final class SocketHealthProbe implements HealthProbe {
  // "HTTP/1.1 200" is all a check needs to read.
  private static final int STATUS_LINE_PREFIX = 12;

  @Override
  public boolean isAlive(Address address, HealthCheck check) {
    long deadline = System.nanoTime() + check.timeout().toNanos();
    try {
      if (address.kind() == Address.Kind.UNIX) {
        return unix(address, check, deadline);
      }
      int port = check.port() != 0 ? check.port() : address.port();
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress(address.host(), port), remainingMillis(deadline));
        if (check.type() != HealthCheck.Type.HTTP) {
          return true;
        }
        return http(socket.getInputStream(), socket.getOutputStream(), check, socket, deadline);
      }
    } catch (IOException | IllegalArgumentException e) {
      return false;
    }
  }

  // Local sockets connect at once or not at all; the answer is read without blocking, against the deadline.
  private static boolean unix(Address address, HealthCheck check, long deadline) throws IOException {
    SocketAddress target = UnixDomainSocketAddress.of(address.host());
    try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      channel.connect(target);
      if (check.type() != HealthCheck.Type.HTTP) {
        return true;
      }
      ByteBuffer request = ByteBuffer.wrap(NginxConfig.toBytes(check.httpSend()));
      while (request.hasRemaining()) {
        channel.write(request);
      }
      channel.configureBlocking(false);
      ByteBuffer line = ByteBuffer.allocate(STATUS_LINE_PREFIX);
      try (Selector selector = Selector.open()) {
        channel.register(selector, SelectionKey.OP_READ);
        while (line.hasRemaining()) {
          selector.select(remainingMillis(deadline));
          selector.selectedKeys().clear();
          if (channel.read(line) < 0) {
            return false;
          }
        }
      }
      return check.isAlive(status(line.array()));
    }
  }

  private static boolean http(InputStream in, OutputStream out, HealthCheck check, Socket socket, long deadline)
      throws IOException {
    out.write(NginxConfig.toBytes(check.httpSend()));
    out.flush();
    byte[] line = new byte[STATUS_LINE_PREFIX];
    int n = 0;
    while (n < line.length) {
      socket.setSoTimeout(remainingMillis(deadline));
      int read = in.read(line, n, line.length - n);
      if (read < 0) {
        return false;
      }
      n += read;
    }
    return check.isAlive(status(line));
  }

  /** The status of "HTTP/1.x NNN", or -1 when the answer is not HTTP. */
  private static int status(byte[] line) {
    String text = new String(line, StandardCharsets.ISO_8859_1);
    if (!text.startsWith("HTTP/") || text.charAt(8) != ' ') {
      return -1;
    }
    int status = 0;
    for (int i = 9; i < 12; i++) {
      char c = text.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      status = status * 10 + (c - '0');
    }
    return status;
  }

  private static int remainingMillis(long deadline) throws IOException {
    long millis = (deadline - System.nanoTime()) / 1_000_000;
    if (millis <= 0) {
      throw new IOException("check timed out");
    }
    return (int) Math.min(millis, Integer.MAX_VALUE);
  }
}
