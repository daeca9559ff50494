package io.dyups.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dyups.parser.ConfigSyntaxException;
import io.dyups.parser.NginxConfig;
import io.dyups.parser.UpstreamBlock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The registry's API: dyups's status codes, names, order, versions, try-lock, listeners, persistence. */
class UpstreamRegistryTest {
  private static final String SEED = "server 127.0.0.1:8089;server 127.0.0.1:8088;";

  @TempDir Path dir;
  private final List<UpstreamRegistry> opened = new CopyOnWriteArrayList<>();

  private UpstreamRegistry registry(UpstreamRegistry.Builder builder) {
    UpstreamRegistry registry = builder.build();
    opened.add(registry);
    return registry;
  }

  private UpstreamRegistry registry() {
    return registry(UpstreamRegistry.builder());
  }

  @AfterEach
  void close() {
    opened.forEach(UpstreamRegistry::close);
  }

  private static List<String> servers(Upstream upstream) {
    return upstream.definition().servers().stream().map(s -> s.address().toString()).toList();
  }

  @Test
  void updateCreatesAnUpstreamVisibleAtOnce() {
    UpstreamRegistry registry = registry();

    Result result = registry.updateUpstream("dyhost", SEED);

    assertThat(result).isEqualTo(new Result(Result.Kind.SUCCESS, "success", registry.find("dyhost").version()));
    assertThat(result.isSuccess()).isTrue();
    assertThat(servers(registry.find("dyhost"))).containsExactly("127.0.0.1:8089", "127.0.0.1:8088");
  }

  @Test
  void namesCompareIgnoringCaseAndKeepTheirFirstSpelling() {
    UpstreamRegistry registry = registry();
    registry.updateUpstream("DyHost", SEED);

    registry.updateUpstream("DYHOST", "server 10.0.0.1:80;");

    assertThat(registry.find("dyhost").name()).isEqualTo("DyHost");
    assertThat(servers(registry.find("dYhOsT"))).containsExactly("10.0.0.1:80");
    assertThat(registry.list()).containsExactly("DyHost");
  }

  @Test
  void listKeepsOrderOfFirstAppearanceAndReplacingKeepsThePlace() {
    UpstreamRegistry registry = registry();
    registry.updateUpstream("a", SEED);
    registry.updateUpstream("b", SEED);
    registry.updateUpstream("c", SEED);

    registry.updateUpstream("a", "server 10.0.0.1;");
    registry.deleteUpstream("b");
    registry.updateUpstream("b", SEED);

    assertThat(registry.list()).containsExactly("a", "c", "b");
    assertThat(registry.detail()).extracting(Upstream::name).containsExactly("a", "c", "b");
  }

  @Test
  void badCommandsAre400WithNginxWordsAndPositionAndChangeNothing() {
    UpstreamRegistry registry = registry();
    registry.updateUpstream("dyhost", SEED);
    Upstream before = registry.find("dyhost");

    Result result = registry.updateUpstream("dyhost", "server 127.0.0.1:8089;\nserver 1.2.3.4:99999;");

    assertThat(result.status()).isEqualTo(400);
    assertThat(result.message()).isEqualTo("invalid port in upstream \"1.2.3.4:99999\" in commands:2:8");
    assertThat(registry.find("dyhost")).isSameAs(before);
  }

  @Test
  void aBadCommandInTheMiddleOfABodyCreatesNothing() {
    UpstreamRegistry registry = registry();

    Result result = registry.updateUpstream("new", "server 10.0.0.1; server 10.0.0.2 weight=0; server 10.0.0.3;");

    assertThat(result.status()).isEqualTo(400);
    assertThat(result.message()).contains("invalid parameter \"weight=0\"").contains("commands:1:34");
    assertThat(registry.find("new")).isNull();
    assertThat(registry.list()).isEmpty();
  }

  @Test
  void commandsWithoutServersAre400() {
    Result result = registry().updateUpstream("x", "  # nothing\n");

    assertThat(result).isEqualTo(new Result(Result.Kind.INVALID, "no servers are inside upstream in commands:1:1", UpstreamRegistry.ABSENT));
  }

  @Test
  void invalidNamesAre400() {
    UpstreamRegistry registry = registry();
    for (String name : new String[] {"", "a b", "a;b", "a{b", "a}b", "a/b", "..", "a\nb", "a$b", "x".repeat(256)}) {
      Result result = registry.updateUpstream(name, SEED);
      assertThat(result.status()).as(name).isEqualTo(400);
      assertThat(result.message()).as(name).startsWith("invalid upstream name");
    }
    assertThat(registry.list()).isEmpty();
  }

