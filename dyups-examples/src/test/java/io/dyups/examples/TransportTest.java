package io.dyups.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.uring.IoUring;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Which transport the proxy runs on: io_uring where the kernel allows it, else epoll, else NIO; {@code
 * -Ddyups.transport} picks one, and a name it does not know or a transport that cannot run stops the start.
 */
class TransportTest {
  @TempDir Path prefix;

  @Test
  void withoutANameTheBestAvailableTransportIsChosen() throws IOException {
    Transport expected = IoUring.isAvailable() ? Transport.IO_URING
        : Epoll.isAvailable() ? Transport.EPOLL : Transport.NIO;
    assertThat(Transport.named(null)).isEqualTo(expected);
    assertThat(Transport.named("")).isEqualTo(expected);
  }

  @Test
  void ioUringIsTheDefaultWhereTheKernelAllowsIt() throws IOException {
    assumeTrue(IoUring.isAvailable(), "io_uring is not available here");
    assertThat(Transport.named(null)).isEqualTo(Transport.IO_URING);
  }

  @ParameterizedTest
  @ValueSource(strings = {"io_uring", "IO_URING", "epoll", "nio"})
  void aNamedTransportThatCanRunIsChosen(String name) throws IOException {
    Transport transport = Transport.valueOf(name.toUpperCase(Locale.ROOT));
    assumeTrue(transport != Transport.IO_URING || IoUring.isAvailable(), "io_uring is not available here");
    assumeTrue(transport != Transport.EPOLL || Epoll.isAvailable(), "epoll is not available here");
    assertThat(Transport.named(name)).isEqualTo(transport);
  }

  @Test
  void anUnknownNameIsRefusedWithTheNamesItTakes() {
    assertThatThrownBy(() -> Transport.named("kqueue"))
        .isInstanceOf(IOException.class)
        .hasMessage("-Ddyups.transport=kqueue: unknown transport, expected one of io_uring, epoll, nio");
  }

  @Test
  void aTransportThatCannotRunHereIsRefusedWithItsReason() {
    assumeTrue(!IoUring.isAvailable(), "io_uring runs here");
    assertThatThrownBy(() -> Transport.named("io_uring"))
        .isInstanceOf(IOException.class)
        .hasMessageStartingWith("-Ddyups.transport=io_uring: the io_uring transport is not available here (");
  }

  /**
   * The proxy sets TCP_NODELAY on no socket itself (a setsockopt per connection saved): it relies on each
   * transport's socket config turning it on when a channel is made, the backend sockets made here and the accepted
   * ones alike (the same channel class and config).
   */
  @ParameterizedTest
  @ValueSource(strings = {"io_uring", "epoll", "nio"})
  void everyTransportsSocketsComeWithTcpNoDelay(String name) {
    Transport transport = Transport.valueOf(name.toUpperCase(Locale.ROOT));
    assumeTrue(transport != Transport.IO_URING || IoUring.isAvailable(), "io_uring is not available here");
    assumeTrue(transport != Transport.EPOLL || Epoll.isAvailable(), "epoll is not available here");
    Channel channel = transport.newSocket();
    try {
      assertThat(channel.config().getOption(ChannelOption.TCP_NODELAY)).isTrue();
    } finally {
      channel.unsafe().closeForcibly();
    }
  }

  /**
   * The lingering close's half-close ({@link Transport#shutdownOutput}) is the same on every transport, whether it
   * calls the socket directly (io_uring, epoll) or goes through Netty's {@code shutdownOutput} (NIO): the peer reads
   * the end of the stream, the channel says its output is shut down and stays open, and what the peer still sends is
   * read.
   */
  @ParameterizedTest
  @ValueSource(strings = {"io_uring", "epoll", "nio"})
  void theHalfCloseSendsTheEndAndKeepsReading(String name) throws Exception {
    Transport transport = Transport.valueOf(name.toUpperCase(Locale.ROOT));
    assumeTrue(transport != Transport.IO_URING || IoUring.isAvailable(), "io_uring is not available here");
    assumeTrue(transport != Transport.EPOLL || Epoll.isAvailable(), "epoll is not available here");
    EventLoopGroup group = transport.group(1, "half-close-" + name);
    try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      LinkedBlockingQueue<String> read = new LinkedBlockingQueue<>();
      Channel channel = transport.newSocket();
      channel.pipeline().addLast(new ChannelInboundHandlerAdapter() {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
          ByteBuf bytes = (ByteBuf) msg;
          read.add(bytes.toString(StandardCharsets.US_ASCII));
          bytes.release();
        }
      });
      group.register(channel).sync();
      channel.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), listener.getLocalPort())).sync();
      try (Socket peer = listener.accept()) {
        peer.setSoTimeout(10_000);
        channel.writeAndFlush(channel.alloc().buffer().writeBytes("answer".getBytes(StandardCharsets.US_ASCII)))
            .sync();
        channel.eventLoop().submit(() -> Transport.shutdownOutput((DuplexChannel) channel)).get();

        InputStream in = peer.getInputStream();
        assertThat(new String(in.readNBytes(6), StandardCharsets.US_ASCII)).isEqualTo("answer");
        assertThat(in.read()).isEqualTo(-1);
        assertThat(((DuplexChannel) channel).isOutputShutdown()).isTrue();
        assertThat(channel.isOpen()).isTrue();
        peer.getOutputStream().write("more".getBytes(StandardCharsets.US_ASCII));
        peer.getOutputStream().flush();
        assertThat(read.poll(10, TimeUnit.SECONDS)).isEqualTo("more");
      } finally {
        channel.close().sync();
      }
    } finally {
      group.shutdownGracefully(0, 0, TimeUnit.SECONDS).sync();
    }
  }

  /** Each transport serves a request end to end: the listener, the connection to the backend, the answer. */
  @ParameterizedTest
  @ValueSource(strings = {"io_uring", "epoll", "nio"})
  @SuppressWarnings("try") // the proxy only has to run
  void everyTransportThatCanRunProxiesARequest(String name) throws IOException {
    Transport transport = Transport.valueOf(name.toUpperCase(Locale.ROOT));
    assumeTrue(transport != Transport.IO_URING || IoUring.isAvailable(), "io_uring is not available here");
    assumeTrue(transport != Transport.EPOLL || Epoll.isAvailable(), "epoll is not available here");
    try (TestBackend backend = new TestBackend()) {
      int front = ProxyScenarioTest.freePort();
      Path config = prefix.resolve("conf/nginx.conf");
      Files.createDirectories(config.getParent());
      Files.writeString(config, String.join("\n",
          "error_log logs/error.log;",
          "events {",
          "}",
          "http {",
          "    upstream app {",
          "        server 127.0.0.1:" + backend.port() + ";",
          "    }",
          "    server {",
          "        listen 127.0.0.1:" + front + ";",
          "        location / {",
          "            proxy_pass http://app;",
          "        }",
          "    }",
          "}",
          ""));
      try (ProxyServer proxy = ProxyServer.start(ProxyConfig.load(prefix, config), transport)) {
        assertThat(RawHttp.request(front, "GET", "/over-" + name, "app", null).status()).isEqualTo(200);
        assertThat(backend.seen).extracting(TestBackend.Seen::requestLine)
            .containsExactly("GET /over-" + name + " HTTP/1.0"); // nginx's proxy_http_version
      }
    }
  }
}
