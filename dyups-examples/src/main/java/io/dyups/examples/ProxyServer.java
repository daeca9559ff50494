package io.dyups.examples;

import io.dyups.admin.AdminHandler;
import io.dyups.core.HealthChecker;
import io.dyups.core.UpstreamRegistry;
import io.dyups.examples.ProxyConfig.VirtualServer;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The running proxy: one listening socket per {@code listen} address, a thread per client connection (Java 17
 * has no virtual threads; a blocking thread per connection keeps the request path simple and is plenty for an
 * example), the registry and the admin handler shared by all.
 */
final class ProxyServer implements AutoCloseable {
  private final ProxyConfig config;
  private final UpstreamRegistry registry;
  private final HealthChecker healthChecker;
  private final AdminHandler admin;
  private final ServerLog errorLog;
  private final ServerLog accessLog;
  private final BackendPool backends;
  private final List<ServerSocket> listeners = new ArrayList<>();
  private final Set<Socket> connections = ConcurrentHashMap.newKeySet();
  private final ThreadPoolExecutor workers;
  private final int clientTimeoutMillis;
  private volatile boolean stopping;

  private ProxyServer(ProxyConfig config, UpstreamRegistry registry, ServerLog errorLog, ServerLog accessLog,
      Options options) {
    this.config = config;
    this.registry = registry;
    // Upstreams with Tengine's "check" directive are checked actively; the others cost nothing.
    this.healthChecker = HealthChecker.builder(registry).start();
    this.admin = AdminHandler.builder(registry).maxBodySize(config.maxCommandsSize()).build();
    this.errorLog = errorLog;
    this.accessLog = accessLog;
    this.backends = new BackendPool(options.connectTimeoutMillis, options.readTimeoutMillis);
    this.clientTimeoutMillis = options.clientTimeoutMillis;
    AtomicInteger threads = new AtomicInteger();
    this.workers = new ThreadPoolExecutor(0, options.maxConnections, 60, TimeUnit.SECONDS, new SynchronousQueue<>(),
        runnable -> {
          Thread thread = new Thread(runnable, "dyups-proxy-" + threads.incrementAndGet());
          thread.setDaemon(true);
          return thread;
        });
  }

  /** Timeouts and limits; nginx's defaults unless a test wants shorter ones. */
  static final class Options {
    int connectTimeoutMillis = 60_000;
    int readTimeoutMillis = 60_000;
    int clientTimeoutMillis = 75_000;
    int maxConnections = 1024;
  }

  /**
   * Loads the registry, opens the logs and binds every listener; then starts serving. Nothing is left running
   * when any step fails.
   */
  static ProxyServer start(ProxyConfig config, Options options) throws IOException {
    UpstreamRegistry registry = registryBuilder(config).build();
    ServerLog errorLog = ServerLog.open(config.errorLog(), "dyups-error-log");
    ServerLog accessLog = ServerLog.open(
        config.prefix().resolve("logs").resolve("access.log"), "dyups-access-log");
    ProxyServer server = new ProxyServer(config, registry, errorLog, accessLog, options);
    try {
      server.bind();
    } catch (IOException | RuntimeException e) {
      server.close();
      throw e;
    }
    server.startAccepting();
    errorLog.notice("dyups proxy started, listening on " + server.listening());
    return server;
  }

  /** Loads the upstreams as a start would, and throws what a start would throw; used by {@code -t}. */
  static void checkUpstreams(ProxyConfig config) {
    registryBuilder(config).build().close();
  }

  private static UpstreamRegistry.Builder registryBuilder(ProxyConfig config) {
    UpstreamRegistry.Builder builder = UpstreamRegistry.builder()
        .tryLock(config.tryLock())
        .maxCommandsSize(config.maxCommandsSize());
    for (var source : config.upstreamSources()) {
      builder.load(source);
    }
    if (config.persistenceFile() != null) {
      builder.persistenceFile(config.persistenceFile());
    }
    return builder;
  }

