package io.dyups.examples;

import io.dyups.admin.AdminRequest;
import io.dyups.admin.AdminResponse;
import io.dyups.core.Peer;
import io.dyups.core.PeerSelection;
import io.dyups.core.Upstream;
import io.dyups.examples.BackendPool.BackendConnection;
import io.dyups.examples.ProxyConfig.Location;
import io.dyups.examples.ProxyConfig.VirtualServer;
import io.dyups.parser.Balancing;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Serves one client connection: requests one after another while the client keeps the connection alive. */
final class ClientConnection implements Runnable {
  /** nginx's default client_max_body_size. */
  static final int MAX_BODY = 1024 * 1024;

  private final ProxyServer server;
  private final VirtualServer virtualServer;
  private final Socket socket;
  private final InetAddress clientAddress;
  private final PeerSelection selection = new PeerSelection();
  private HttpInput in;
  private OutputStream out;

  ClientConnection(ProxyServer server, VirtualServer virtualServer, Socket socket) {
    this.server = server;
    this.virtualServer = virtualServer;
    this.socket = socket;
    this.clientAddress = socket.getInetAddress();
  }

  @Override
  public void run() {
    server.opened(socket);
    try (socket) {
      socket.setTcpNoDelay(true);
      socket.setSoTimeout(server.clientTimeoutMillis());
      in = new HttpInput(socket.getInputStream());
      out = new BufferedOutputStream(socket.getOutputStream(), 16 * 1024);
      while (!server.isStopping()) {
        HttpHead request;
        try {
          request = HttpHead.readRequest(in);
        } catch (HttpException e) {
          sendPage(e.status, false);
          return;
        }
        if (request == null || !serve(request)) {
          return;
        }
      }
    } catch (SocketTimeoutException | EOFException e) {
      // The client went quiet or away; nothing to answer.
    } catch (IOException e) {
      // The client connection broke; nothing left to answer on it.
    } finally {
      server.closed(socket);
    }
  }

  /** Serves one request; returns whether the connection stays open. */
  private boolean serve(HttpHead request) throws IOException {
    String target = request.second();
    String path = pathOf(target);
    Location location = path == null ? null : virtualServer.match(path);
    boolean admin = location != null && location.handler() instanceof ProxyConfig.DyupsInterface;
    long limit = admin ? server.admin().maxBodySize() : MAX_BODY;
    long declared = request.contentLength();
    if (request.isChunked() && declared >= 0) {
      return finish(request, sendPage(400, false), false);
    }
    if (declared > limit) {
      if (admin) {
        AdminResponse response = server.admin().handle(adminRequest(request, new byte[0], declared));
        return finish(request, sendAdmin(request, response, false), false);
      }
      return finish(request, sendPage(413, false), false);
    }
    byte[] body;
    try {
      body = request.isChunked() ? in.readChunked((int) limit + 1) : in.readFixed((int) Math.max(declared, 0));
    } catch (HttpException e) {
      if (admin && e.status == 413) {
        AdminResponse response = server.admin().handle(adminRequest(request, new byte[(int) limit + 1], -1));
        return finish(request, sendAdmin(request, response, false), false);
      }
      return finish(request, sendPage(e.status, false), false);
    }
    boolean keepAlive = request.keepAlive() && !server.isStopping();
    if (location == null) {
      return finish(request, sendPage(404, keepAlive), keepAlive);
    }
    long sent;
    if (location.handler() instanceof ProxyConfig.Echo echo) {
      sent = sendText(request, 200, echo.text() + "\n", keepAlive);
    } else if (location.handler() instanceof ProxyConfig.Return ret) {
      sent = sendReturn(request, ret, keepAlive);
    } else if (admin) {
      sent = sendAdmin(request, server.admin().handle(adminRequest(request, body, body.length)), keepAlive);
    } else {
      ProxyConfig.ProxyPass pass = (ProxyConfig.ProxyPass) location.handler();
      String name = pass.upstream() != null ? pass.upstream() : hostOf(request);
      long[] result = proxy(request, name, body, keepAlive);
      server.log().access(clientAddress.getHostAddress(), requestLine(request), (int) result[0], result[1],
          nullToDash(request.header("Referer")), nullToDash(request.header("User-Agent")));
      return result[2] == 1;
    }
    return finish(request, sent, keepAlive);
  }

  // Logs the request; `sent` packs status and body bytes as written by the send methods.
  private boolean finish(HttpHead request, long sent, boolean keepAlive) {
    server.log().access(clientAddress.getHostAddress(), requestLine(request), (int) (sent >>> 40),
        sent & 0xFF_FFFF_FFFFL, nullToDash(request.header("Referer")), nullToDash(request.header("User-Agent")));
    return keepAlive;
  }