  @Test
  void deleteOfWhatIsNotThereIs404() {
    assertThat(registry().deleteUpstream("nothing").status()).isEqualTo(404);
  }

  @Test
  void deleteRemovesAndSays200() {
    UpstreamRegistry registry = registry();
    registry.updateUpstream("dyhost", SEED);

    assertThat(registry.deleteUpstream("DYHOST")).isEqualTo(new Result(Result.Kind.SUCCESS, "success", UpstreamRegistry.ABSENT));
    assertThat(registry.find("dyhost")).isNull();
    assertThat(registry.list()).isEmpty();
  }

  @Test
  void commandsOverTheLimitAre413() {
    UpstreamRegistry registry = registry(UpstreamRegistry.builder().maxCommandsSize(30));

    Result result = registry.updateUpstream("a", "server 10.0.0.1; server 10.0.0.2;");

    assertThat(result.status()).isEqualTo(413);
    assertThat(result.message()).contains("33 bytes").contains("limit is 30");
    assertThat(registry.updateUpstream("a", "server 10.0.0.1;").status()).isEqualTo(200);
  }

  @Test
  void theLimitCountsUtf8Bytes() {
    UpstreamRegistry registry = registry(UpstreamRegistry.builder().maxCommandsSize(20));

    assertThat(registry.updateUpstream("a", "server a; # éééééé").status()).isEqualTo(413);
  }

  @Test
  void everyChangeGetsANewLargerVersionEvenAcrossDeleteAndCreate() {
    UpstreamRegistry registry = registry();
    registry.updateUpstream("a", SEED);
    long first = registry.find("a").version();
    registry.updateUpstream("a", SEED);
    long second = registry.find("a").version();
    registry.deleteUpstream("a");
    registry.updateUpstream("a", SEED);

    assertThat(second).isGreaterThan(first);
    assertThat(registry.find("a").version()).isGreaterThan(second);
  }

  @Test
  void versionedUpdateAppliesOnlyAtTheExpectedVersion() {
    UpstreamRegistry registry = registry();
    registry.updateUpstream("a", SEED);
    long version = registry.find("a").version();

    Result stale = registry.updateUpstream("a", "server 10.0.0.9;", version + 1);
    Result fresh = registry.updateUpstream("a", "server 10.0.0.9;", version);

    assertThat(stale.status()).isEqualTo(409);
    assertThat(stale.message()).contains("expected version " + (version + 1)).contains("at version " + version);
    assertThat(fresh.status()).isEqualTo(200);
    assertThat(servers(registry.find("a"))).containsExactly("10.0.0.9:80");
  }

  @Test
  void expectingAbsentCreatesOnlyOnce() {
    UpstreamRegistry registry = registry();

    assertThat(registry.updateUpstream("a", SEED, UpstreamRegistry.ABSENT).status()).isEqualTo(200);
    assertThat(registry.updateUpstream("a", SEED, UpstreamRegistry.ABSENT).status()).isEqualTo(409);
  }

  @Test
  void versionedDeleteAppliesOnlyAtTheExpectedVersion() {
    UpstreamRegistry registry = registry();
    registry.updateUpstream("a", SEED);
    long version = registry.find("a").version();

    assertThat(registry.deleteUpstream("a", version + 5).status()).isEqualTo(409);
    assertThat(registry.deleteUpstream("a", version).status()).isEqualTo(200);
  }

  @Test
  void aSuccessfulUpdateCarriesTheNewVersion() {
    UpstreamRegistry registry = registry();

    Result created = registry.updateUpstream("a", SEED);
    Result replaced = registry.updateUpstream("a", "server 10.0.0.9;", created.version());
    Result stale = registry.updateUpstream("a", SEED, created.version());

    assertThat(created.version()).isEqualTo(registry.find("a").version() - 1);
    assertThat(replaced.version()).isEqualTo(registry.find("a").version());
    assertThat(stale.kind()).isEqualTo(Result.Kind.VERSION_CONFLICT);
    assertThat(stale.version()).as("the version found").isEqualTo(replaced.version());
  }

  @Test
  void afterCloseEveryChangeIsRefusedAndNothingChanges() {
    List<UpstreamChange> told = new CopyOnWriteArrayList<>();
    UpstreamRegistry registry = registry(UpstreamRegistry.builder().listener(told::add));
    registry.updateUpstream("a", SEED);
    long version = registry.find("a").version();

    registry.close();
    List<Result> results = List.of(
        registry.updateUpstream("a", "server 10.0.0.9;"),
        registry.updateUpstream("b", SEED, UpstreamRegistry.ABSENT),
        registry.updateUpstream(UpstreamBlock.fromCommands("c", SEED)),
        registry.deleteUpstream("a"));

    assertThat(results).extracting(Result::kind).containsOnly(Result.Kind.CLOSED);
    assertThat(results).extracting(Result::status).containsOnly(503);
    assertThat(results.get(0).message()).isEqualTo("the registry is closed; nothing changed");
    assertThat(registry.list()).containsExactly("a");
    assertThat(registry.find("a").version()).isEqualTo(version);
    assertThat(told).hasSize(1);
  }

