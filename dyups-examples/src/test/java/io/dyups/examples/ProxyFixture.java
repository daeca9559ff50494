package io.dyups.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A proxy started on a configuration written by a test: {@code http} holds the test's directives, the traffic
 * server listens on {@link #front}, the admin server on {@link #admin} (127.0.0.1 only). Upstreams are POSTed
 * through the admin interface by the test.
 */
final class ProxyFixture implements AutoCloseable {
  final Path prefix;
  final int front;
  final int admin;
  final ProxyServer proxy;

  private ProxyFixture(Path prefix, int front, int admin, ProxyServer proxy) {
    this.prefix = prefix;
    this.front = front;
    this.admin = admin;
    this.proxy = proxy;
  }

  /**
   * Starts a proxy whose http block has {@code httpDirectives}, a traffic server with {@code serverDirectives} and
   * {@code location / { proxy_pass http://$host; LOCATION }}, and an admin server.
   */
  static ProxyFixture start(Path prefix, String main, String httpDirectives, String serverDirectives,
      String locationDirectives) throws IOException {
    return start(prefix, main, "", httpDirectives, serverDirectives, locationDirectives);
  }

  /** As {@link #start(Path, String, String, String, String)}, with {@code eventsDirectives} in the events block. */
  static ProxyFixture start(Path prefix, String main, String eventsDirectives, String httpDirectives,
      String serverDirectives, String locationDirectives) throws IOException {
    int front = ProxyScenarioTest.freePort();
    int admin = ProxyScenarioTest.freePort();
    Files.createDirectories(prefix.resolve("conf"));
    Files.writeString(prefix.resolve("conf/upstream.conf"), "");
    Files.writeString(prefix.resolve("conf/nginx.conf"), String.join("\n",
        "error_log logs/error.log info;",
        main,
        "events {",
        "    " + eventsDirectives,
        "}",
        "http {",
        "    dyups_upstream_conf upstream.conf;",
        "    " + httpDirectives,
        "    server {",
        "        listen 127.0.0.1:" + front + ";",
        "        " + serverDirectives,
        "        location / {",
        "            proxy_pass http://$host;",
        "            " + locationDirectives,
        "        }",
        "    }",
        "    server {",
        "        listen 127.0.0.1:" + admin + ";",
        "        location / {",
        "            dyups_interface;",
        "        }",
        "    }",
        "}",
        ""));
    ProxyServer proxy = ProxyServer.start(ProxyConfig.load(prefix, prefix.resolve("conf/nginx.conf")));
    return new ProxyFixture(prefix, front, admin, proxy);
  }

  /** Creates or replaces upstream {@code name} with {@code commands}; fails the test unless it succeeds. */
  void upstream(String name, String commands) throws IOException {
    RawHttp.Response response = RawHttp.request(admin, "POST", "/upstream/" + name, "127.0.0.1", commands);
    if (response.status() != 200) {
      throw new AssertionError("POST /upstream/" + name + ": " + response.status() + " " + response.body());
    }
  }

  /**
   * Fails unless the error log holds {@code text} within 10 s (lines are written by the log's own thread, a moment
   * after the event).
   */
  void assertLogged(String text) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + 10_000_000_000L;
    String log = errorLog();
    while (!log.contains(text) && System.nanoTime() < deadline) {
      Thread.sleep(10);
      log = errorLog();
    }
    assertThat(log).contains(text);
  }

  String errorLog() throws IOException {
    Path log = prefix.resolve("logs/error.log");
    return Files.exists(log) ? Files.readString(log) : "";
  }

  @Override
  public void close() {
    proxy.close();
  }
}