  /**
   * Sends the request to the upstream's peers until one answers; returns {status, body bytes, keep-alive}.
   */
  private long[] proxy(HttpHead request, String name, byte[] body, boolean keepAlive) throws IOException {
    Upstream upstream = server.registry().find(name);
    if (upstream == null) {
      server.errors().error("no upstream \"" + name + "\" for \"" + requestLine(request) + "\", client: "
          + clientAddress.getHostAddress());
      long sent = sendPage(502, keepAlive);
      return new long[] {502, sent & 0xFF_FFFF_FFFFL, keepAlive ? 1 : 0};
    }
    CharSequence key = null;
    if (upstream.definition().balancing() instanceof Balancing.Hash hash) {
      key = Variables.evaluate(hash.key(), request, clientAddress, hostOf(request));
    }
    selection.start(upstream.peers(), clientAddress, key);
    byte[] head = backendRequestHead(request, upstream.name(), body.length);
    for (Peer peer = selection.next(); peer != null; peer = selection.next()) {
      HttpHead response = null;
      BackendConnection connection = null;
      IOException failure = null;
      // A pooled connection the backend closed meanwhile gets one fresh retry, not counted as a failure.
      for (int attempt = 0; attempt < 2 && response == null; attempt++) {
        connection = attempt == 0 ? server.backends().pooled(peer.address()) : null;
        try {
          if (connection == null) {
            connection = server.backends().connect(peer.address());
          }
          connection.out.write(head);
          connection.out.write(body);
          connection.out.flush();
          response = HttpHead.readResponse(connection.in);
        } catch (IOException e) {
          failure = e;
          if (connection != null) {
            connection.close();
          }
          if (connection == null || !connection.reused) {
            break;
          }
        }
      }
      if (response == null) {
        selection.failed();
        server.errors().error("upstream " + peer.address() + " failed (" + describe(failure) + ") while sending \""
            + requestLine(request) + "\" to upstream \"" + upstream.name() + "\"");
        continue;
      }
      try {
        long[] relayed = relay(request, response, connection, keepAlive);
        selection.succeeded();
        return relayed;
      } catch (IOException e) {
        // The response was under way: nothing else can be sent to the client.
        selection.succeeded();
        connection.close();
        throw e;
      }
    }
    long sent = sendPage(502, keepAlive);
    return new long[] {502, sent & 0xFF_FFFF_FFFFL, keepAlive ? 1 : 0};
  }

  private byte[] backendRequestHead(HttpHead request, String upstreamName, int bodyLength) {
    StringBuilder head = new StringBuilder(256);
    head.append(request.first()).append(' ').append(request.second()).append(" HTTP/1.1\r\n");
    // nginx's default: proxy_set_header Host $proxy_host.
    head.append("Host: ").append(upstreamName).append("\r\n");
    String forwarded = request.header("X-Forwarded-For");
    for (String[] header : request.headers()) {
      String lower = header[0].toLowerCase(Locale.ROOT);
      if (lower.equals("host") || lower.equals("content-length") || lower.equals("x-forwarded-for")
          || request.isHopByHop(header[0])) {
        continue;
      }
      head.append(header[0]).append(": ").append(header[1]).append("\r\n");
    }
    String client = clientAddress.getHostAddress();
    head.append("X-Forwarded-For: ").append(forwarded == null ? client : forwarded + ", " + client).append("\r\n");
    if (bodyLength > 0 || request.header("Content-Length") != null || request.isChunked()) {
      head.append("Content-Length: ").append(bodyLength).append("\r\n");
    }
    head.append("\r\n");
    return head.toString().getBytes(StandardCharsets.ISO_8859_1);
  }

  /** Copies the backend's response to the client; returns {status, body bytes, keep-alive}. */
  private long[] relay(HttpHead request, HttpHead response, BackendConnection connection, boolean keepAlive)
      throws IOException {
    int status = response.status();
    boolean noBody = request.first().equals("HEAD") || status == 204 || status == 304 || status < 200;
    boolean chunked = !noBody && response.isChunked();
    long length = noBody || chunked ? -1 : response.contentLength();
    boolean untilClose = !noBody && !chunked && length < 0;
    boolean clientChunked = chunked && !request.isHttp10();
    boolean keep = keepAlive && !untilClose && (!chunked || clientChunked);

    StringBuilder head = new StringBuilder(256);
    head.append("HTTP/1.1 ").append(status).append(' ').append(response.third()).append("\r\n");
    for (String[] header : response.headers()) {
      if (response.isHopByHop(header[0]) || header[0].equalsIgnoreCase("Content-Length")) {
        continue;
      }
      head.append(header[0]).append(": ").append(header[1]).append("\r\n");
    }
    if (length >= 0) {
      head.append("Content-Length: ").append(length).append("\r\n");
    } else if (clientChunked) {
      head.append("Transfer-Encoding: chunked\r\n");
    }
    if (!keep) {
      head.append("Connection: close\r\n");
    } else if (request.isHttp10()) {
      head.append("Connection: keep-alive\r\n");
    }
    head.append("\r\n");
    out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
    long bytes = 0;
    if (length > 0) {
      connection.in.copyFixed(out, length);
      bytes = length;
    } else if (chunked) {
      bytes = connection.in.copyChunked(out, clientChunked);
    } else if (untilClose) {
      bytes = connection.in.copyToEnd(out);
    }
    out.flush();
    if (!untilClose && response.keepAlive() && !connection.in.hasBuffered()) {
      server.backends().release(connection);
    } else {
      connection.close();
    }
    return new long[] {status, bytes, keep ? 1 : 0};
  }

