package io.dyups.examples;

import io.dyups.admin.AdminHandler;
import io.dyups.admin.AdminResponse;
import io.dyups.core.HealthChecker;
import io.dyups.core.UpstreamRegistry;
import io.dyups.dns.DnsHostResolver;
import io.dyups.examples.ProxyConfig.AccessLogTarget;
import io.dyups.examples.ProxyConfig.Location;
import io.dyups.examples.ProxyConfig.Settings;
import io.dyups.examples.ProxyConfig.VirtualServer;
import io.dyups.micrometer.UpstreamMetrics;
import io.dyups.parser.ConfigSyntaxException;
import io.dyups.parser.ResolverSpec;
import io.dyups.parser.SourcePosition;
import io.dyups.zookeeper.ZooKeeperStore;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.unix.UnixChannelOption;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.EventExecutor;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * The running proxy, on Netty: traffic listeners on {@code worker_processes} event loops (one by default, as
 * nginx; one per processor with {@code auto}), and listeners whose server has a {@code dyups_interface} location
 * on an event loop of their own, with their own connection limit and accept queue, so that neither kind of client
 * can starve the other. Admin requests run on one thread beside the loops (a change writes the persistence file).
 * The registry, the admin handlers, the logs and the DNS client (for the upstreams' host names) are shared by all.
 */
final class ProxyServer implements AutoCloseable {
  /** The accept queue of each listener, nginx's default backlog on Linux. */
  private static final int BACKLOG = 511;

  private final ProxyConfig config;
  private final UpstreamRegistry registry;
  private final PrometheusMeterRegistry prometheus;
  // Whether the peers' meters are in prometheus yet; guarded by prometheus. They are registered at the first scrape,
  // not at start: fifteen meters a peer take Micrometer some 20 s for 100 000 upstreams, which a proxy nobody
  // scrapes should not spend. Their figures are the peers' own, so nothing counted before is missed.
  private boolean metersBound;
  // Prometheus's text exposition format, as PrometheusMeterRegistry.scrape() writes it.
  private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
  private final HealthChecker healthChecker;
  // Asked for by every event loop.
  private final Map<String, AdminHandler> admins = new ConcurrentHashMap<>();
  private final ServerLog errorLog;
  private final AccessLog accessLog;
  private final Map<AccessLogTarget, AccessLog.LogFile> logFiles = new HashMap<>();
  private final DnsHostResolver dns;
  private final Transport transport;
  private final EventLoopGroup traffic;
  @Nullable private final EventLoopGroup adminLoops;
  private final ExecutorService adminExecutor;
  // Streamed admin answers (large listings) are written here, off the change thread: a slow client delays no change.
  private final ExecutorService adminStreams;
  private final IdentityHashMap<EventLoop, LoopState> loops = new IdentityHashMap<>();
  private final List<Listener> listeners = new ArrayList<>();
  private final List<Channel> serverChannels = new ArrayList<>();
  private final List<InetSocketAddress> boundAddresses = new ArrayList<>();
  private final Map<String, Template> hashKeys = new ConcurrentHashMap<>();
  private final AtomicLong connectionIds = new AtomicLong();
  private final int trafficThreads;
  // Whether some access log writes $bytes_sent, which needs every write counted.
  private boolean countBytesSent;
  private volatile boolean stopping;

  /**
   * The servers that share one listening socket; a request goes to the one whose server_name matches its host,
   * else to the default server (the first, or the one marked default_server), as nginx chooses.
   */
  record Listener(InetSocketAddress address, List<VirtualServer> servers, VirtualServer defaultServer,
      boolean admin, @Nullable ListenerTls tls) {
    /** Whether a server on this address asked for {@code listen ... reuseport}. */
    boolean reusePort() {
      for (VirtualServer server : servers) {
        if (server.reusePort()) {
          return true;
        }
      }
      return false;
    }

    VirtualServer select(String host) {
      if (servers.size() == 1 || host.isEmpty()) {
        return defaultServer;
      }
      for (VirtualServer server : servers) {
        if (server.names().contains(host)) {
          return server;
        }
      }
      for (VirtualServer server : servers) {
        for (String name : server.names()) {
          if (name.startsWith("*.") && host.endsWith(name.substring(1))) {
            return server;
          }
          if (name.startsWith(".") && (host.endsWith(name) || host.equals(name.substring(1)))) {
            return server;
          }
          if (name.endsWith(".*") && host.startsWith(name.substring(0, name.length() - 1))) {
            return server;
          }
        }
      }
      return defaultServer;
    }
  }

  private ProxyServer(ProxyConfig config, UpstreamRegistry registry, DnsHostResolver dns, ServerLog errorLog,
      int trafficThreads, Transport transport) {
    this.config = config;
    this.registry = registry;
    this.dns = dns;
    this.errorLog = errorLog;
    this.trafficThreads = trafficThreads;
    // The peers' statistics, as Prometheus reads them from the admin server's /metrics.
    this.prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    // Upstreams with Tengine's "check" directive are checked actively; the others cost nothing.
    this.healthChecker = HealthChecker.builder(registry).start();
    this.transport = transport;
    this.traffic = transport.group(trafficThreads, "dyups-loop");
    boolean anyAdmin = config.servers().stream().anyMatch(VirtualServer::isAdmin);
    this.adminLoops = anyAdmin ? transport.group(1, "dyups-admin-loop") : null;
    this.adminExecutor = Executors.newSingleThreadExecutor(runnable -> {
      Thread thread = new Thread(runnable, "dyups-admin");
      thread.setDaemon(true);
      return thread;
    });
    AtomicInteger streams = new AtomicInteger();
    this.adminStreams = Executors.newFixedThreadPool(ADMIN_STREAMS, runnable -> {
      Thread thread = new Thread(runnable, "dyups-admin-stream-" + streams.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    });
    // One buffer per traffic loop, and one for the admin loop.
    this.accessLog = new AccessLog(trafficThreads + 1);
    int index = 0;
    for (EventExecutor executor : traffic) {
      loops.put((EventLoop) executor, new LoopState((EventLoop) executor, index++, config.workerConnections()));
    }
    if (adminLoops != null) {
      for (EventExecutor executor : adminLoops) {
        loops.put((EventLoop) executor,
            new LoopState((EventLoop) executor, trafficThreads, config.workerConnections()));
      }
    }
  }

  /**
   * Loads the registry, opens the logs and binds every listener; then starts serving. Nothing is left running
   * when any step fails.
   */
  static ProxyServer start(ProxyConfig config) throws IOException {
    return start(config, Transport.chosen());
  }

  /** As {@link #start(ProxyConfig)}, on {@code transport} whatever {@code -Ddyups.transport} says. */
  static ProxyServer start(ProxyConfig config, Transport transport) throws IOException {
    int threads = config.workerProcesses() > 0 ? config.workerProcesses() : Runtime.getRuntime().availableProcessors();
    ServerLog errorLog = ServerLog.open(config.errorLog(), config.errorLogLevel(), "dyups-error-log");
    // Host names are resolved by the registry when an upstream is defined, and again as their TTLs run out
    // (server ... resolve); a request connects to the address its peer was built with.
    DnsHostResolver dns = DnsHostResolver.create();
    UpstreamRegistry registry;
    try {
      registry = registryBuilder(config, dns).workers(Math.min(threads, 1024))
          .listener(new BackendSessions(config.backendTls())).build();
    } catch (RuntimeException e) {
      dns.close();
      errorLog.close();
      throw e;
    }
    ProxyServer server = new ProxyServer(config, registry, dns, errorLog, threads, transport);
    try {
      server.prepare();
      server.bind();
    } catch (IOException | RuntimeException e) {
      server.close();
      throw e;
    }
    server.warnAboutOpenAdmin();
    errorLog.notice("dyups proxy started, " + threads + " event loop" + (threads == 1 ? "" : "s") + " ("
        + server.transport.label + "), listening on " + server.listening());
    return server;
  }

  /** Loads the upstreams as a start would, and throws what a start would throw; used by {@code -t}. */
  static void checkUpstreams(ProxyConfig config) {
    try (DnsHostResolver dns = DnsHostResolver.create()) {
      registryBuilder(config, dns).build().close();
    }
  }

  private static UpstreamRegistry.Builder registryBuilder(ProxyConfig config, DnsHostResolver dns) {
    UpstreamRegistry.Builder builder = UpstreamRegistry.builder()
        .hostResolver(dns)
        .tryLock(config.tryLock())
        .maxCommandsSize(config.maxCommandsSize());
    for (var source : config.upstreamSources()) {
      builder.load(source);
    }
    ProxyConfig.ZooKeeper zookeeper = config.zookeeper();
    if (zookeeper != null) {
      // dyups_upstream_conf becomes the local copy of what ZooKeeper holds.
      ZooKeeperStore.Builder store = ZooKeeperStore.builder(zookeeper.hosts()).root(zookeeper.root())
          .sessionTimeout(zookeeper.sessionTimeout()).maxRequestBytes(zookeeper.maxRequestBytes());
      if (config.persistenceFile() != null) {
        store.cacheFile(config.persistenceFile());
      }
      builder.store(store.build());
    } else if (config.persistenceFile() != null) {
      builder.persistenceFile(config.persistenceFile());
    }
    ResolverSpec resolver = config.resolver();
    if (resolver != null) {
      builder.resolver(resolver);
    }
    Duration resolverTimeout = config.resolverTimeout();
    if (resolverTimeout != null) {
      builder.resolverTimeout(resolverTimeout);
    }
    return builder;
  }

  /** Admin handlers, log files and listeners, made before any loop serves. */
  private void prepare() throws IOException {
    Map<InetSocketAddress, List<VirtualServer>> byAddress = new LinkedHashMap<>();
    for (VirtualServer server : config.servers()) {
      byAddress.computeIfAbsent(server.listen(), address -> new ArrayList<>()).add(server);
      openLogs(server.defaults());
      for (Location location : server.locations()) {
        openLogs(location.settings());
        if (location.handler() instanceof ProxyConfig.DyupsInterface) {
          admin(location.settings().adminToken());
        }
      }
    }
    for (Map.Entry<InetSocketAddress, List<VirtualServer>> entry : byAddress.entrySet()) {
      List<VirtualServer> servers = entry.getValue();
      VirtualServer chosen = servers.get(0);
      for (VirtualServer server : servers) {
        if (server.defaultServer()) {
          if (chosen.defaultServer() && !chosen.equals(server)) {
            throw new ConfigSyntaxException("a duplicate default server for " + describe(entry.getKey()),
                server.position());
          }
          chosen = server;
        }
      }
      boolean admin = servers.stream().anyMatch(VirtualServer::isAdmin);
      listeners.add(new Listener(entry.getKey(), List.copyOf(servers), chosen, admin,
          ListenerTls.of(servers, chosen)));
    }
    for (LoopState loop : loops.values()) {
      loop.deadlines.start(loop.loop, () -> loop.backends.trim(System.nanoTime()));
      for (AccessLog.LogFile file : accessLog.timed()) {
        loop.loop.scheduleAtFixedRate(() -> file.flush(loop.index), file.flushNanos, file.flushNanos,
            TimeUnit.NANOSECONDS);
      }
    }
  }

  private void openLogs(Settings settings) throws IOException {
    for (AccessLogTarget target : settings.accessLogs()) {
      countBytesSent |= target.format().template().uses("bytes_sent");
      if (!logFiles.containsKey(target)) {
        logFiles.put(target, accessLog.open(target));
      }
    }
  }

  /**
   * Binds every listener. With {@code listen ... reuseport} (on io_uring or epoll), a listener gets one socket per
   * event loop with SO_REUSEPORT, as nginx gives one per worker: the kernel spreads new connections over the loops,
   * each loop accepts its own and serves them where they were accepted. Without it, as nginx, one socket, and a second
   * process on the same port fails to start rather than share it. On NIO, {@code reuseport} is accepted and has
   * no effect.
   */
  private void bind() throws IOException {
    for (Listener listener : listeners) {
      EventLoopGroup group = listener.admin() && adminLoops != null ? adminLoops : traffic;
      List<EventLoopGroup> acceptors = new ArrayList<>();
      boolean reusePort = transport.reusePort() && listener.reusePort();
      if (reusePort) {
        for (EventExecutor executor : group) {
          acceptors.add((EventLoop) executor);
        }
      } else {
        acceptors.add(group);
      }
      InetSocketAddress address = listener.address();
      for (EventLoopGroup acceptor : acceptors) {
        ServerBootstrap bootstrap = new ServerBootstrap()
            .group(acceptor, reusePort ? acceptor : group)
            .channel(transport.serverChannel())
            .option(ChannelOption.SO_BACKLOG, BACKLOG)
            .option(ChannelOption.SO_REUSEADDR, true)
            // No childOption(TCP_NODELAY): every transport's socket config turns it on when the channel is made
            // (TransportTest pins it), and setting it again cost each accept one more setsockopt.
            .childHandler(new ChannelInitializer<>() {
              @Override
              protected void initChannel(Channel channel) {
                accepted(channel, listener);
              }
            });
        if (reusePort) {
          bootstrap.option(UnixChannelOption.SO_REUSEPORT, true);
        }
        ChannelFuture bound = bootstrap.bind(address).awaitUninterruptibly();
        if (!bound.isSuccess()) {
          Throwable cause = bound.cause();
          String why = cause instanceof BindException || String.valueOf(cause.getMessage()).contains("in use")
              ? "98: Address already in use" : String.valueOf(cause.getMessage());
          throw new IOException("bind() to " + describe(listener.address()) + " failed (" + why + ")", cause);
        }
        serverChannels.add(bound.channel());
        // Port 0 asks for any port once: the other loops' sockets share the one the first got.
        address = (InetSocketAddress) bound.channel().localAddress();
      }
      boundAddresses.add(address);
    }
  }

  /** The state of the loop a channel was registered with: every loop of both groups has one. */
  private LoopState loopOf(Channel channel) {
    return Objects.requireNonNull(loops.get(channel.eventLoop()), "a channel on a loop of neither group");
  }

    private void accepted(Channel channel, Listener listener) {
    LoopState loop = loopOf(channel);
    if (stopping || !loop.tryOpen()) {
      if (!stopping && loop.shouldWarnAboutLimit()) {
        errorLog.warn(loop.maxConnections + " worker_connections are not enough, closing a connection from "
            + channel.remoteAddress() + " to " + describe(listener.address()));
      }
      channel.close();
      return;
    }
    channel.closeFuture().addListener(future -> loop.closed());
    ClientConnection connection = new ClientConnection(this, listener, loop, connectionIds.incrementAndGet(),
        channel);
    ProxyConfig.ServerSettings limits = listener.defaultServer().settings();
    HttpDecoderConfig decoder = new HttpDecoderConfig()
        .setMaxInitialLineLength(limits.largeHeaderBufferSize())
        .setMaxHeaderSize(limits.largeHeaderBuffers() * limits.largeHeaderBufferSize())
        .setInitialBufferSize(limits.clientHeaderBufferSize())
        .setMaxChunkSize(64 * 1024);
    ListenerTls tls = listener.tls();
    if (tls != null) {
      // Nearest the socket: $bytes_sent counts what the client is sent before encryption, as nginx's c->sent.
      channel.pipeline().addLast(tls.newHandler(channel));
      if (tls.http2()) {
        channel.pipeline().addLast(new Alpn(listener, loop, connection, decoder));
        return;
      }
    }
    http1(channel, connection, decoder);
  }

  private void http1(Channel channel, ClientConnection connection, HttpDecoderConfig decoder) {
    if (countBytesSent) {
      channel.pipeline().addLast(new SentBytes(connection));
    }
    channel.pipeline().addLast(new HttpServerCodec(decoder), connection);
  }

  /**
   * HTTP/2 on a TLS connection whose client chose {@code h2}: each stream is a child channel whose frames Netty's
   * codec turns into the HTTP/1.1 messages a {@link ClientConnection} serves, one connection object per stream (on
   * the connection's event loop, with the connection's number for {@code $connection}). nginx's defaults: 128
   * concurrent streams ({@code http2_max_concurrent_streams}), a header list as large as the
   * {@code large_client_header_buffers} allow, and a connection with no open stream closed after
   * {@code keepalive_timeout}.
   */
  private void http2(Channel channel, Listener listener, LoopState loop, long id) {
    ProxyConfig.ServerSettings limits = listener.defaultServer().settings();
    Http2FrameCodec codec = Http2FrameCodecBuilder.forServer()
        .initialSettings(Http2Settings.defaultSettings()
            .maxConcurrentStreams(HTTP2_MAX_CONCURRENT_STREAMS)
            .maxHeaderListSize((long) limits.largeHeaderBuffers() * limits.largeHeaderBufferSize()))
        .build();
    long idleMillis = listener.defaultServer().defaults().keepaliveTimeout().toMillis();
    if (idleMillis > 0) {
      channel.pipeline().addLast(new IdleStateHandler(0, 0, idleMillis, TimeUnit.MILLISECONDS));
    }
    channel.pipeline().addLast(codec, new Http2MultiplexHandler(new ChannelInitializer<Http2StreamChannel>() {
      @Override
      protected void initChannel(Http2StreamChannel stream) {
        ClientConnection connection = new ClientConnection(ProxyServer.this, listener, loop, id, stream);
        if (countBytesSent) {
          stream.pipeline().addLast(new StreamSentBytes(connection));
        }
        stream.pipeline().addLast(new Http2StreamFrameToHttpObjectCodec(true), Http2Version.INSTANCE, connection);
      }
    }), new Http2Idle(codec));
  }

  /**
   * First on an HTTP/2 stream's pipeline when a log format uses $bytes_sent: the stream's frames as they go out,
   * each with its 9-byte frame header, DATA by payload, HEADERS by the names and values of its fields as they are
   * before HPACK compresses them (nginx counts the compressed bytes: this is near it, a little above).
   */
  private static final class StreamSentBytes extends ChannelOutboundHandlerAdapter {
    private static final int FRAME_HEADER = 9;
    private final ClientConnection connection;

    StreamSentBytes(ClientConnection connection) {
      this.connection = connection;
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
      if (msg instanceof Http2DataFrame data) {
        connection.bytesWritten += FRAME_HEADER + data.content().readableBytes() + data.padding();
      } else if (msg instanceof Http2HeadersFrame headers) {
        long size = FRAME_HEADER;
        for (Map.Entry<CharSequence, CharSequence> field : headers.headers()) {
          size += field.getKey().length() + field.getValue().length();
        }
        connection.bytesWritten += size;
      }
      ctx.write(msg, promise);
    }
  }

  /** nginx's {@code http2_max_concurrent_streams} default (ngx_http_v2_module.c). */
  private static final int HTTP2_MAX_CONCURRENT_STREAMS = 128;

  /** After the TLS handshake, HTTP/2 or HTTP/1.1 as the client's ALPN choice says. */
  private final class Alpn extends ApplicationProtocolNegotiationHandler {
    private final Listener listener;
    private final LoopState loop;
    private final ClientConnection connection;
    private final HttpDecoderConfig decoder;

    Alpn(Listener listener, LoopState loop, ClientConnection connection, HttpDecoderConfig decoder) {
      super(ApplicationProtocolNames.HTTP_1_1);
      this.listener = listener;
      this.loop = loop;
      this.connection = connection;
      this.decoder = decoder;
    }

    @Override
    protected void configurePipeline(ChannelHandlerContext ctx, String protocol) {
      if (protocol.equals(ApplicationProtocolNames.HTTP_2)) {
        http2(ctx.channel(), listener, loop, connection.id());
      } else {
        http1(ctx.channel(), connection, decoder);
      }
    }

    @Override
    protected void handshakeFailure(ChannelHandlerContext ctx, Throwable cause) {
      // As on an HTTP/1.1 listener: a failed handshake ends the connection, nothing to answer.
      ctx.close();
    }
  }

  /** The request line of an HTTP/2 request says HTTP/2.0, as nginx's $request and $server_protocol do. */
  @ChannelHandler.Sharable
  private static final class Http2Version extends ChannelInboundHandlerAdapter {
    static final Http2Version INSTANCE = new Http2Version();

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof HttpRequest request) {
        request.setProtocolVersion(RequestChecks.HTTP_2_0);
      }
      ctx.fireChannelRead(msg);
    }
  }

  /** Closes an HTTP/2 connection that stayed idle for keepalive_timeout with no stream open. */
  private static final class Http2Idle extends ChannelInboundHandlerAdapter {
    private final Http2FrameCodec codec;

    Http2Idle(Http2FrameCodec codec) {
      this.codec = codec;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
      if (event instanceof IdleStateEvent) {
        if (codec.connection().numActiveStreams() == 0) {
          ctx.close();
        }
        return;
      }
      ctx.fireUserEventTriggered(event);
    }
  }

  /** First on a client's pipeline when a log format uses $bytes_sent: counts the bytes written. */
  private static final class SentBytes extends ChannelOutboundHandlerAdapter {
    private final ClientConnection connection;

    SentBytes(ClientConnection connection) {
      this.connection = connection;
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
      if (msg instanceof ByteBuf buf) {
        connection.bytesWritten += buf.readableBytes();
      }
      ctx.write(msg, promise);
    }
  }

  /**
   * A new, unregistered channel to a backend, with the location's connect timeout and TLS first on it when
   * {@code tls} is given; its {@link BackendConnection} adds the response decoder and itself.
   */
  Channel newBackendChannel(Settings settings, @Nullable SslHandler tls) {
    Channel channel = transport.newSocket();
    long connectMillis = Math.max(1, Math.min(Integer.MAX_VALUE, settings.proxyConnectTimeout().toMillis()));
    channel.config().setOption(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) connectMillis);
    // TCP_NODELAY is on already: the transport's socket config sets it when the channel is made (TransportTest),
    // and setting it here too cost each backend connection one more setsockopt.
    if (tls != null) {
      channel.pipeline().addLast(tls);
    }
    return channel;
  }

  private void warnAboutOpenAdmin() {
    for (Listener listener : listeners) {
      if (!listener.admin() || isLoopback(listener.address())) {
        continue;
      }
      for (VirtualServer server : listener.servers()) {
        for (Location location : server.locations()) {
          boolean changes = location.handler() instanceof ProxyConfig.DyupsInterface
              || (location.handler() instanceof ProxyConfig.PlusApiHandler api && api.write());
          if (changes && location.settings().accessRules().isEmpty()
              && location.settings().adminToken() == null) {
            SourcePosition at = location.position();
            String directive = location.handler() instanceof ProxyConfig.DyupsInterface ? "dyups_interface"
                : "api write=on";
            errorLog.warn(directive + " in " + at.file() + ":" + at.line() + " is reachable from any address on "
                + describe(listener.address()) + " with neither allow/deny nor dyups_interface_token: anyone who "
                + "reaches the port can change the upstreams");
          }
        }
      }
    }
  }

  private static boolean isLoopback(InetSocketAddress address) {
    return address.getAddress() != null && address.getAddress().isLoopbackAddress();
  }

  // ---- what connections use

  ProxyConfig config() {
    return config;
  }

  UpstreamRegistry registry() {
    return registry;
  }

  ServerLog errorLog() {
    return errorLog;
  }

  ExecutorService adminExecutor() {
    return adminExecutor;
  }

  /**
   * Where streamed admin answers are written, {@value #ADMIN_STREAMS} at once; more wait their turn. Each writer
   * waits while its client does not take what it wrote, until {@code send_timeout} closes that client.
   */
  ExecutorService adminStreams() {
    return adminStreams;
  }

  static final int ADMIN_STREAMS = 4;

  boolean isStopping() {
    return stopping;
  }

  /** The peers' meters as Prometheus text; the first scrape registers them. */
  private String scrape() {
    synchronized (prometheus) {
      if (!metersBound) {
        UpstreamMetrics.of(registry).bindTo(prometheus);
        metersBound = true;
      }
    }
    return prometheus.scrape();
  }

  /** The admin handler for a location's token (null: none). */
  AdminHandler admin(@Nullable String token) {
    return admins.computeIfAbsent(token == null ? "" : token, key -> {
      AdminHandler.Builder builder = AdminHandler.builder(registry).maxBodySize(config.maxCommandsSize())
          .route("/metrics", request -> new AdminResponse(200, Map.of("Content-Type", PROMETHEUS_TEXT),
              scrape().getBytes(StandardCharsets.UTF_8)));
      if (!key.isEmpty()) {
        builder.bearerToken(key);
      }
      return builder.build();
    });
  }

  /**
   * The handler of NGINX Plus's {@code api} directive in the location at {@code path}, for a location's token
   * (null: none).
   */
  AdminHandler plusApi(@Nullable String token, String path, boolean write) {
    return admins.computeIfAbsent((token == null ? "" : token) + "\0api\0" + path + "\0" + write, key -> {
      AdminHandler.Builder builder = AdminHandler.builder(registry).maxBodySize(config.maxCommandsSize())
          .plusApiOnly(path, write);
      if (token != null) {
        builder.bearerToken(token);
      }
      return builder.build();
    });
  }

  /** The open file of an access log target; every target of the configuration was opened at start. */
  AccessLog.LogFile logFile(AccessLogTarget target) {
    return Objects.requireNonNull(logFiles.get(target), "an access log not opened at start");
  }

  /** The compiled {@code hash KEY} of an upstream, or null when it names a variable the proxy does not know. */
  @Nullable
  Template hashKey(String key) {
    Template template = hashKeys.get(key);
    if (template == null) {
      try {
        template = Template.compile(key, new SourcePosition("hash", 1, 1));
      } catch (ConfigSyntaxException e) {
        errorLog.error("hash key \"" + key + "\": " + e.reason() + "; hashing an empty key");
        template = Template.compile("", new SourcePosition("hash", 1, 1));
      }
      hashKeys.put(key, template);
    }
    return template;
  }

  /** The listening addresses as nginx writes them, such as {@code 0.0.0.0:8080}. */
  List<String> listening() {
    List<String> result = new ArrayList<>();
    for (InetSocketAddress address : boundAddresses) {
      result.add(describe(address));
    }
    return result;
  }

  /** The number of event loops serving traffic. */
  int trafficLoops() {
    return trafficThreads;
  }

  /** Connections open on traffic loops (clients and backends), read on each loop; for tests. */
  int openConnections() throws InterruptedException {
    int total = 0;
    for (LoopState loop : loops.values()) {
      total += loop.loop.submit(() -> loop.connections).syncUninterruptibly().getNow();
    }
    return total;
  }

  /** Idle pooled backend connections on every loop; for tests. */
  int idleBackendConnections() {
    int total = 0;
    for (LoopState loop : loops.values()) {
      total += loop.loop.submit(loop.backends::size).syncUninterruptibly().getNow();
    }
    return total;
  }

  /** Stops listening, closes every connection, flushes and closes the logs. */
  @Override
  public void close() {
    if (stopping) {
      return;
    }
    stopping = true;
    for (Channel channel : serverChannels) {
      channel.close().awaitUninterruptibly();
    }
    var trafficDone = traffic.shutdownGracefully(0, 2, TimeUnit.SECONDS);
    var adminDone = adminLoops == null ? null : adminLoops.shutdownGracefully(0, 2, TimeUnit.SECONDS);
    trafficDone.awaitUninterruptibly(5, TimeUnit.SECONDS);
    if (adminDone != null) {
      adminDone.awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
    adminExecutor.shutdown();
    // A listing still being written stops: its client's connection is closed already.
    adminStreams.shutdownNow();
    try {
      adminExecutor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    accessLog.close();
    healthChecker.close();
    registry.close();
    prometheus.close();
    dns.close();
    errorLog.notice("dyups proxy stopped");
    errorLog.close();
  }

  static String describe(InetSocketAddress address) {
    String host = address.getAddress() == null ? address.getHostString()
        : address.getAddress().isAnyLocalAddress() ? "0.0.0.0" : address.getAddress().getHostAddress();
    return host + ":" + address.getPort();
  }
}
