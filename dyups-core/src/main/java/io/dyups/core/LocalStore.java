package io.dyups.core;

import static java.util.Objects.requireNonNull;

import io.dyups.parser.UpstreamBlock;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * The store of a registry on its own: in memory, or in its persistence file ({@code dyups_upstream_conf}) through an
 * {@link UpstreamFile}. Versions count changes: each change's version is one more than the largest before it
 * (read back from the file at a restart, so a version is never given twice). Changes are serialized by the store's
 * lock, held while the change is written to the journal and published to the registry, so the journal's order is
 * the registry's.
 */
final class LocalStore implements UpstreamStore {
  private final @Nullable Path path;
  private final UpstreamFile.Options options;
  private final AtomicFileWriter writer;
  private final boolean tryLock;

  private final ReentrantLock lock = new ReentrantLock();
  // What the registry holds, by folded name: the version checks read it under lock. Made again at open, sized for
  // the state it opens with (a start with many upstreams neither rehashes it nor numbers them twice).
  private Map<String, StoredUpstream> current = new HashMap<>();
  private @Nullable UpstreamFile file;
  private @Nullable StoreSink sink;
  private long lastVersion;
  private long lastOrder;
  private boolean closed;
  private volatile long lastApplied;
  private volatile @Nullable Instant lastAppliedAt;

  private LocalStore(@Nullable Path path, UpstreamFile.Options options, AtomicFileWriter writer, boolean tryLock) {
    this.path = path;
    this.options = options;
    this.writer = writer;
    this.tryLock = tryLock;
  }

  /** A store that keeps nothing beyond the process. */
  static LocalStore inMemory(boolean tryLock) {
    return new LocalStore(null, UpstreamFile.Options.DEFAULT, new AtomicFileWriter(), tryLock);
  }

  /** A store in {@code path}, each change forced to disk before it is acknowledged. */
  static LocalStore inFile(Path path, UpstreamFile.Options options, AtomicFileWriter writer, boolean tryLock) {
    return new LocalStore(requireNonNull(path, "path"), options, writer, tryLock);
  }

  @Override
  public void open(StoreSink sink, Seed seed) throws IOException {
    requireNonNull(sink, "sink");
    requireNonNull(seed, "seed");
    lock.lock();
    try {
      List<StoredUpstream> initial;
      Map<String, StoredUpstream> byKey;
      if (path == null) {
        Numbered numbered = numbered(seed.upstreams());
        initial = numbered.inOrder();
        byKey = numbered.byKey();
      } else {
        UpstreamFile opened = UpstreamFile.open(path, true, options, writer);
        try {
          if (opened.isNew()) {
            // dyups's rule: the persistence file is what the registry restores. The configuration files seed it
            // once, when it does not exist yet, and the seed is written at once so that a restart reads it back.
            Numbered numbered = numbered(seed.upstreams());
            initial = numbered.inOrder();
            byKey = numbered.byKey();
            opened.replaceAll(initial);
          } else {
            initial = opened.upstreams();
            byKey = sized(initial.size());
            for (StoredUpstream upstream : initial) {
              byKey.put(UpstreamRegistry.key(upstream.name()), upstream);
              lastVersion = Math.max(lastVersion, upstream.version());
              lastOrder = Math.max(lastOrder, upstream.order());
            }
          }
        } catch (IOException | RuntimeException e) {
          opened.close();
          throw e;
        }
        file = opened;
      }
      current = byKey;
      this.sink = sink;
      sink.replaceAll(initial);
    } finally {
      lock.unlock();
    }
  }

