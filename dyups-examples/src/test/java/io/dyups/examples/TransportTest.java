package io.dyups.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.uring.IoUring;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
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
