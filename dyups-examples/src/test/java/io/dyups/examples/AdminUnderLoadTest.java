package io.dyups.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.dyups.admin.AdminHandler;
import io.dyups.admin.AdminServer;
import io.dyups.core.StoredUpstream;
import io.dyups.core.Upstream;
import io.dyups.core.UpstreamFile;
import io.dyups.parser.UpstreamBlock;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin interface under load: {@value #ADMIN_CLIENTS} clients mix POST, DELETE, GET /list, /detail and
 * /upstream/NAME against the JDK adapter ({@link AdminServer}) on the proxy's registry, for {@code
 * dyups.load.seconds} seconds (default {@value #DEFAULT_SECONDS}; the {@code soak} profile runs longer), while
 * {@value #PROXY_CLIENTS} clients send traffic through the proxy with Host headers naming the upstreams being
 * changed.
 *
 * <p>Every request is stamped with a start and an end tick of one shared counter, so the log can be read
 * afterwards as a history. What must hold:
 *
 * <ul>
 *   <li>Admin answers are only the defined ones: POST 200; DELETE 200 or 404; GET /list and /detail 200 or 204;
 *       GET /upstream/NAME 200 or 404. No 5xx: with a blocking lock and a writable persistence file there is no
 *       409 or 500 case here.
 *   <li>Listings are whole: every upstream in /detail lists only servers of its own name's backends.
 *   <li>The proxy answers 200 from a backend of the Host's upstream, or 502 only when that upstream may have
 *       been absent at some moment of the request (never created before it ended, or deleted with no
 *       re-creation certainly made before the request started).
 *   <li>A request that starts after a DELETE returned reaches no backend of the deleted upstream unless a POST
 *       that may have re-created it ran after the delete began.
 *   <li>Afterwards the persisted file holds exactly the registry's upstreams and every peer has zero active
 *       connections.
 * </ul>
 */
class AdminUnderLoadTest {
  static final int DEFAULT_SECONDS = 5;
  private static final int ADMIN_CLIENTS = 50;
  private static final int PROXY_CLIENTS = 8;
  private static final int NAMES = 8;

  @TempDir Path prefix;
  private ProxyServer proxy;
  private AdminServer admin;
  private int front;
  private final List<TestBackend> backends = new ArrayList<>();
  // The two backends of each name: no other name's definition ever lists them.
  private final int[][] ports = new int[NAMES][2];
  private final Map<Integer, Integer> nameOfPort = new HashMap<>();

  private final AtomicLong clock = new AtomicLong();
  private final AtomicBoolean stop = new AtomicBoolean();
  private final ConcurrentLinkedQueue<AdminCall> adminLog = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<ProxyCall> proxyLog = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();

  /** One admin request: what, to which name (-1: none), its ticks, and the status (-1: no answer). */
  record AdminCall(String method, int name, long start, long end, int status) {}

  /** One proxied request: the Host's name, its ticks, the status, and the backend port that answered (0: none). */
  record ProxyCall(int name, long start, long end, int status, int backendPort) {}

  @BeforeEach
  void start() throws IOException {
    front = ProxyScenarioTest.freePort();
    int adminPort = ProxyScenarioTest.freePort();
    ProxyScenarioTest.copyDefaultConfig(prefix, front, adminPort, ProxyScenarioTest.freePort(),
        ProxyScenarioTest.freePort());
    for (int name = 0; name < NAMES; name++) {
      for (int i = 0; i < 2; i++) {
        TestBackend backend = new TestBackend();
        backends.add(backend);
        ports[name][i] = backend.port();
        nameOfPort.put(backend.port(), name);
      }
    }
    ProxyScenarioTest.addHttpDirectives(prefix, "proxy_connect_timeout 5s; proxy_read_timeout 20s;");
    proxy = ProxyServer.start(ProxyConfig.load(prefix, prefix.resolve("conf/nginx.conf")));
    admin = AdminServer.builder(AdminHandler.of(proxy.registry())).threads(8).port(0).start();
  }

  @AfterEach
  void stop() throws IOException {
    stop.set(true);
    if (admin != null) {
      admin.stop();
    }
    if (proxy != null) {
      proxy.close();
    }
    for (TestBackend backend : backends) {
      backend.close();
    }
  }

  static String name(int index) {
    return "load" + index;
  }

  private String definition(int name, int variant) {
    String a = "server 127.0.0.1:" + ports[name][0];
    String b = "server 127.0.0.1:" + ports[name][1];
    return switch (variant) {
      case 0 -> a + ";";
      case 1 -> b + ";";
      case 2 -> a + "; " + b + " weight=2;";
      case 3 -> "least_conn; " + a + "; " + b + ";";
      default -> "hash $request_uri; " + a + "; " + b + ";";
    };
  }

  private void violation(String what) {
    violations.add(what);
  }

  /** One admin client: a keep-alive connection to the JDK adapter, reopened if the server closes it. */
  private Void adminClient(int index) throws IOException {
    SplittableRandom random = new SplittableRandom(index);
    RawHttp http = new RawHttp(admin.port());
    try {
      while (!stop.get()) {
        int name = random.nextInt(NAMES);
        int dice = random.nextInt(100);
        String method;
        String target;
        String body = null;
        if (dice < 35) {
          method = "POST";
          target = "/upstream/" + name(name);
          body = definition(name, random.nextInt(5));
        } else if (dice < 50) {
          method = "DELETE";
          target = "/upstream/" + name(name);
        } else if (dice < 70) {
          method = "GET";
          target = "/list";
          name = -1;
        } else if (dice < 85) {
          method = "GET";
          target = "/detail";
          name = -1;
        } else {
          method = "GET";
          target = "/upstream/" + name(name);
        }
        long start = clock.incrementAndGet();
        RawHttp.Response response;
        try {
          response = http.send(method, target, "127.0.0.1", body, false);
        } catch (IOException e) {
          // Nothing known about this change: record it as possibly applied, and say why it had no answer.
          adminLog.add(new AdminCall(method, name, start, Long.MAX_VALUE, -1));
          violation(method + " " + target + " got no answer: " + e);
          http.close();
          http = new RawHttp(admin.port());
          continue;
        }
        long end = clock.incrementAndGet();
        adminLog.add(new AdminCall(method, name, start, end, response.status()));
        checkAdminAnswer(method, target, response);
        if ("close".equalsIgnoreCase(response.headers().get("connection"))) {
          http.close();
          http = new RawHttp(admin.port());
        }
      }
    } finally {
      http.close();
    }
    return null;
  }

  private void checkAdminAnswer(String method, String target, RawHttp.Response response) {
    int status = response.status();
    boolean defined = switch (method) {
      case "POST" -> status == 200 && response.body().equals("success");
      case "DELETE" -> status == 200 || status == 404;
      default -> target.startsWith("/upstream/") ? status == 200 || status == 404 : status == 200 || status == 204;
    };
    if (!defined) {
      violation(method + " " + target + " answered " + status + " " + response.body());
      return;
    }
    if (target.equals("/detail") && status == 200) {
      String current = null;
      for (String line : response.body().split("\n", -1)) {
        if (line.isEmpty()) {
          current = null;
        } else if (current == null) {
          current = line;
        } else if (line.startsWith("server 127.0.0.1:") && current.startsWith("load")) {
          int port = Integer.parseInt(line.substring("server 127.0.0.1:".length()));
          Integer owner = nameOfPort.get(port);
          if (owner == null || !name(owner).equals(current)) {
            violation("/detail lists " + line + " under " + current);
          }
        }
      }
    }
  }

  /** One proxy client: keep-alive requests to the proxy's front port, each naming an upstream in its Host. */
  private Void proxyClient(int index) throws IOException {
    SplittableRandom random = new SplittableRandom(1000 + index);
    RawHttp http = new RawHttp(front);
    try {
      for (int i = 0; !stop.get(); i++) {
        int name = random.nextInt(NAMES);
        long start = clock.incrementAndGet();
        RawHttp.Response response;
        try {
          response = http.send("GET", "/c" + index + "/" + i, name(name), null, false);
        } catch (IOException e) {
          violation("proxied GET for " + name(name) + " got no answer: " + e);
          http.close();
          http = new RawHttp(front);
          continue;
        }
        long end = clock.incrementAndGet();
        String backend = response.headers().get("x-backend");
        proxyLog.add(new ProxyCall(name, start, end, response.status(),
            backend == null ? 0 : Integer.parseInt(backend)));
        if ("close".equalsIgnoreCase(response.headers().get("connection"))) {
          http.close();
          http = new RawHttp(front);
        }
      }
    } finally {
      http.close();
    }
    return null;
  }

  @Test
  void adminClientsAndProxyTrafficTogetherSeeOnlyDefinedAnswersAndNoRequestReachesADeletedUpstream()
      throws Exception {
    long seconds = Long.getLong("dyups.load.seconds", DEFAULT_SECONDS);
    ExecutorService executor = Executors.newFixedThreadPool(ADMIN_CLIENTS + PROXY_CLIENTS);
    List<Future<Void>> tasks = new ArrayList<>();
    CountDownLatch go = new CountDownLatch(1);
    try {
      for (int i = 0; i < ADMIN_CLIENTS; i++) {
        int index = i;
        tasks.add(executor.submit(() -> {
          go.await();
          return adminClient(index);
        }));
      }
      for (int i = 0; i < PROXY_CLIENTS; i++) {
        int index = i;
        tasks.add(executor.submit(() -> {
          go.await();
          return proxyClient(index);
        }));
      }
      go.countDown();
      // The run's length, not an assertion: nothing below depends on how much got done in it.
      Thread.sleep(TimeUnit.SECONDS.toMillis(seconds));
      stop.set(true);
      for (Future<Void> task : tasks) {
        task.get(5, TimeUnit.MINUTES);
      }
    } finally {
      stop.set(true);
      executor.shutdownNow();
    }

    assertThat(violations).isEmpty();
    List<String> history = checkHistory();
    assertThat(history).isEmpty();

    // Afterwards: the persisted file is the registry, and no peer is left counted as in use.
    List<UpstreamBlock> persisted = UpstreamFile.read(prefix.resolve("conf/conf/upstream.conf")).stream()
        .map(StoredUpstream::definition).toList();
    assertThat(persisted).containsExactlyElementsOf(
        proxy.registry().detail().stream().map(Upstream::definition).toList());
    // The proxy releases a peer once the answer is flushed to the client, and the client may have read the
    // answer and finished first: the last releases are awaited.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (anyPeerInUse() && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    for (Upstream upstream : proxy.registry().detail()) {
      assertThat(upstream.peers().asList()).allMatch(peer -> peer.activeConnections() == 0);
    }

    long posts = adminLog.stream().filter(c -> c.method().equals("POST")).count();
    long deletes = adminLog.stream().filter(c -> c.method().equals("DELETE") && c.status() == 200).count();
    long served = proxyLog.stream().filter(c -> c.status() == 200).count();
    long refused = proxyLog.stream().filter(c -> c.status() == 502).count();
    System.out.printf("AdminUnderLoadTest: %d s, %d admin requests (%d POST, %d successful DELETE), %d proxied"
        + " requests (%d served, %d answered 502)%n", seconds, adminLog.size(), posts, deletes, proxyLog.size(),
        served, refused);
    assertThat(deletes).as("deletes made").isPositive();
    assertThat(served).as("requests served").isPositive();
  }

  /** Reads the logs as a history and returns every proxied request it could not explain. */
  private List<String> checkHistory() {
    List<List<AdminCall>> posts = new ArrayList<>();
    List<List<AdminCall>> deletes = new ArrayList<>();
    for (int name = 0; name < NAMES; name++) {
      posts.add(new ArrayList<>());
      deletes.add(new ArrayList<>());
    }
    for (AdminCall call : adminLog) {
      if (call.method().equals("POST") && call.status() != 400) {
        posts.get(call.name()).add(call);
      } else if (call.method().equals("DELETE") && (call.status() == 200 || call.status() == -1)) {
        deletes.get(call.name()).add(call);
      }
    }
    List<String> unexplained = new ArrayList<>();
    for (ProxyCall call : proxyLog) {
      List<AdminCall> namePosts = posts.get(call.name());
      if (call.status() == 200) {
        Integer owner = nameOfPort.get(call.backendPort());
        if (owner == null || owner != call.name()) {
          unexplained.add(call + ": served by a backend of " + (owner == null ? "no upstream" : name(owner)));
          continue;
        }
        // The latest delete that returned before the request started, and a re-creation that may follow it.
        AdminCall lastDelete = null;
        for (AdminCall delete : deletes.get(call.name())) {
          if (delete.status() == 200 && delete.end() < call.start()
              && (lastDelete == null || delete.start() > lastDelete.start())) {
            lastDelete = delete;
          }
        }
        if (lastDelete != null) {
          AdminCall deleted = lastDelete;
          boolean recreated = namePosts.stream()
              .anyMatch(post -> post.end() > deleted.start() && post.start() < call.end());
          if (!recreated) {
            unexplained.add(call + ": reached " + name(call.name()) + " deleted by " + deleted
                + " with no later POST");
          }
        }
      } else if (call.status() == 502) {
        if (!mayHaveBeenAbsent(call, namePosts, deletes.get(call.name()))) {
          unexplained.add(call + ": 502 while " + name(call.name()) + " existed throughout");
        }
      } else {
        unexplained.add(call + ": status " + call.status());
      }
    }
    return unexplained;
  }

  /**
   * Whether the Host's upstream may have been absent at some moment of the request: no POST certainly made
   * before it started, or a delete that may have been applied during or before it with no POST certainly made
   * between that delete and the request's start.
   */
  private static boolean mayHaveBeenAbsent(ProxyCall call, List<AdminCall> posts, List<AdminCall> deletes) {
    boolean createdBefore = posts.stream().anyMatch(post -> post.status() == 200 && post.end() < call.start());
    if (!createdBefore) {
      return true;
    }
    for (AdminCall delete : deletes) {
      if (delete.start() < call.end()) {
        boolean certainlyRecreated = posts.stream().anyMatch(post -> post.status() == 200
            && post.start() > delete.end() && post.end() < call.start());
        if (!certainlyRecreated) {
          return true;
        }
      }
    }
    return false;
  }

  private boolean anyPeerInUse() {
    return proxy.registry().detail().stream()
        .anyMatch(upstream -> upstream.peers().asList().stream().anyMatch(peer -> peer.activeConnections() != 0));
  }
}