  // The seed's blocks as a new store's first state, each numbered once into a map by folded name (the store's map
  // from then on); a name given twice keeps its first place and last definition, as loading the same files into a
  // registry one by one does. Orders are given in a row from lastOrder, so the list's index of an order is
  // order - base - 1.
  private Numbered numbered(List<UpstreamBlock> blocks) {
    Map<String, StoredUpstream> byKey = sized(blocks.size());
    List<StoredUpstream> inOrder = new ArrayList<>(blocks.size());
    long base = lastOrder;
    for (UpstreamBlock block : blocks) {
      String key = UpstreamRegistry.key(block.name());
      StoredUpstream old = byKey.get(key);
      if (old == null) {
        StoredUpstream upstream = new StoredUpstream(block, ++lastVersion, ++lastOrder);
        byKey.put(key, upstream);
        inOrder.add(upstream);
      } else {
        StoredUpstream upstream = new StoredUpstream(block.withName(old.name()), ++lastVersion, old.order());
        byKey.put(key, upstream);
        inOrder.set((int) (old.order() - base - 1), upstream);
      }
    }
    return new Numbered(inOrder, byKey);
  }

  /** A seed numbered: in the order of first appearance, and by folded name. */
  private record Numbered(List<StoredUpstream> inOrder, Map<String, StoredUpstream> byKey) {}

  // A map that takes `size` entries without growing (HashMap grows past 0.75 of its table).
  private static Map<String, StoredUpstream> sized(int size) {
    return new HashMap<>((int) (size / 0.75f) + 1);
  }

  @Override
  public Result commit(StoreChange change) {
    requireNonNull(change, "change");
    if (tryLock) {
      if (!lock.tryLock()) {
        return Result.LOCKED;
      }
    } else {
      lock.lock();
    }
    try {
      StoreSink target = sink;
      if (target == null || closed) {
        return Result.of(Result.Kind.CLOSED, "the registry is closed; nothing changed");
      }
      String key = change.key();
      StoredUpstream old = current.get(key);
      if (change.isDelete() && old == null) {
        return Result.of(Result.Kind.NOT_FOUND, "upstream \"" + change.name() + "\" not found");
      }
      if (!change.expects(old)) {
        return versionConflict(change, old);
      }
      UpstreamBlock definition = change.definition();
      if (definition == null) {
        requireNonNull(old, "old");
        if (file != null) {
          file.remove(old.name());
        }
        current.remove(key);
        lastVersion++;
        applied(lastVersion);
        target.remove(old.name());
        return Result.success(UpstreamRegistry.ABSENT);
      }
      String name = old == null ? change.name() : old.name();
      StoredUpstream next = new StoredUpstream(definition.withName(name), lastVersion + 1,
          old == null ? lastOrder + 1 : old.order());
      if (file != null) {
        file.put(next);
      }
      lastVersion++;
      if (old == null) {
        lastOrder++;
      }
      current.put(key, next);
      applied(next.version());
      target.put(next);
      return Result.success(next.version());
    } catch (IOException | UncheckedIOException | SecurityException e) {
      return Result.of(Result.Kind.FAILED,
          "cannot write \"" + (file == null ? path : file.path()) + "\": " + describe(e) + "; nothing changed");
    } finally {
      lock.unlock();
    }
  }

  private void applied(long version) {
    lastApplied = version;
    lastAppliedAt = Instant.now();
  }

  static Result versionConflict(StoreChange change, @Nullable StoredUpstream old) {
    long actual = old == null ? UpstreamRegistry.ABSENT : old.version();
    long expected = change.expectedVersion();
    String found = old == null ? "it does not exist" : "it is at version " + actual;
    String wanted = expected == UpstreamRegistry.ABSENT ? "expected it not to exist" : "expected version " + expected;
    return new Result(Result.Kind.VERSION_CONFLICT,
        "version conflict on upstream \"" + change.name() + "\": " + wanted + ", " + found, actual);
  }

  private static String describe(Exception e) {
    String message = e.getMessage();
    return e.getClass().getSimpleName() + (message == null ? "" : " " + message);
  }

  /** Always caught up (changes are applied as they are made); the file's unfolded journal is not a delay. */
  @Override
  public StoreStatus status() {
    return new StoreStatus(path == null ? "memory" : "file", !closed, closed ? "closed" : "open",
        path == null ? "" : path.toString(), lastApplied, lastAppliedAt, 0, 0);
  }

  @Override
  public void close() {
    lock.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      if (file != null) {
        file.close();
      }
    } finally {
      lock.unlock();
    }
  }

  /** The persistence file, for tests. */
  @Nullable UpstreamFile file() {
    return file;
  }
}