  @Test
  void theBuildersClockTimesTheFailureWindow() {
    Instant[] now = {Instant.parse("2030-01-01T00:00:00Z")};
    UpstreamRegistry registry = registry(UpstreamRegistry.builder().workers(1).clock(() -> now[0]));
    registry.updateUpstream("a", "server 10.0.0.1 max_fails=1 fail_timeout=10s; server 10.0.0.2;");
    Upstream upstream = registry.find("a");
    PeerSelection selection = new PeerSelection().start(upstream.peers(), null, null);
    Peer first = selection.next();
    selection.failed();
    selection.next();
    selection.succeeded();

    assertThat(first.isOut()).isTrue();
    now[0] = now[0].plusSeconds(9);
    assertThat(first.isOut()).isTrue();
    now[0] = now[0].plusSeconds(2);
    assertThat(first.isOut()).isFalse();
  }

  @Test
  void updateWithABlockUsesTheBlocksNameAndKeepsTheFirstWrittenOne() {
    UpstreamRegistry registry = registry();

    Result created = registry.updateUpstream(UpstreamBlock.fromCommands("Target", SEED));
    Result replaced = registry.updateUpstream(UpstreamBlock.fromCommands("TARGET", "server 10.0.0.9;"),
        created.version());

    assertThat(replaced.kind()).isEqualTo(Result.Kind.SUCCESS);
    assertThat(registry.list()).containsExactly("Target");
    assertThat(registry.find("target").definition().name()).isEqualTo("Target");
    assertThat(servers(registry.find("target"))).containsExactly("10.0.0.9:80");
  }

