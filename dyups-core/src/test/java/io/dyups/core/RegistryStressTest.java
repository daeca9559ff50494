package io.dyups.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.dyups.parser.ServerSpec;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Eight writers and eight readers on one registry for {@value #DEFAULT_OPERATIONS} operations (system property
 * {@code dyups.stress.operations}; the {@code soak} profile runs more). Readers find, pick and release, and now
 * and then take a whole listing.
 *
 * <p>Every write carries a write id. Its servers are {@code 10.I.I.I:P}: the id in the address (24 bits), the
 * name's index and the server's index in the port, so a reader can tell a snapshot mixing two writes, a
 * snapshot of another name, or one that never was acknowledged. One write in three adds a server that is the
 * same in every write of the name, so peer state is carried from group to group while readers hold peers.
 *
 * <p>Each writer owns {@value #OWNED_PER_WRITER} names (plain and versioned updates, deletes) and knows their
 * state exactly. {@value #SHARED} names are shared by all writers through versioned changes only, where 409 is
 * the expected answer to a lost race; for those, the successful changes must form one chain of versions.
 */
class RegistryStressTest {
  static final int DEFAULT_OPERATIONS = 250_000;
  private static final int WRITERS = 8;
  private static final int READERS = 8;
  private static final int OWNED_PER_WRITER = 4;
  private static final int SHARED = 4;
  private static final int OWNED = WRITERS * OWNED_PER_WRITER;
  private static final int NAMES = OWNED + SHARED;
  // A fifth of the operations are writes: parsing is the expensive part, and readers are the hot path.
  private static final int WRITE_SHARE_PERCENT = 20;
  private static final int MAX_PICKED_KEPT = 250_000;
  private static final String[] BALANCING = {
      "", "least_conn;", "ip_hash;", "random;", "random two least_conn;", "hash $remote_addr consistent;"};

  private final int operations = Integer.getInteger("dyups.stress.operations", DEFAULT_OPERATIONS);
  private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean stop = new AtomicBoolean();
  private final AtomicInteger writersRunning = new AtomicInteger();
  private UpstreamRegistry registry;
  private ExecutorService executor;

  @BeforeEach
  void start() {
    registry = UpstreamRegistry.builder().build();
    executor = Executors.newFixedThreadPool(WRITERS + READERS);
  }

  @AfterEach
  void stop() throws InterruptedException {
    stop.set(true);
    executor.shutdownNow();
    executor.awaitTermination(30, TimeUnit.SECONDS);
    registry.close();
  }

  static String name(int index) {
    return index < OWNED ? "owned" + index : "shared" + (index - OWNED);
  }

  static int serverCount(int id) {
    return 1 + id % 4;
  }

  static boolean hasAnchor(int id) {
    return id % 3 == 0;
  }

  /** The commands of write {@code id} to the name with index {@code nameIndex}. */
  static String commands(int id, int nameIndex) {
    StringBuilder out = new StringBuilder(BALANCING[id % BALANCING.length]);
    String ip = "10." + (id >>> 16 & 0xff) + "." + (id >>> 8 & 0xff) + "." + (id & 0xff);
    for (int i = 0; i < serverCount(id); i++) {
      out.append("server ").append(ip).append(':').append(port(nameIndex, i)).append(" max_fails=0;");
    }
    if (hasAnchor(id)) {
      out.append("server 192.168.0.").append(nameIndex).append(":9 max_fails=0;");
    }
    return out.toString();
  }

  static int port(int nameIndex, int server) {
    return 1000 + nameIndex * 8 + server;
  }

  /**
   * The write id a snapshot of {@code nameIndex} carries, after checking that it is whole: one id in every
   * marked server, as many servers as that write had, the anchor exactly when it had one, the peers built from
   * the same servers. Returns -1 (and records why) when it is not.
   */
  int checkWhole(Upstream upstream, int nameIndex) {
    List<ServerSpec> servers = upstream.definition().servers();
    int id = idOf(servers.get(0));
    int marked = 0;
    boolean anchor = false;
    for (int i = 0; i < servers.size(); i++) {
      ServerSpec server = servers.get(i);
      if (server.address().port() == 9) {
        anchor = true;
        continue;
      }
      if (idOf(server) != id || server.address().port() != port(nameIndex, marked)) {
        return fail("mixed snapshot of " + name(nameIndex) + ": " + servers);
      }
      marked++;
    }
    if (id < 0 || marked != serverCount(id) || anchor != hasAnchor(id)) {
      return fail("partial snapshot of " + name(nameIndex) + " for write " + id + ": " + servers);
    }
    List<Peer> peers = upstream.peers().asList();
    if (peers.size() != servers.size()) {
      return fail("peers " + peers + " not built from " + servers);
    }
    for (int i = 0; i < peers.size(); i++) {
      if (!peers.get(i).spec().equals(servers.get(i))) {
        return fail("peers " + peers + " not built from " + servers);
      }
    }
    return id;
  }

  private static int idOf(ServerSpec server) {
    String host = server.address().host();
    if (!host.startsWith("10.")) {
      return -1;
    }
    String[] octets = host.split("\\.");
    return Integer.parseInt(octets[1]) << 16 | Integer.parseInt(octets[2]) << 8 | Integer.parseInt(octets[3]);
  }

  private int fail(String why) {
    failures.add(why);
    stop.set(true);
    return -1;
  }

  /** One writer's view of a name it owns: the last acknowledged write id (-1: deleted) and its version. */
  private static final class Owned {
    int id = -1;
    long version = UpstreamRegistry.ABSENT;
  }

  /** A successful versioned change of a shared name: the version it expected and the write id (-1: delete). */
  private record Link(long expected, int id) {}

  private final class Writer implements Callable<Void> {
    final int index;
    final int operations;
    final Owned[] owned = new Owned[OWNED_PER_WRITER];
    final BitSet acknowledged = new BitSet();
    final BitSet refused = new BitSet();
    final List<List<Link>> sharedLinks = new ArrayList<>();
    long conflicts;
    long notFound;
    long done;
    private int sequence;

    Writer(int index, int operations) {
      this.index = index;
      this.operations = operations;
      for (int i = 0; i < OWNED_PER_WRITER; i++) {
        owned[i] = new Owned();
      }
      for (int i = 0; i < SHARED; i++) {
        sharedLinks.add(new ArrayList<>());
      }
    }

    int nextId() {
      // Ids of different writers never meet; small enough for the 24 bits of an address.
      return ++sequence * WRITERS + index;
    }

    @Override
    public Void call() {
      SplittableRandom random = new SplittableRandom(index);
      try {
        // Names exist from the start, so readers find something at once.
        for (int slot = 0; slot < OWNED_PER_WRITER; slot++) {
          create(slot);
        }
        if (index < SHARED) {
          shared(index, random);
          done++;
        }
        for (int op = 0; op < operations && !stop.get(); op++) {
          if (random.nextInt(4) == 0) {
            shared(random.nextInt(SHARED), random);
          } else {
            owned(random.nextInt(OWNED_PER_WRITER), random);
          }
          done++;
        }
      } finally {
        writersRunning.decrementAndGet();
      }
      return null;
    }

    private void create(int slot) {
      int nameIndex = index * OWNED_PER_WRITER + slot;
      int id = nextId();
      Result result = registry.updateUpstream(name(nameIndex), commands(id, nameIndex), UpstreamRegistry.ABSENT);
      if (!result.isSuccess()) {
        fail("creating " + name(nameIndex) + " answered " + result);
        return;
      }
      acknowledged.set(id);
      owned[slot].id = id;
      owned[slot].version = registry.find(name(nameIndex)).version();
      done++;
    }

    private void owned(int slot, SplittableRandom random) {
      int nameIndex = index * OWNED_PER_WRITER + slot;
      String name = name(nameIndex);
      Owned state = owned[slot];
      int kind = random.nextInt(10);
      if (kind < 2) {
        Result result = registry.deleteUpstream(name);
        Result.Kind expected = state.id < 0 ? Result.Kind.NOT_FOUND : Result.Kind.SUCCESS;
        if (result.kind() != expected) {
          fail("delete of " + name + " answered " + result + ", expected " + expected);
        }
        if (result.kind() == Result.Kind.NOT_FOUND) {
          notFound++;
        }
        state.id = -1;
        state.version = UpstreamRegistry.ABSENT;
      } else if (kind < 3 && state.id >= 0) {
        // A stale version must be refused and change nothing.
        int id = nextId();
        Result result = registry.updateUpstream(name, commands(id, nameIndex), state.version - 1);
        if (result.kind() != Result.Kind.VERSION_CONFLICT) {
          fail("stale versioned update of " + name + " answered " + result);
        }
        refused.set(id);
        conflicts++;
      } else {
        int id = nextId();
        boolean versioned = kind < 6;
        Result result = versioned
            ? registry.updateUpstream(name, commands(id, nameIndex), state.version)
            : registry.updateUpstream(name, commands(id, nameIndex));
        if (!result.isSuccess()) {
          fail((versioned ? "versioned " : "") + "update of " + name + " answered " + result);
          return;
        }
        acknowledged.set(id);
        state.id = id;
      }
      // Only this writer changes the name, so what it finds now is exactly what it last wrote.
      Upstream now = registry.find(name);
      if (state.id < 0) {
        if (now != null) {
          fail("deleted " + name + " is still found: " + now);
        }
      } else if (now == null || checkWhole(now, nameIndex) != state.id) {
        fail("acknowledged write " + state.id + " of " + name + " is not what find gives: " + now);
      } else {
        state.version = now.version();
      }
    }

    private void shared(int slot, SplittableRandom random) {
      int nameIndex = OWNED + slot;
      String name = name(nameIndex);
      Upstream current = registry.find(name);
      long expected = current == null ? UpstreamRegistry.ABSENT : current.version();
      if (current != null && random.nextInt(4) == 0) {
        Result result = registry.deleteUpstream(name, expected);
        if (result.isSuccess()) {
          sharedLinks.get(slot).add(new Link(expected, -1));
        } else if (result.kind() == Result.Kind.VERSION_CONFLICT || result.kind() == Result.Kind.NOT_FOUND) {
          conflicts++;
        } else {
          fail("versioned delete of " + name + " answered " + result);
        }
        return;
      }
      int id = nextId();
      Result result = registry.updateUpstream(name, commands(id, nameIndex), expected);
      if (result.isSuccess()) {
        acknowledged.set(id);
        sharedLinks.get(slot).add(new Link(expected, id));
      } else if (result.kind() == Result.Kind.VERSION_CONFLICT) {
        refused.set(id);
        conflicts++;
      } else {
        fail("versioned update of " + name + " answered " + result);
      }
    }
  }

  private final class Reader implements Callable<Void> {
    final int index;
    final int operations;
    final BitSet seen = new BitSet();
    final Set<Peer> picked = Collections.newSetFromMap(new IdentityHashMap<>());
    long found;
    long done;

    Reader(int index, int operations) {
      this.index = index;
      this.operations = operations;
    }

    @Override
    public Void call() {
      SplittableRandom random = new SplittableRandom(1000 + index);
      long[] lastVersion = new long[NAMES];
      PeerSelection first = new PeerSelection();
      PeerSelection second = new PeerSelection();
      // At least this reader's share, and on until every writer is done, so reads overlap all the writes.
      for (int op = 0; (op < operations || writersRunning.get() > 0) && !stop.get(); op += 2) {
        // Two requests in flight at once, so a release often lands on a group already replaced.
        int a = random.nextInt(NAMES);
        int b = random.nextInt(NAMES);
        Peer held = pick(a, lastVersion, first);
        Peer other = pick(b, lastVersion, second);
        if (held != null) {
          first.succeeded();
        }
        if (other != null) {
          second.succeeded();
        }
        done += 2;
        if ((op & 1023) == 0) {
          listing();
          done++;
        }
      }
      return null;
    }

    /** A listing is whole too: every upstream in it is one acknowledged write, each name at most once. */
    private void listing() {
      Set<String> names = new HashSet<>();
      for (Upstream upstream : registry.detail()) {
        if (!names.add(upstream.name())) {
          fail("listing names " + upstream.name() + " twice");
        }
        String name = upstream.name();
        int nameIndex = name.startsWith("owned") ? Integer.parseInt(name.substring(5))
            : OWNED + Integer.parseInt(name.substring(6));
        int id = checkWhole(upstream, nameIndex);
        if (id >= 0) {
          seen.set(id);
        }
      }
    }

    private Peer pick(int nameIndex, long[] lastVersion, PeerSelection selection) {
      Upstream upstream = registry.find(name(nameIndex));
      if (upstream == null) {
        return null;
      }
      found++;
      if (upstream.version() < lastVersion[nameIndex]) {
        fail("reader saw " + name(nameIndex) + " go back from version " + lastVersion[nameIndex] + " to "
            + upstream.version());
      }
      lastVersion[nameIndex] = upstream.version();
      int id = checkWhole(upstream, nameIndex);
      if (id < 0) {
        return null;
      }
      seen.set(id);
      selection.start(upstream.peers(), null, null);
      Peer peer = selection.next();
      if (peer == null) {
        fail("no peer picked from " + upstream);
        return null;
      }
      if (peer.group != upstream.peers()) {
        fail("picked " + peer + " from another group than " + upstream);
      }
      // Enough to cover every kind of group; a soak run would otherwise keep every peer ever built.
      if (picked.size() < MAX_PICKED_KEPT) {
        picked.add(peer);
      }
      return peer;
    }
  }

  @Test
  void eightWritersAndEightReadersKeepEveryInvariant() throws Exception {
    int writes = operations / 100 * WRITE_SHARE_PERCENT;
    assertThat(writes).as("write ids must fit the 24 bits of an address").isLessThan(1 << 23);
    List<Writer> writers = new ArrayList<>();
    List<Reader> readers = new ArrayList<>();
    for (int i = 0; i < WRITERS; i++) {
      writers.add(new Writer(i, writes / WRITERS));
    }
    for (int i = 0; i < READERS; i++) {
      readers.add(new Reader(i, (operations - writes) / READERS));
    }
    writersRunning.set(WRITERS);
    CountDownLatch go = new CountDownLatch(1);
    List<Future<Void>> tasks = new ArrayList<>();
    for (Callable<Void> task : concat(writers, readers)) {
      tasks.add(executor.submit(() -> {
        go.await();
        return task.call();
      }));
    }
    go.countDown();
    for (Future<Void> task : tasks) {
      task.get(10, TimeUnit.MINUTES);
    }

    assertThat(failures).isEmpty();

    // Every snapshot a reader saw was a write that was acknowledged; none that was refused ever showed.
    BitSet acknowledged = new BitSet();
    BitSet refused = new BitSet();
    writers.forEach(w -> acknowledged.or(w.acknowledged));
    writers.forEach(w -> refused.or(w.refused));
    BitSet seen = new BitSet();
    readers.forEach(r -> seen.or(r.seen));
    BitSet unacknowledged = (BitSet) seen.clone();
    unacknowledged.andNot(acknowledged);
    assertThat(unacknowledged.stream().toArray()).as("write ids seen but never acknowledged").isEmpty();
    assertThat(seen.intersects(refused)).as("a refused write was seen").isFalse();

    // Owned names end exactly as their writer last acknowledged.
    for (Writer writer : writers) {
      for (int slot = 0; slot < OWNED_PER_WRITER; slot++) {
        int nameIndex = writer.index * OWNED_PER_WRITER + slot;
        Upstream upstream = registry.find(name(nameIndex));
        int last = writer.owned[slot].id;
        if (last < 0) {
          assertThat(upstream).as(name(nameIndex)).isNull();
        } else {
          assertThat(upstream).as(name(nameIndex)).isNotNull();
          assertThat(checkWhole(upstream, nameIndex)).as(name(nameIndex)).isEqualTo(last);
        }
      }
    }

    // Shared names: the successful versioned changes form one chain from "absent" to the final state.
    for (int slot = 0; slot < SHARED; slot++) {
      int nameIndex = OWNED + slot;
      List<Link> links = new ArrayList<>();
      for (Writer writer : writers) {
        links.addAll(writer.sharedLinks.get(slot));
      }
      Map<Long, Link> byExpected = new HashMap<>();
      long creates = 0;
      long deletes = 0;
      for (Link link : links) {
        if (link.expected() == UpstreamRegistry.ABSENT) {
          creates++;
        } else {
          Link earlier = byExpected.put(link.expected(), link);
          assertThat(earlier).as("two changes of %s both made at version %s: %s and %s", name(nameIndex),
              link.expected(), earlier, link).isNull();
        }
        if (link.id() < 0) {
          deletes++;
        }
      }
      Upstream last = registry.find(name(nameIndex));
      if (last == null) {
        assertThat(creates).as("creates of %s", name(nameIndex)).isEqualTo(deletes);
      } else {
        assertThat(creates).as("creates of %s", name(nameIndex)).isEqualTo(deletes + 1);
        assertThat(byExpected).as("a change acknowledged after the final state of %s", name(nameIndex))
            .doesNotContainKey(last.version());
        int id = checkWhole(last, nameIndex);
        assertThat(links).as("the final write of %s among its acknowledged changes", name(nameIndex))
            .anyMatch(link -> link.id() == id);
      }
    }

    // Every peer any request used is back to zero connections.
    long picks = 0;
    for (Reader reader : readers) {
      for (Peer peer : reader.picked) {
        assertThat(peer.activeConnections()).as("active connections of %s", peer).isZero();
      }
      picks += reader.found;
    }
    for (Upstream upstream : registry.detail()) {
      assertThat(upstream.peers().asList()).allMatch(peer -> peer.activeConnections() == 0);
    }

    long writesDone = writers.stream().mapToLong(w -> w.done).sum();
    long readsDone = readers.stream().mapToLong(r -> r.done).sum();
    long conflicts = writers.stream().mapToLong(w -> w.conflicts).sum();
    long notFound = writers.stream().mapToLong(w -> w.notFound).sum();
    System.out.printf("RegistryStressTest: %d operations: %d writes (%d acknowledged updates, %d conflicts, %d"
        + " deletes of absent names), %d finds (%d found and picked)%n", writesDone + readsDone, writesDone,
        acknowledged.cardinality(), conflicts, notFound, readsDone, picks);
    assertThat(writesDone + readsDone).isGreaterThanOrEqualTo(operations);
    assertThat(acknowledged.cardinality()).isGreaterThan(writes / 4);
    assertThat(picks).isGreaterThan(readsDone / 4);
    assertThat(conflicts).isPositive();
  }

  private static List<Callable<Void>> concat(List<Writer> writers, List<Reader> readers) {
    List<Callable<Void>> all = new ArrayList<>(writers);
    all.addAll(readers);
    return all;
  }
}