  private AdminRequest adminRequest(HttpHead request, byte[] body, long declared) {
    Map<String, List<String>> headers = new LinkedHashMap<>();
    for (String[] header : request.headers()) {
      headers.computeIfAbsent(header[0], key -> new ArrayList<>()).add(header[1]);
    }
    return new AdminRequest(request.first(), request.second(), headers, new ByteArrayInputStream(body), declared);
  }

  private long sendAdmin(HttpHead request, AdminResponse response, boolean keepAlive) throws IOException {
    Map<String, String> headers = new LinkedHashMap<>(response.headers());
    return send(request, response.status(), headers, response.body(), keepAlive);
  }

  private long sendReturn(HttpHead request, ProxyConfig.Return ret, boolean keepAlive) throws IOException {
    int status = ret.status();
    if (ret.text() != null && (status == 301 || status == 302 || status == 303 || status == 307 || status == 308)) {
      Map<String, String> headers = new LinkedHashMap<>();
      headers.put("Location", ret.text());
      return send(request, status, headers, ErrorPages.page(status), keepAlive);
    }
    if (ret.text() == null && status >= 400) {
      return sendPage(status, keepAlive);
    }
    return sendText(request, status, ret.text() == null ? "" : ret.text(), keepAlive);
  }

  private long sendText(HttpHead request, int status, String text, boolean keepAlive) throws IOException {
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("Content-Type", "text/plain");
    return send(request, status, headers, text.getBytes(StandardCharsets.UTF_8), keepAlive);
  }

  private long sendPage(int status, boolean keepAlive) throws IOException {
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("Content-Type", "text/html");
    return send(null, status, headers, ErrorPages.page(status), keepAlive);
  }

  /** Writes a whole response; returns status << 40 | body bytes, for the access log. */
  private long send(HttpHead request, int status, Map<String, String> headers, byte[] body, boolean keepAlive)
      throws IOException {
    boolean noBody = status == 204 || status == 304 || (request != null && request.first().equals("HEAD"));
    StringBuilder head = new StringBuilder(128);
    head.append("HTTP/1.1 ").append(status).append(' ').append(ErrorPages.reason(status)).append("\r\n");
    head.append("Server: dyups\r\n");
    for (Map.Entry<String, String> header : headers.entrySet()) {
      head.append(header.getKey()).append(": ").append(header.getValue()).append("\r\n");
    }
    if (status != 204 && status != 304) {
      head.append("Content-Length: ").append(body.length).append("\r\n");
    }
    if (!keepAlive) {
      head.append("Connection: close\r\n");
    } else if (request != null && request.isHttp10()) {
      head.append("Connection: keep-alive\r\n");
    }
    head.append("\r\n");
    out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
    if (!noBody) {
      out.write(body);
    }
    out.flush();
    return ((long) status << 40) | (noBody ? 0 : body.length);
  }

  /** The path of a request target (origin form, or absolute form), or null when it has none. */
  static String pathOf(String target) {
    String path = target;
    if (target.regionMatches(true, 0, "http://", 0, 7)) {
      int slash = target.indexOf('/', 7);
      path = slash < 0 ? "/" : target.substring(slash);
    }
    if (!path.startsWith("/")) {
      return null;
    }
    int query = path.indexOf('?');
    return query < 0 ? path : path.substring(0, query);
  }

  /** nginx's $host: the Host header without its port, lower-cased; the listen address when there is none. */
  private String hostOf(HttpHead request) {
    String host = request.header("Host");
    if (host == null || host.isEmpty()) {
      InetSocketAddress local = (InetSocketAddress) socket.getLocalSocketAddress();
      return local.getAddress().getHostAddress();
    }
    if (host.startsWith("[")) {
      int close = host.indexOf(']');
      return (close < 0 ? host : host.substring(0, close + 1)).toLowerCase(Locale.ROOT);
    }
    int colon = host.indexOf(':');
    return (colon < 0 ? host : host.substring(0, colon)).toLowerCase(Locale.ROOT);
  }

  private static String requestLine(HttpHead request) {
    return request.first() + " " + request.second() + " " + request.third();
  }

  private static String nullToDash(String value) {
    return value == null ? "-" : value;
  }

  private static String describe(IOException e) {
    if (e == null) {
      return "unknown error";
    }
    return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
  }
}
