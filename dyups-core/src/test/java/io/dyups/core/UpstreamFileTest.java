package io.dyups.core;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dyups.parser.ConfigSyntaxException;
import io.dyups.parser.NginxConfig;
import io.dyups.parser.UpstreamBlock;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UpstreamFileTest {
  // Folds only when asked: each test decides when the journal meets the file.
  private static final UpstreamFile.Options NO_BACKGROUND_FOLD =
      new UpstreamFile.Options(Duration.ofDays(1), Long.MAX_VALUE);

  @TempDir Path dir;

  private static StoredUpstream upstream(String name, String commands, long version, long order) {
    return new StoredUpstream(UpstreamBlock.fromCommands(name, commands), version, order);
  }

  private UpstreamFile open(Path file) throws IOException {
    return UpstreamFile.open(file, true, NO_BACKGROUND_FOLD);
  }

  private static List<String> names(List<StoredUpstream> upstreams) {
    return upstreams.stream().map(StoredUpstream::name).toList();
  }

  private static List<Path> journals(Path file) throws IOException {
    try (Stream<Path> entries = Files.list(file.getParent())) {
      return entries.filter(p -> p.getFileName().toString().startsWith(file.getFileName() + ".journal-")).toList();
    }
  }

  @Test
  void aChangeIsAppendedToTheJournalAndTheFileIsNotRewritten() throws IOException {
    Path file = dir.resolve("upstream.conf");
    try (UpstreamFile store = open(file)) {
      store.put(upstream("a", "server 10.0.0.1:80;", 1, 1));
      store.fold();
      byte[] folded = Files.readAllBytes(file);
      store.put(upstream("b", "server 10.0.0.2:80;", 2, 2));
      assertThat(Files.readAllBytes(file)).isEqualTo(folded);
      assertThat(store.journalBytes()).isPositive();
    }
  }

  @Test
  void changesInTheJournalAreReadBackWithTheFile() throws IOException {
    Path file = dir.resolve("upstream.conf");
    UpstreamFile store = open(file);
    store.put(upstream("a", "server 10.0.0.1:80;", 1, 1));
    store.fold();
    store.put(upstream("b", "server 10.0.0.2:80;", 2, 2));
    store.put(upstream("A", "server 10.0.0.3:80;", 3, 1));
    store.remove("b");
    store.put(upstream("c", "server 10.0.0.4:80;", 5, 3));
    // No close: as a crash leaves it, with the journal not folded.
    Path copy = copyOf(file);
    store.close();

    try (UpstreamFile reopened = open(copy)) {
      List<StoredUpstream> state = reopened.upstreams();
      // The file keeps the spelling it is given (keeping the first spelling is the store's rule).
      assertThat(names(state)).containsExactly("A", "c");
      assertThat(state.get(0).definition().servers().get(0).address().toString()).contains("10.0.0.3");
      assertThat(state.get(0).version()).isEqualTo(3);
      assertThat(state.get(1).version()).isEqualTo(5);
      assertThat(state.get(1).order()).isEqualTo(3);
    }
  }

  @Test
  void theFileAloneIsValidNginxConfigurationHoldingTheStateOfItsHeader() throws IOException {
    Path file = dir.resolve("upstream.conf");
    try (UpstreamFile store = open(file)) {
      store.put(upstream("a", "least_conn; server 10.0.0.1:80 weight=2;", 1, 1));
      store.put(upstream("b", "server 10.0.0.2:80 backup; server 10.0.0.3:80;", 2, 2));
      store.fold();
      String text = Files.readString(file);
      assertThat(text).startsWith("# dyups: upstreams after change 2;");
      assertThat(NginxConfig.load(file).upstreams()).extracting(UpstreamBlock::name).containsExactly("a", "b");
    }
  }

  @Test
  void closeFoldsTheJournalAndLeavesOneFile() throws IOException {
    Path file = dir.resolve("upstream.conf");
    UpstreamFile store = open(file);
    store.put(upstream("a", "server 10.0.0.1:80;", 1, 1));
    store.close();
    assertThat(journals(file)).isEmpty();
    assertThat(NginxConfig.load(file).upstreams()).extracting(UpstreamBlock::name).containsExactly("a");
  }

  @Test
  void versionsAndOrdersSurviveAReopen() throws IOException {
    Path file = dir.resolve("upstream.conf");
    try (UpstreamFile store = open(file)) {
      store.put(upstream("a", "server 10.0.0.1:80;", 17, 40));
      store.put(upstream("b", "server 10.0.0.2:80;", 23, 41));
    }
    try (UpstreamFile reopened = open(file)) {
      assertThat(reopened.upstreams()).extracting(StoredUpstream::version).containsExactly(17L, 23L);
      assertThat(reopened.upstreams()).extracting(StoredUpstream::order).containsExactly(40L, 41L);
    }
  }

  @Test
  void aRecordACrashCutShortAtTheEndOfTheLastJournalIsDropped() throws IOException {
    Path file = dir.resolve("upstream.conf");
    UpstreamFile store = open(file);
    store.put(upstream("a", "server 10.0.0.1:80;", 1, 1));
    store.put(upstream("b", "server 10.0.0.2:80;", 2, 2));
    Path copy = copyOf(file);
    store.close();
    Path journal = journals(copy).get(0);
    byte[] bytes = Files.readAllBytes(journal);
    for (int cut = bytes.length - 1; cut > bytes.length - 30; cut -= 7) {
      Path attempt = dir.resolve("cut-" + cut);
      Files.createDirectory(attempt);
      Path target = attempt.resolve("upstream.conf");
      if (Files.exists(copy)) {
        Files.copy(copy, target);
      }
      Files.write(attempt.resolve(journal.getFileName()), java.util.Arrays.copyOf(bytes, cut));
      try (UpstreamFile reopened = open(target)) {
        assertThat(names(reopened.upstreams())).as("cut at %d of %d", cut, bytes.length).containsExactly("a");
      }
    }
  }

  @Test
  void aDamagedRecordBeforeTheLastJournalStopsTheStartAndNothingIsWritten() throws IOException {
    Path file = dir.resolve("upstream.conf");
    Files.writeString(file, "upstream a { server 10.0.0.1:80; }\n");
    Files.writeString(dir.resolve("upstream.conf.journal-1"), "P 1 1 1 1 20 0\nagarbage-garbage-ga\n");
    Files.writeString(dir.resolve("upstream.conf.journal-2"), "");
    byte[] before = Files.readAllBytes(file);

    assertThatThrownBy(() -> open(file)).isInstanceOf(IOException.class)
        .hasMessageContaining("upstream.conf.journal-1 is damaged at byte 0");
    assertThat(Files.readAllBytes(file)).isEqualTo(before);
    assertThat(dir.resolve("upstream.conf.journal-1")).exists();
  }

  @Test
  void recordsAlreadyFoldedIntoTheFileAreNotAppliedTwice() throws IOException {
    // A crash after the fold renamed the file and before it deleted the journal: the journal is read again.
    Path file = dir.resolve("upstream.conf");
    UpstreamFile store = open(file);
    store.put(upstream("a", "server 10.0.0.1:80;", 1, 1));
    store.remove("a");
    store.put(upstream("a", "server 10.0.0.2:80;", 3, 2));
    store.put(upstream("b", "server 10.0.0.3:80;", 4, 3));
    Path journal = journals(file).get(0);
    byte[] records = Files.readAllBytes(journal);
    store.fold();
    Files.write(journal, records);
    store.close();

    try (UpstreamFile reopened = open(file)) {
      assertThat(names(reopened.upstreams())).containsExactly("a", "b");
      assertThat(reopened.upstreams().get(0).version()).isEqualTo(3);
    }
  }

  @Test
  void aFileWithAnUnknownTopLevelDirectiveStopsTheStartAndIsNeverOverwritten() throws IOException {
    Path file = dir.resolve("upstream.conf");
    Files.writeString(file, "upstream keep1 { server 10.0.0.1:80; }\nupstrem keep2 { server 10.0.0.2:80; }\n"
        + "upstream keep3 { server 10.0.0.3:80; }\n");
    byte[] before = Files.readAllBytes(file);
    assertThatThrownBy(() -> open(file)).isInstanceOf(ConfigSyntaxException.class)
        .hasMessageContaining("unknown directive \"upstrem\"").hasMessageContaining("upstream.conf:2:1");
    assertThat(Files.readAllBytes(file)).isEqualTo(before);
  }

  @Test
  void aFileInADirectoryThatDoesNotExistFailsAtOpenNamingTheDirectory() {
    Path file = dir.resolve("missing").resolve("upstream.conf");
    assertThatThrownBy(() -> open(file)).isInstanceOf(NoSuchFileException.class)
        .hasMessageContaining(dir.resolve("missing").toString()).hasMessageContaining("does not exist");
  }

  @Test
  void aHandWrittenFileGetsVersionsAfterEveryVersionItHolds() throws IOException {
    Path file = dir.resolve("upstream.conf");
    Files.writeString(file, "upstream a { server 10.0.0.1:80; }\n# dyups version=9 order=2\n"
        + "upstream b { server 10.0.0.2:80; }\n");
    try (UpstreamFile store = open(file)) {
      assertThat(store.upstreams()).extracting(StoredUpstream::version).containsExactly(10L, 9L);
      assertThat(store.upstreams()).extracting(StoredUpstream::order).containsExactly(3L, 2L);
    }
  }

  @Test
  void aMissingFileIsNewAndEmpty() throws IOException {
    try (UpstreamFile store = open(dir.resolve("upstream.conf"))) {
      assertThat(store.isNew()).isTrue();
      assertThat(store.upstreams()).isEmpty();
    }
  }

  @Test
  void theJournalIsFoldedInTheBackgroundAfterTheDelay() throws Exception {
    Path file = dir.resolve("upstream.conf");
    try (UpstreamFile store = UpstreamFile.open(file, true, new UpstreamFile.Options(Duration.ofMillis(20),
        Long.MAX_VALUE))) {
      store.put(upstream("a", "server 10.0.0.1:80;", 1, 1));
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (store.journalBytes() > 0 && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertThat(store.journalBytes()).isZero();
      assertThat(Files.readString(file, UTF_8)).contains("upstream a {");
    }
  }

  @Test
  void aReaderLookingOnWhileTheFileIsFoldedSeesWholeStatesOnly() throws Exception {
    // Each change folded at once: the file is renamed over and journals deleted while the reader reads.
    Path file = dir.resolve("upstream.conf");
    int changes = 400;
    try (UpstreamFile store = UpstreamFile.open(file, true, new UpstreamFile.Options(Duration.ZERO, 0))) {
      store.put(upstream("a", "server 10.0.0.1:80;", 1, 1));
      Thread writer = new Thread(() -> {
        try {
          for (int version = 2; version <= changes; version++) {
            store.put(upstream("a", "server 10.0.0.1:80 weight=" + version + ";", version, 1));
          }
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
      writer.start();
      long lastSeen = 0;
      int reads = 0;
      while (writer.isAlive() || reads == 0) {
        List<StoredUpstream> read = UpstreamFile.read(file);
        assertThat(read).extracting(StoredUpstream::name).containsExactly("a");
        StoredUpstream a = read.get(0);
        assertThat(a.version()).as("versions never go back").isGreaterThanOrEqualTo(lastSeen);
        assertThat(a.definition().toConfig()).as("the text belongs to its version")
            .contains(a.version() == 1 ? "10.0.0.1:80;" : "weight=" + a.version() + ";");
        lastSeen = a.version();
        reads++;
      }
      writer.join();
      assertThat(UpstreamFile.read(file).get(0).version()).isEqualTo(changes);
    }
  }

  @Test
  void replaceAllRewritesTheFileWithTheWholeState() throws IOException {
    Path file = dir.resolve("upstream.conf");
    try (UpstreamFile store = open(file)) {
      store.put(upstream("a", "server 10.0.0.1:80;", 1, 1));
      store.replaceAll(List.of(upstream("x", "server 10.0.0.9:80;", 7, 5)));
      assertThat(journals(file)).isEmpty();
      assertThat(NginxConfig.load(file).upstreams()).extracting(UpstreamBlock::name).containsExactly("x");
    }
  }

  private Path copyOf(Path file) throws IOException {
    Path copyDir = Files.createTempDirectory(dir, "copy");
    for (Path entry : Files.list(dir).toList()) {
      if (Files.isRegularFile(entry)) {
        Files.copy(entry, copyDir.resolve(entry.getFileName()));
      }
    }
    return copyDir.resolve(file.getFileName());
  }
}
