package io.dyups.admin;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkState;
import static java.util.Objects.requireNonNull;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Serves an {@link AdminHandler} on the JDK's built-in HTTP server ({@code com.sun.net.httpserver}).
 *
 * <p>Safe by default: it binds 127.0.0.1 unless given another address. A request body is read only up to the
 * handler's limit. Before the JDK server is first used in the JVM this class sets the JDK's request deadline
 * ({@code sun.net.httpserver.maxReqTime}, default here 10 seconds, unless the property is already set), so a slow
 * or endless request cannot hold a connection open; the setting is per JVM.
 *
 * <p>A limit of the JDK server: it reads a request line whose target holds a raw space ({@code POST /upstream/a
 * b HTTP/1.1}) as the target {@code /upstream/a} and does not show the rest to this adapter, so clients must
 * percent-encode spaces in names ({@code %20}, which names cannot hold anyway: the answer is then 400). Serve the
 * handler from a stricter server where that matters.
 *
 * <pre>{@code
 * AdminServer server = AdminServer.builder(AdminHandler.of(registry)).port(8081).start();
 * ...
 * server.stop();
 * }</pre>
 */
public final class AdminServer implements AutoCloseable {
  static {
    if (System.getProperty("sun.net.httpserver.maxReqTime") == null) {
      System.setProperty("sun.net.httpserver.maxReqTime", "10");
    }
  }

  private final HttpServer server;
  private final ExecutorService executor;

  private AdminServer(HttpServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  /** Configures a server for {@code handler}: 127.0.0.1, a free port, four threads. */
  public static Builder builder(AdminHandler handler) {
    return new Builder(handler);
  }

  /** The address the server listens on, with the port it was given (useful after port 0). */
  public InetSocketAddress address() {
    return server.getAddress();
  }

  /** The port the server listens on. */
  public int port() {
    return server.getAddress().getPort();
  }

  /** Stops at once: closes the listener and every connection, and stops the threads. */
  public void stop() {
    stop(Duration.ZERO);
  }

  /**
   * Stops accepting, gives running requests up to {@code grace} (whole seconds, as the JDK server counts) to
   * finish, then closes every connection and stops the threads. Idle keep-alive connections make the JDK server
   * wait out the whole grace period.
   */
  public void stop(Duration grace) {
    server.stop((int) Math.min(Integer.MAX_VALUE, Math.max(0, grace.toSeconds())));
    executor.shutdownNow();
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    stop();
  }

  private static void serve(AdminHandler handler, HttpExchange exchange) throws IOException {
    try (exchange) {
      String target = exchange.getRequestURI().getRawPath();
      String query = exchange.getRequestURI().getRawQuery();
      if (query != null) {
        target = target + "?" + query;
      }
      String length = exchange.getRequestHeaders().getFirst("Content-Length");
      long contentLength = -1;
      if (length != null) {
        try {
          contentLength = Long.parseLong(length.trim());
        } catch (NumberFormatException e) {
          contentLength = -1;
        }
      }
      AdminResponse response = handler.handle(new AdminRequest(
          exchange.getRequestMethod(), target, exchange.getRequestHeaders(), exchange.getRequestBody(),
          contentLength));
      for (Map.Entry<String, String> header : response.headers().entrySet()) {
        exchange.getResponseHeaders().set(header.getKey(), header.getValue());
      }
      byte[] body = response.body();
      int status = response.status();
      boolean noBody = status == 204 || status == 304 || exchange.getRequestMethod().equals("HEAD");
      exchange.sendResponseHeaders(status, noBody ? -1 : body.length);
      if (!noBody && body.length > 0) {
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(body);
        }
      }
    }
  }

  /** Configures an {@link AdminServer}. */
  public static final class Builder {
    private final AdminHandler handler;
    private InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    private int threads = 4;
    private int backlog = 64;

    private Builder(AdminHandler handler) {
      this.handler = requireNonNull(handler, "handler");
    }

    /** Listens on {@code address} (default 127.0.0.1, a free port). */
    public Builder address(InetSocketAddress address) {
      this.address = requireNonNull(address, "address");
      return this;
    }

    /** Listens on 127.0.0.1:{@code port} (0: a free port). */
    public Builder port(int port) {
      checkArgument(port >= 0 && port <= 65535, "port must be 0-65535: %s", port);
      this.address = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
      return this;
    }

    /** The number of threads serving requests (default 4). */
    public Builder threads(int threads) {
      checkArgument(threads > 0, "threads must be > 0: %s", threads);
      this.threads = threads;
      return this;
    }

    /**
     * Binds and starts serving.
     *
     * @throws UncheckedIOException when the address cannot be bound
     */
    public AdminServer start() {
      AtomicInteger count = new AtomicInteger();
      ExecutorService executor = Executors.newFixedThreadPool(threads, runnable -> {
        Thread thread = new Thread(runnable, "dyups-admin-" + count.incrementAndGet());
        thread.setDaemon(true);
        return thread;
      });
      HttpServer server;
      try {
        server = HttpServer.create(address, backlog);
      } catch (IOException e) {
        executor.shutdownNow();
        throw new UncheckedIOException("cannot listen on " + address + ": " + e.getMessage(), e);
      }
      server.setExecutor(executor);
      server.createContext("/", exchange -> serve(handler, exchange));
      server.start();
      checkState(server.getAddress() != null, "server did not bind");
      return new AdminServer(server, executor);
    }
  }
}