  private void bind() throws IOException {
    Map<InetSocketAddress, Boolean> seen = new LinkedHashMap<>();
    for (VirtualServer virtualServer : config.servers()) {
      if (seen.put(virtualServer.listen(), Boolean.TRUE) != null) {
        throw new IOException("a duplicate listen " + describe(virtualServer.listen()));
      }
      ServerSocket socket = new ServerSocket();
      socket.setReuseAddress(true);
      try {
        socket.bind(virtualServer.listen(), 511);
      } catch (BindException e) {
        socket.close();
        throw new IOException("bind() to " + describe(virtualServer.listen()) + " failed (98: " + e.getMessage()
            + ")", e);
      }
      listeners.add(socket);
    }
  }

  private void startAccepting() {
    for (int i = 0; i < listeners.size(); i++) {
      ServerSocket listener = listeners.get(i);
      VirtualServer virtualServer = config.servers().get(i);
      Thread thread = new Thread(() -> accept(listener, virtualServer),
          "dyups-accept-" + listener.getLocalPort());
      thread.setDaemon(true);
      thread.start();
    }
  }

  private void accept(ServerSocket listener, VirtualServer virtualServer) {
    while (!stopping) {
      Socket socket;
      try {
        socket = listener.accept();
      } catch (SocketException e) {
        return;
      } catch (IOException e) {
        errorLog.error("accept() failed: " + e.getMessage());
        continue;
      }
      try {
        workers.execute(new ClientConnection(this, virtualServer, socket));
      } catch (RejectedExecutionException e) {
        errorLog.error("too many connections; closing one from " + socket.getRemoteSocketAddress());
        try {
          socket.close();
        } catch (IOException ignored) {
          // Closing a connection we could not serve.
        }
      }
    }
  }

  /** Each listener's address (with the real port when 0 was asked) to its virtual server. */
  Map<InetSocketAddress, VirtualServer> addresses() {
    Map<InetSocketAddress, VirtualServer> result = new LinkedHashMap<>();
    for (int i = 0; i < listeners.size(); i++) {
      result.put((InetSocketAddress) listeners.get(i).getLocalSocketAddress(), config.servers().get(i));
    }
    return result;
  }

  /** The listening addresses as nginx writes them, such as {@code 0.0.0.0:8080}. */
  List<String> listening() {
    List<String> result = new ArrayList<>();
    for (InetSocketAddress address : addresses().keySet()) {
      result.add(describe(address));
    }
    return result;
  }

  UpstreamRegistry registry() {
    return registry;
  }

  AdminHandler admin() {
    return admin;
  }

  BackendPool backends() {
    return backends;
  }

  ServerLog log() {
    return accessLog;
  }

  ServerLog errors() {
    return errorLog;
  }

  int clientTimeoutMillis() {
    return clientTimeoutMillis;
  }

  boolean isStopping() {
    return stopping;
  }

  void opened(Socket socket) {
    connections.add(socket);
  }

  void closed(Socket socket) {
    connections.remove(socket);
  }

  /** Stops listening, closes every connection and the logs. */
  @Override
  public void close() {
    if (stopping) {
      return;
    }
    stopping = true;
    for (ServerSocket listener : listeners) {
      try {
        listener.close();
      } catch (IOException ignored) {
        // Stopping anyway.
      }
    }
    for (Socket socket : connections) {
      try {
        socket.close();
      } catch (IOException ignored) {
        // Stopping anyway.
      }
    }
    // Let connection threads finish what they were doing (their access log lines among it) before the logs close.
    workers.shutdown();
    try {
      if (!workers.awaitTermination(2, TimeUnit.SECONDS)) {
        workers.shutdownNow();
      }
    } catch (InterruptedException e) {
      workers.shutdownNow();
      Thread.currentThread().interrupt();
    }
    backends.close();
    healthChecker.close();
    registry.close();
    errorLog.notice("dyups proxy stopped");
    errorLog.close();
    accessLog.close();
  }

  private static String describe(InetSocketAddress address) {
    String host = address.getAddress().isAnyLocalAddress() ? "0.0.0.0" : address.getAddress().getHostAddress();
    return host + ":" + address.getPort();
  }
}