  @Test
  void tryLockAnswers409AtOnceWhileAnotherChangeHoldsTheLock() throws Exception {
    CountDownLatch writing = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicFileWriter slow = new AtomicFileWriter() {
      @Override
      void append(java.nio.channels.FileChannel journal, byte[] record, boolean force) throws IOException {
        writing.countDown();
        try {
          release.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        super.append(journal, record, force);
      }
    };
    UpstreamRegistry registry = registry(UpstreamRegistry.builder().tryLock(true)
        .persistenceFile(dir.resolve("upstream.conf")).fileWriter(slow));
    ExecutorService executor = Executors.newSingleThreadExecutor();
    try {
      Future<Result> first = executor.submit(() -> registry.updateUpstream("a", SEED));
      assertThat(writing.await(10, TimeUnit.SECONDS)).isTrue();

      Result second = registry.updateUpstream("b", SEED);
      Result delete = registry.deleteUpstream("a");
      release.countDown();

      assertThat(second).isEqualTo(new Result(Result.Kind.LOCKED, "wait and try again", UpstreamRegistry.ABSENT));
      assertThat(delete).isEqualTo(new Result(Result.Kind.LOCKED, "wait and try again", UpstreamRegistry.ABSENT));
      assertThat(first.get(10, TimeUnit.SECONDS).status()).isEqualTo(200);
      assertThat(registry.list()).containsExactly("a");
    } finally {
      release.countDown();
      executor.shutdownNow();
    }
  }

  @Test
  void listenersHearEveryChangeInOrderWithOldAndNew() throws Exception {
    List<UpstreamChange> changes = new CopyOnWriteArrayList<>();
    CountDownLatch three = new CountDownLatch(3);
    UpstreamRegistry registry = registry(UpstreamRegistry.builder().listener(change -> {
      changes.add(change);
      three.countDown();
    }));

    registry.updateUpstream("a", SEED);
    registry.updateUpstream("a", "server 10.0.0.1;");
    registry.deleteUpstream("a");

    assertThat(three.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(changes.get(0).previous()).isNull();
    assertThat(changes.get(0).current().version()).isEqualTo(changes.get(1).previous().version());
    assertThat(servers(changes.get(1).current())).containsExactly("10.0.0.1:80");
    assertThat(changes.get(2).current()).isNull();
    assertThat(changes.get(2).previous()).isSameAs(changes.get(1).current());
  }

  @Test
  void aThrowingListenerNeitherUndoesNorBlocksChanges() throws Exception {
    CountDownLatch heard = new CountDownLatch(2);
    UpstreamRegistry registry = registry(UpstreamRegistry.builder()
        .listener(change -> {
          throw new IllegalStateException("listener failure for the test");
        })
        .listener(change -> heard.countDown()));

    assertThat(registry.updateUpstream("a", SEED).status()).isEqualTo(200);
    assertThat(registry.updateUpstream("b", SEED).status()).isEqualTo(200);
    assertThat(heard.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(registry.list()).containsExactly("a", "b");
  }

  @Test
  void aSlowListenerDoesNotBlockWriters() {
    CountDownLatch never = new CountDownLatch(1);
    UpstreamRegistry registry = registry(UpstreamRegistry.builder().listener(change -> {
      try {
        never.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }));
    try {
      for (int i = 0; i < 100; i++) {
        assertThat(registry.updateUpstream("u" + i, SEED).status()).isEqualTo(200);
      }
      assertThat(registry.size()).isEqualTo(100);
    } finally {
      never.countDown();
    }
  }

  @Test
  void persistenceWritesNginxTextThatLoadsBackTheSameRegistry() throws Exception {
    Path file = dir.resolve("upstream.conf");
    UpstreamRegistry registry = registry(UpstreamRegistry.builder().persistenceFile(file));
    registry.updateUpstream("host1", "server 127.0.0.1:8088;");
    registry.updateUpstream("dyhost", "least_conn; " + SEED + " keepalive 4;");
    registry.updateUpstream("host1", "server 127.0.0.1:8088 weight=3;");

    registry.close();
    assertThat(Files.readString(file)).contains("upstream host1 {\n    server 127.0.0.1:8088 weight=3;\n}\n"
        + "# dyups version=2 order=2\nupstream dyhost {\n    least_conn;\n    keepalive 4;\n"
        + "    server 127.0.0.1:8089;\n    server 127.0.0.1:8088;\n}\n");
    UpstreamRegistry restarted = registry(UpstreamRegistry.builder().persistenceFile(file));
    assertThat(restarted.list()).containsExactly("host1", "dyhost");
    assertThat(restarted.find("dyhost").definition()).isEqualTo(registry.find("dyhost").definition());
    assertThat(NginxConfig.load(file).upstreams()).hasSize(2);
  }

  @Test
  void bytesThatAreNotUtf8InALoadedFileArePersistedAsTheyWereAndLoadAgainEqual() throws Exception {
    Path config = dir.resolve("nginx.conf");
    byte[] latin1 = "# f\u00fcr\nupstream a { hash $uri\u00e9; server 10.0.0.1; }\n"
        .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
    Files.write(config, latin1);
    Path file = dir.resolve("upstream.conf");
    UpstreamRegistry registry = registry(UpstreamRegistry.builder().load(config).persistenceFile(file));
    registry.updateUpstream("b", SEED);

    assertThat(Files.readAllBytes(file)).containsSequence(new byte[] {'$', 'u', 'r', 'i', (byte) 0xE9, ';'});
    UpstreamBlock before = registry.find("a").definition();
    registry.close();
    UpstreamRegistry restarted = registry(UpstreamRegistry.builder().persistenceFile(file));
    assertThat(restarted.find("a").definition()).isEqualTo(before);
  }

  @Test
  void persistenceFollowsDeletes() throws Exception {
    Path file = dir.resolve("upstream.conf");
    UpstreamRegistry registry = registry(UpstreamRegistry.builder().persistenceFile(file));
    registry.updateUpstream("a", SEED);
    registry.updateUpstream("b", SEED);

    registry.deleteUpstream("a");

    assertThat(UpstreamFile.read(file)).extracting(StoredUpstream::name).containsExactly("b");
    registry.close();
    assertThat(NginxConfig.load(file).upstreams()).extracting(UpstreamBlock::name).containsExactly("b");
    try (var entries = Files.list(dir)) {
      // No journal and no temporary file left; the owner's lock file stays, as lock files do.
      assertThat(entries.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder("upstream.conf", ".upstream.conf.lock");
    }
  }

  @Test
  void aPersistenceFailureIs500AndChangesNothing() throws Exception {
    Path file = dir.resolve("upstream.conf");
    boolean[] fail = {false};
    AtomicFileWriter flaky = new AtomicFileWriter() {
      @Override
      void append(java.nio.channels.FileChannel journal, byte[] record, boolean force) throws IOException {
        if (fail[0]) {
          throw new IOException("No space left on device");
        }
        super.append(journal, record, force);
      }
    };
    UpstreamRegistry registry = registry(UpstreamRegistry.builder().persistenceFile(file).fileWriter(flaky));
    registry.updateUpstream("a", SEED);
    List<StoredUpstream> before = UpstreamFile.read(file);
    Upstream a = registry.find("a");
    fail[0] = true;

    Result update = registry.updateUpstream("a", "server 10.0.0.1;");
    Result create = registry.updateUpstream("b", SEED);
    Result delete = registry.deleteUpstream("a");

    assertThat(update.status()).isEqualTo(500);
    assertThat(update.message()).contains("No space left on device").contains("nothing changed");
    assertThat(create.status()).isEqualTo(500);
    assertThat(delete.status()).isEqualTo(500);
    assertThat(registry.find("a")).isSameAs(a);
    assertThat(registry.list()).containsExactly("a");
    assertThat(UpstreamFile.read(file)).isEqualTo(before);
    fail[0] = false;
    assertThat(registry.updateUpstream("b", SEED).status()).isEqualTo(200);
  }

  @Test
  void aPersistenceFileReplacedByADirectoryKeepsChangesInTheJournalUntilItCanBeFoldedAgain() throws Exception {
    Path file = dir.resolve("upstream.conf");
    UpstreamRegistry registry = registry(UpstreamRegistry.builder().persistenceFile(file)
        .fileOptions(new UpstreamFile.Options(java.time.Duration.ofDays(1), Long.MAX_VALUE)));
    Files.delete(file);
    Files.createDirectory(file);
    Files.writeString(file.resolve("inside"), "x");

    // Durable in the journal: acknowledged; the fold fails and is tried again.
    assertThat(registry.updateUpstream("a", SEED).status()).isEqualTo(200);
    Files.delete(file.resolve("inside"));
    Files.delete(file);
    registry.close();
    assertThat(NginxConfig.load(file).upstreams()).extracting(UpstreamBlock::name).containsExactly("a");
  }

  @Test
  void aRestartRemovesTheTemporaryFilesAKilledWriterLeftAndNothingElse() throws Exception {
    Path file = dir.resolve("upstream.conf");
    Files.writeString(file, "upstream a {\n    server 10.0.0.1:80;\n}\n");
    Files.writeString(dir.resolve(".upstream.conf.tmp-5f3a9c"), "upstream a {\n    server 10.0.");
    Files.writeString(dir.resolve(".upstream.conf.tmp-77"), "");
    Files.writeString(dir.resolve(".other.conf.tmp-1"), "x");
    Files.writeString(dir.resolve("upstream.conf.bak"), "x");

    UpstreamRegistry registry = registry(UpstreamRegistry.builder().persistenceFile(file));

    assertThat(registry.list()).containsExactly("a");
    try (var entries = Files.list(dir)) {
      assertThat(entries.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder("upstream.conf", ".upstream.conf.lock", ".other.conf.tmp-1", "upstream.conf.bak");
    }
  }

  @Test
  void anUnparsablePersistenceFileStopsTheBuildNamingFileLineAndColumn() throws Exception {
    Path file = dir.resolve("upstream.conf");
    Files.writeString(file, "upstream a {\n    server 10.0.0.1:80;\n    server 10.0.0.2:0;\n}\n");

    assertThatThrownBy(() -> UpstreamRegistry.builder().persistenceFile(file).build())
        .isInstanceOfSatisfying(ConfigSyntaxException.class, e -> {
          assertThat(e.file()).isEqualTo(file.toString());
          assertThat(e.line()).isEqualTo(3);
          assertThat(e.column()).isEqualTo(12);
        });
  }

  @Test
  void loadsEveryUpstreamOfAConfigWithItsIncludes() throws Exception {
    Files.writeString(dir.resolve("nginx.conf"), "http { include upstreams/*.conf; server { listen 80; } }\n");
    Files.createDirectory(dir.resolve("upstreams"));
    Files.writeString(dir.resolve("upstreams/b.conf"), "upstream b { server 10.0.0.2; }\n");
    Files.writeString(dir.resolve("upstreams/a.conf"), "upstream a { server 10.0.0.1; }\n");

    UpstreamRegistry registry = registry(UpstreamRegistry.builder().load(dir.resolve("nginx.conf")));

    assertThat(registry.list()).containsExactly("a", "b");
  }

  @Test
  void findTakesTheFastPathForLowerCaseNames() {
    assertThat(UpstreamRegistry.key("dyhost")).isSameAs("dyhost");
    assertThat(UpstreamRegistry.key("DyHost")).isEqualTo("dyhost");
    assertThat(UpstreamRegistry.key("ÄB")).isEqualTo("Äb");
  }
}
