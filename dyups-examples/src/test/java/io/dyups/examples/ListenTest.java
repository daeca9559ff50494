package io.dyups.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code listen ... reuseport} as nginx has it: without it one socket, and a second process on the port fails to
 * start; with it a socket per event loop with SO_REUSEPORT (io_uring, epoll), so that another such socket may join.
 */
class ListenTest {
  @TempDir Path first;
  @TempDir Path second;

  private static ProxyServer start(Path prefix, int port, String options) throws IOException {
    Path config = prefix.resolve("conf/nginx.conf");
    Files.createDirectories(config.getParent());
    Files.writeString(config, String.join("\n",
        "error_log logs/error.log;",
        "worker_processes 2;",
        "events {",
        "}",
        "http {",
        "    server {",
        "        listen 127.0.0.1:" + port + options + ";",
        "        location / {",
        "            echo here;",
        "        }",
        "    }",
        "}",
        ""));
    return ProxyServer.start(ProxyConfig.load(prefix, config));
  }

  @Test
  @SuppressWarnings("try") // the proxy only has to hold the port
  void withoutReuseportASecondProxyOnThePortDoesNotStart() throws IOException {
    int port = ProxyScenarioTest.freePort();
    try (ProxyServer running = start(first, port, "")) {
      assertThatThrownBy(() -> start(second, port, ""))
          .isInstanceOf(IOException.class)
          .hasMessageContaining("bind() to 127.0.0.1:" + port + " failed (98: Address already in use)");
      assertThat(RawHttp.request(port, "GET", "/", "any", null).body()).isEqualTo("here\n");
    }
  }

  @Test
  @SuppressWarnings("try") // the second proxy only has to share the port
  void withReuseportEveryEventLoopListensWithSoReuseport() throws IOException {
    assumeTrue(Transport.chosen().reusePort(), "SO_REUSEPORT is set on io_uring and epoll only");
    int port = ProxyScenarioTest.freePort();
    try (ProxyServer running = start(first, port, " reuseport")) {
      assertThat(running.listening()).containsExactly("127.0.0.1:" + port);
      // Another SO_REUSEPORT socket of the same user may join only if every socket on the port has the option.
      try (ProxyServer joined = start(second, port, " reuseport")) {
        assertThat(RawHttp.request(port, "GET", "/", "any", null).body()).isEqualTo("here\n");
      }
    }
  }
}
