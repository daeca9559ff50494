package io.dyups.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three example proxies, each its own JVM, and one ZooKeeper server, its own process: a change posted to one proxy
 * is served by the others; with ZooKeeper stopped, traffic goes on and changes are refused with 503; with it
 * started again, changes are taken and reach every proxy. What the README's "Several instances in agreement" walks
 * through by hand. Bounded: about half a minute.
 */
class ClusterProcessTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir Path dir;
  private final List<Process> processes = new ArrayList<>();
  private Process zookeeper;

  @AfterEach
  void stopAll() throws InterruptedException {
    for (Process process : processes) {
      process.destroyForcibly();
      process.waitFor();
    }
  }

  @Test
  void aChangeOnOneProxyReachesTheOthersAndWritesWaitForZooKeeperWhileTrafficGoesOn() throws Exception {
    int zkPort = freePort();
    Path zkData = Files.createDirectory(dir.resolve("zookeeper"));
    zookeeper = startZooKeeper(zkPort, zkData);
    try (TestBackend backend = new TestBackend()) {
      Files.writeString(dir.resolve("upstream.conf"), "upstream seeded {\n    server 127.0.0.1:" + backend.port()
          + ";\n}\n");
      int[] proxyPorts = new int[3];
      int[] adminPorts = new int[3];
      for (int i = 0; i < 3; i++) {
        proxyPorts[i] = freePort();
        adminPorts[i] = freePort();
        Files.writeString(dir.resolve("node" + i + ".conf"), "daemon off;\nerror_log logs/node" + i + ".log info;\n"
            + "events {\n}\nhttp {\n"
            + "    dyups_zookeeper 127.0.0.1:" + zkPort + " root=/dyups/upstreams session_timeout=15s;\n"
            + "    dyups_upstream_conf node" + i + "-upstream.conf;\n"
            + "    include upstream.conf;\n"
            + "    server {\n        listen 127.0.0.1:" + proxyPorts[i] + ";\n"
            + "        location / {\n            proxy_pass http://$host;\n        }\n    }\n"
            + "    server {\n        listen 127.0.0.1:" + adminPorts[i] + ";\n"
            + "        location / {\n            dyups_interface;\n        }\n    }\n}\n");
      }
      Files.createDirectory(dir.resolve("logs"));
      for (int i = 0; i < 3; i++) {
        startProxy(i);
      }
      for (int i = 0; i < 3; i++) {
        int admin = adminPorts[i];
        eventually("proxy " + i + " serves the seeded upstream",
            () -> RawHttp.request(admin, "GET", "/upstream/seeded", "localhost", null).status() == 200);
      }

      // A change posted to proxy 0 is served by proxies 1 and 2. (503 means "ZooKeeper is away, send again":
      // on a machine this busy, three JVMs starting at once can make a connection lapse.)
      eventually("proxy 0 takes the change", () -> RawHttp.request(adminPorts[0], "POST", "/upstream/shared",
          "localhost", "server 127.0.0.1:" + backend.port() + ";").status() == 200);
      for (int i = 1; i < 3; i++) {
        int admin = adminPorts[i];
        eventually("proxy " + i + " has the change",
            () -> RawHttp.request(admin, "GET", "/upstream/shared", "localhost", null).status() == 200);
        assertThat(RawHttp.request(proxyPorts[i], "GET", "/hello", "shared", null).status()).isEqualTo(200);
      }
      String etag = RawHttp.request(adminPorts[0], "GET", "/upstream/shared", "localhost", null)
          .headers().get("etag");
      assertThat(RawHttp.request(adminPorts[2], "GET", "/upstream/shared", "localhost", null).headers()
          .get("etag")).as("the same version on every proxy").isEqualTo(etag);

      // ZooKeeper stops: traffic goes on, writes are refused with 503 and change nothing.
      zookeeper.destroyForcibly();
      zookeeper.waitFor();
      eventually("proxy 1 says ZooKeeper is away",
          () -> RawHttp.request(adminPorts[1], "GET", "/status", "localhost", null).body().contains("available no"));
      RawHttp.Response refused = RawHttp.request(adminPorts[1], "POST", "/upstream/late", "localhost",
          "server 127.0.0.1:" + backend.port() + ";");
      assertThat(refused.status()).isEqualTo(503);
      assertThat(refused.body()).contains("ZooKeeper cannot be reached").contains("nothing changed");
      assertThat(RawHttp.request(adminPorts[1], "GET", "/upstream/late", "localhost", null).status())
          .isEqualTo(404);
      for (int i = 0; i < 3; i++) {
        assertThat(RawHttp.request(proxyPorts[i], "GET", "/hello", "shared", null).status()).isEqualTo(200);
      }

      // ZooKeeper comes back: the change is taken and reaches every proxy.
      zookeeper = startZooKeeper(zkPort, zkData);
      eventually("proxy 1 takes writes again", () -> RawHttp.request(adminPorts[1], "POST", "/upstream/late",
          "localhost", "server 127.0.0.1:" + backend.port() + ";").status() == 200);
      for (int i = 0; i < 3; i += 2) {
        int admin = adminPorts[i];
        eventually("proxy " + i + " has the late change",
            () -> RawHttp.request(admin, "GET", "/upstream/late", "localhost", null).status() == 200);
      }
    }
  }

  private Process startZooKeeper(int port, Path data) throws Exception {
    Process process = start(List.of("-Dzookeeper.admin.enableServer=false",
        "org.apache.zookeeper.server.ZooKeeperServerMain", Integer.toString(port), data.toString()), "zookeeper");
    eventually("ZooKeeper listens", () -> {
      try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
        return socket.isConnected();
      } catch (IOException e) {
        return false;
      }
    });
    return process;
  }

  private void startProxy(int node) throws IOException {
    start(List.of(ProxyMain.class.getName(), "-p", dir.toString(), "-c", "node" + node + ".conf"), "proxy" + node);
  }

  private Process start(List<String> arguments, String name) throws IOException {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx128m", "-XX:+UseSerialGC",
        "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path")));
    command.addAll(arguments);
    Process process = new ProcessBuilder(command)
        .redirectOutput(dir.resolve(name + ".out").toFile())
        .redirectError(dir.resolve(name + ".err").toFile())
        .start();
    processes.add(process);
    return process;
  }

  private void eventually(String what, Callable<Boolean> condition) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (true) {
      try {
        if (condition.call()) {
          return;
        }
      } catch (IOException e) {
        // Not listening yet.
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within " + WAIT + ": " + what + "\n" + outputs());
      }
      Thread.sleep(50);
    }
  }

  private String outputs() throws IOException {
    StringBuilder out = new StringBuilder();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".err")).toList()) {
        String text = Files.readString(file);
        // The first severe reports (where a process says why it stopped serving), then the end.
        out.append("--- ").append(file.getFileName()).append('\n');
        List<String> lines = text.lines().toList();
        int shown = 0;
        for (int i = 0; i < lines.size() && shown < 5; i++) {
          if (lines.get(i).startsWith("SEVERE") || lines.get(i).startsWith("WARNING")) {
            out.append(lines.get(i - 1)).append('\n');
            lines.subList(i, Math.min(lines.size(), i + 4)).forEach(line -> out.append(line).append('\n'));
            shown++;
          }
        }
        out.append("[...]\n").append(text.length() > 3000 ? text.substring(text.length() - 3000) : text);
      }
    }
    return out.toString();
  }

  /** See {@link FreePorts}: ZooKeeper binds its port again after a restart, and nothing else may take it between. */
  private static int freePort() throws IOException {
    return FreePorts.next();
  }
}
