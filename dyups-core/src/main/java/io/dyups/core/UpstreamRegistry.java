package io.dyups.core;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkState;
import static java.util.Objects.requireNonNull;

import com.google.common.base.Ticker;
import io.dyups.parser.ConfigSyntaxException;
import io.dyups.parser.ConfigWarning;
import io.dyups.parser.NginxConfig;
import io.dyups.parser.UpstreamBlock;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * Named upstreams that can be created, replaced, deleted, found and listed while traffic flows: the registry of
 * dyups.
 *
 * <p><b>Reading</b> ({@link #find}, {@link #list}, {@link #detail}) takes no lock. {@code find} returns an
 * immutable {@link Upstream} snapshot; a request that found it finishes on it even if the upstream is replaced
 * meanwhile. {@code list} and {@code detail} give the registry as it was at one moment, never a mix of the
 * states before and after a change.
 *
 * <p><b>Changing</b> ({@link #updateUpstream}, {@link #deleteUpstream}) never throws for bad input: the
 * {@link Result} says what happened, with dyups's status codes. Changes are serialized; a change is visible to
 * every thread when the call returns. The cost of a change does not grow with the number of upstreams, except
 * for rewriting the persistence file when one is set.
 *
 * <p><b>Names</b> compare ignoring ASCII case, as nginx compares upstream names. Listings keep the order in which
 * names first appeared; replacing an upstream keeps its place.
 *
 * <p><b>Persistence</b>: with a {@linkplain Builder#persistenceFile file} set (dyups's {@code
 * dyups_upstream_conf}), every change rewrites it as nginx configuration before the change becomes visible,
 * atomically and durably; if that fails the change is refused with 500 and nothing changes.
 *
 * <p>Thread-safe. {@link #close()} stops the listener thread.
 */
public final class UpstreamRegistry implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(UpstreamRegistry.class.getName());

  /** The default limit of a change's commands: dyups's default {@code dyups_shm_zone_size}. */
  public static final long DEFAULT_MAX_COMMANDS_SIZE = 2L * 1024 * 1024;

  /** Passed as an expected version: the upstream must not exist yet. */
  public static final long ABSENT = 0;

  private final ConcurrentHashMap<String, Upstream> byKey = new ConcurrentHashMap<>();
  private final ConcurrentSkipListMap<Long, String> keysInOrder = new ConcurrentSkipListMap<>();
  private final ConcurrentHashMap<String, Upstream> healthChecked = new ConcurrentHashMap<>();
  private final ReentrantLock writeLock = new ReentrantLock();
  private final AtomicLong versions = new AtomicLong();
  private long nextOrder;
  // Odd while a change is being applied to the maps, even otherwise; written only under writeLock. A listing
  // that reads the same even count before and after reading both maps saw no change half-applied (a seqlock:
  // the maps' own reads and writes are volatile, so a reader that sees a change's write also sees the count).
  private volatile long changes;
  private static final int OPTIMISTIC_READS = 16;

  private final long maxCommandsSize;
  private final boolean tryLock;
  @Nullable private final Path persistenceFile;
  private final AtomicFileWriter fileWriter;
  private final Ticker ticker;
  private final int workers;
  private final List<UpstreamListener> listeners;
  @Nullable private final ExecutorService notifier;

  private UpstreamRegistry(Builder builder) {
    this.maxCommandsSize = builder.maxCommandsSize;
    this.tryLock = builder.tryLock;
    this.persistenceFile = builder.persistenceFile;
    this.fileWriter = builder.fileWriter;
    this.ticker = builder.ticker;
    this.workers = builder.workers;
    this.listeners = List.copyOf(builder.listeners);
    this.notifier = listeners.isEmpty() ? null : Executors.newSingleThreadExecutor(runnable -> {
      Thread thread = new Thread(runnable, "dyups-registry-listeners");
      thread.setDaemon(true);
      return thread;
    });
  }

  /** A builder with dyups's defaults: 2 MiB commands limit, blocking lock, no persistence, no listeners. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Creates or replaces {@code name} with the upstream described by {@code commands}, the inside of an nginx
   * {@code upstream} block such as {@code "server 127.0.0.1:8089;server 127.0.0.1:8088;"}.
   */
  public Result updateUpstream(String name, String commands) {
    return update(name, commands, null, -1, false);
  }

  /**
   * As {@link #updateUpstream(String, String)}, made only when the upstream's current version is
   * {@code expectedVersion} ({@link #ABSENT}: only when it does not exist yet); otherwise 409.
   */
  public Result updateUpstream(String name, String commands, long expectedVersion) {
    checkArgument(expectedVersion >= 0, "expectedVersion must be >= 0: %s", expectedVersion);
    return update(name, commands, null, expectedVersion, true);
  }

  /** Creates or replaces {@code name} with {@code block} (whose own name is replaced by {@code name}). */
  public Result updateUpstream(String name, UpstreamBlock block) {
    requireNonNull(block, "block");
    return update(name, null, block, -1, false);
  }

  /** As {@link #updateUpstream(String, UpstreamBlock)}, made only when the version is {@code expectedVersion}. */
  public Result updateUpstream(String name, UpstreamBlock block, long expectedVersion) {
    requireNonNull(block, "block");
    checkArgument(expectedVersion >= 0, "expectedVersion must be >= 0: %s", expectedVersion);
    return update(name, null, block, expectedVersion, true);
  }

  /** Deletes {@code name}: 200, or 404 when there is no such upstream. */
  public Result deleteUpstream(String name) {
    return delete(name, -1, false);
  }

  /** As {@link #deleteUpstream(String)}, made only when the upstream's version is {@code expectedVersion}. */
  public Result deleteUpstream(String name, long expectedVersion) {
    checkArgument(expectedVersion >= 0, "expectedVersion must be >= 0: %s", expectedVersion);
    return delete(name, expectedVersion, true);
  }

  /**
   * The upstream called {@code name} (ignoring ASCII case), or {@code null}. Takes no lock; allocates nothing
   * when the name has no upper-case letters.
   */
  @Nullable
  public Upstream find(String name) {
    return byKey.get(key(name));
  }

  /** The names of all upstreams, in order of first appearance. */
  public List<String> list() {
    List<String> names = new ArrayList<>(byKey.size());
    for (Upstream upstream : detail()) {
      names.add(upstream.name());
    }
    return names;
  }

  /**
   * All upstreams, in order of first appearance: the registry as it was at one moment between the call and its
   * return. Takes no lock unless changes keep landing while it reads; then it waits for one change to finish.
   */
  public List<Upstream> detail() {
    for (int attempt = 0; attempt < OPTIMISTIC_READS; attempt++) {
      long before = changes;
      if ((before & 1) == 0) {
        List<Upstream> upstreams = collect();
        if (changes == before) {
          return upstreams;
        }
      }
      Thread.onSpinWait();
    }
    writeLock.lock();
    try {
      return collect();
    } finally {
      writeLock.unlock();
    }
  }

  // The order and the upstreams live in two maps; a listing is whole only if no change ran while it read them.
  private List<Upstream> collect() {
    List<Upstream> upstreams = new ArrayList<>(byKey.size());
    for (String key : keysInOrder.values()) {
      Upstream upstream = byKey.get(key);
      if (upstream != null) {
        upstreams.add(upstream);
      }
    }
    return upstreams;
  }

  /** The number of upstreams. */
  public int size() {
    return byKey.size();
  }

  /** The largest commands size, in bytes of UTF-8, that {@link #updateUpstream(String, String)} accepts. */
  public long maxCommandsSize() {
    return maxCommandsSize;
  }

  /** Stops the listener thread after it has told listeners of every change made so far. */
  @Override
  public void close() {
    if (notifier != null) {
      notifier.shutdown();
      try {
        notifier.awaitTermination(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private Result update(
      String name, @Nullable String commands, @Nullable UpstreamBlock block, long expected, boolean check) {
    requireNonNull(name, "name");
    try {
      UpstreamBlock.checkName(name);
    } catch (IllegalArgumentException e) {
      return Result.of(Result.Kind.INVALID, e.getMessage());
    }
    UpstreamBlock definition;
    if (commands != null) {
      long size = utf8Length(commands);
      if (size > maxCommandsSize) {
        return Result.of(Result.Kind.TOO_LARGE,
            "commands too large: " + size + " bytes, the limit is " + maxCommandsSize);
      }
      try {
        definition = UpstreamBlock.fromCommands(name, commands);
      } catch (ConfigSyntaxException e) {
        return Result.of(Result.Kind.INVALID, e.getMessage());
      }
    } else {
      definition = block;
    }

    String key = key(name);
    if (!lock()) {
      return Result.LOCKED;
    }
    UpstreamChange change;
    long version;
    try {
      Upstream old = byKey.get(key);
      Result conflict = versionConflict(name, old, expected, check);
      if (conflict != null) {
        return conflict;
      }
      String kept = old == null ? name : old.name();
      UpstreamBlock named = definition.withName(kept);
      long order = old == null ? nextOrder : old.order;
      Upstream current = new Upstream(kept, versions.incrementAndGet(), named,
          PeerGroup.create(named, old == null ? null : old.peers(), ticker, workers), order);
      Result persisted = persist(key, current);
      if (persisted != null) {
        return persisted;
      }
      changes++;
      try {
        if (old == null) {
          nextOrder++;
          keysInOrder.put(order, key);
        }
        byKey.put(key, current);
        trackHealthCheck(key, current);
      } finally {
        changes++;
      }
      change = new UpstreamChange(kept, old, current);
      version = current.version();
    } finally {
      writeLock.unlock();
    }
    notifyListeners(change);
    return Result.success(version);
  }

  private Result delete(String name, long expected, boolean check) {
    requireNonNull(name, "name");
    String key = key(name);
    if (!lock()) {
      return Result.LOCKED;
    }
    UpstreamChange change;
    try {
      Upstream old = byKey.get(key);
      if (old == null) {
        return Result.of(Result.Kind.NOT_FOUND, "upstream \"" + name + "\" not found");
      }
      Result conflict = versionConflict(name, old, expected, check);
      if (conflict != null) {
        return conflict;
      }
      Result persisted = persist(key, null);
      if (persisted != null) {
        return persisted;
      }
      changes++;
      try {
        byKey.remove(key);
        healthChecked.remove(key);
        keysInOrder.remove(old.order);
      } finally {
        changes++;
      }
      change = new UpstreamChange(old.name(), old, null);
    } finally {
      writeLock.unlock();
    }
    notifyListeners(change);
    return Result.success(ABSENT);
  }

  private boolean lock() {
    if (tryLock) {
      return writeLock.tryLock();
    }
    writeLock.lock();
    return true;
  }

  @Nullable
  private static Result versionConflict(String name, @Nullable Upstream old, long expected, boolean check) {
    if (!check) {
      return null;
    }
    long actual = old == null ? ABSENT : old.version();
    if (actual == expected) {
      return null;
    }
    String found = old == null ? "it does not exist" : "it is at version " + actual;
    String wanted = expected == ABSENT ? "expected it not to exist" : "expected version " + expected;
    return new Result(Result.Kind.VERSION_CONFLICT,
        "version conflict on upstream \"" + name + "\": " + wanted + ", " + found, actual);
  }

  /**
   * Writes the registry as it will be after the change ({@code current} in place of {@code key}, or without
   * {@code key} when {@code current} is null). Returns null when written (or nothing to write), else the 500.
   */
  @Nullable
  private Result persist(String key, @Nullable Upstream current) {
    if (persistenceFile == null) {
      return null;
    }
    try {
      fileWriter.replace(persistenceFile, out -> writeAll(out, key, current));
      return null;
    } catch (IOException | UncheckedIOException | SecurityException e) {
      LOG.log(Level.ERROR, "cannot write " + persistenceFile, e);
      return Result.of(Result.Kind.FAILED,
          "cannot write \"" + persistenceFile + "\": " + describe(e) + "; nothing changed");
    }
  }

  private void writeAll(OutputStream out, String key, @Nullable Upstream current) throws IOException {
    boolean written = false;
    for (Map.Entry<Long, String> entry : keysInOrder.entrySet()) {
      if (entry.getValue().equals(key)) {
        if (current != null) {
          out.write(current.config());
        }
        written = true;
      } else {
        Upstream upstream = byKey.get(entry.getValue());
        if (upstream != null) {
          out.write(upstream.config());
        }
      }
    }
    if (!written && current != null) {
      out.write(current.config());
    }
  }

  // What nginx logs at warning level when it reads a configuration (load balancing method redefined).
  private static void warn(ConfigWarning warning) {
    LOG.log(Level.WARNING, warning.toString());
  }

  private static String describe(Exception e) {
    String message = e.getMessage();
    return e.getClass().getSimpleName() + (message == null ? "" : " " + message);
  }

  private void notifyListeners(UpstreamChange change) {
    if (notifier == null) {
      return;
    }
    try {
      notifier.execute(() -> {
        for (UpstreamListener listener : listeners) {
          try {
            listener.onChange(change);
          } catch (RuntimeException | Error e) {
            LOG.log(Level.WARNING, "listener " + listener + " failed on " + change, e);
          }
        }
      });
    } catch (java.util.concurrent.RejectedExecutionException e) {
      LOG.log(Level.DEBUG, "registry closed; not telling listeners of " + change);
    }
  }

  /** nginx compares upstream names with ASCII case folding; lower-case names are used as they are. */
  static String key(String name) {
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c >= 'A' && c <= 'Z') {
        return lowerAscii(name);
      }
    }
    return name;
  }

  private static String lowerAscii(String name) {
    char[] chars = name.toCharArray();
    for (int i = 0; i < chars.length; i++) {
      if (chars[i] >= 'A' && chars[i] <= 'Z') {
        chars[i] = (char) (chars[i] + ('a' - 'A'));
      }
    }
    return new String(chars);
  }

  static long utf8Length(String text) {
    long length = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < 0x80) {
        length++;
      } else if (c < 0x800) {
        length += 2;
      } else if (Character.isHighSurrogate(c) && i + 1 < text.length()
          && Character.isLowSurrogate(text.charAt(i + 1))) {
        length += 4;
        i++;
      } else {
        length += 3;
      }
    }
    return length;
  }

  /** Adds the upstreams of a loaded configuration; used only while building, before anyone can see them. */
  private void add(UpstreamBlock block) {
    String key = key(block.name());
    Upstream old = byKey.get(key);
    long order = old == null ? nextOrder++ : old.order;
    String kept = old == null ? block.name() : old.name();
    UpstreamBlock named = block.withName(kept);
    Upstream upstream = new Upstream(kept, versions.incrementAndGet(), named,
        PeerGroup.create(named, old == null ? null : old.peers(), ticker, workers), order);
    byKey.put(key, upstream);
    trackHealthCheck(key, upstream);
    keysInOrder.put(order, key);
  }

  private void trackHealthCheck(String key, Upstream upstream) {
    if (upstream.definition().healthCheck() != null) {
      healthChecked.put(key, upstream);
    } else {
      healthChecked.remove(key);
    }
  }

  /** The upstreams with a {@code check} directive, for the {@link HealthChecker}: no scan of every upstream. */
  java.util.Collection<Upstream> healthChecked() {
    return healthChecked.values();
  }

  /**
   * Configures and creates a registry. Not thread-safe; {@link #build()} may be called more than once.
   */
  public static final class Builder {
    private long maxCommandsSize = DEFAULT_MAX_COMMANDS_SIZE;
    private boolean tryLock;
    @Nullable private Path persistenceFile;
    private AtomicFileWriter fileWriter = new AtomicFileWriter();
    private Ticker ticker = Ticker.systemTicker();
    private int workers = PeerGroup.DEFAULT_WORKERS;
    private final List<UpstreamListener> listeners = new ArrayList<>();
    private final List<Path> configs = new ArrayList<>();

    private Builder() {}

    /** The largest commands, in bytes of UTF-8, a change may carry (dyups's {@code dyups_shm_zone_size}). */
    public Builder maxCommandsSize(long bytes) {
      checkArgument(bytes > 0, "maxCommandsSize must be > 0: %s", bytes);
      this.maxCommandsSize = bytes;
      return this;
    }

    /**
     * dyups's {@code dyups_trylock}: when on, a change that finds another change in progress is refused at once
     * with 409 {@code wait and try again} instead of waiting for it.
     */
    public Builder tryLock(boolean on) {
      this.tryLock = on;
      return this;
    }

    /**
     * dyups's {@code dyups_upstream_conf}: the file that holds every upstream as nginx configuration. Loaded at
     * {@link #build()} when it exists (after any {@linkplain #load configuration}, replacing upstreams of the same
     * name), and rewritten after every change. {@link #build()} also deletes the temporary files beside it that a
     * process killed while writing it left behind.
     */
    public Builder persistenceFile(Path file) {
      this.persistenceFile = requireNonNull(file, "file");
      return this;
    }

    /**
     * The clock of the peers' failure windows ({@code max_fails} within {@code fail_timeout}): tests of an
     * application give one they move by hand. By default the JVM's monotonic clock ({@link System#nanoTime()}).
     *
     * @throws NullPointerException if {@code clock} is null
     */
    public Builder clock(InstantSource clock) {
      requireNonNull(clock, "clock");
      this.ticker = new Ticker() {
        @Override
        public long read() {
          Instant now = clock.instant();
          return now.getEpochSecond() * 1_000_000_000L + now.getNano();
        }
      };
      return this;
    }

    // For tests in this package, with the ticker the balancing tests share.
    Builder ticker(Ticker ticker) {
      this.ticker = requireNonNull(ticker, "ticker");
      return this;
    }

    /**
     * How many balancing states each upstream without {@code zone} keeps, as nginx's {@code worker_processes}:
     * threads pick through different ones and do not wait for each other, and each counts its own connections
     * and failures ({@code max_fails}, {@code max_conns} and {@code least_conn} are per worker, as in nginx).
     * Rounded up to a power of two; by default the number of processors. An upstream with {@code zone} always
     * has one, shared by every thread; {@code workers(1)} gives every upstream that exactness.
     */
    public Builder workers(int workers) {
      checkArgument(workers >= 1 && workers <= PeerGroup.MAX_WORKERS, "workers must be in 1..%s: %s",
          PeerGroup.MAX_WORKERS, workers);
      this.workers = workers;
      return this;
    }

    /** Adds a listener told of every change. */
    public Builder listener(UpstreamListener listener) {
      listeners.add(requireNonNull(listener, "listener"));
      return this;
    }

    /**
     * Loads every {@code upstream} block of an nginx configuration or upstream.conf at {@link #build()},
     * following its includes. May be called more than once; files load in the order given.
     */
    public Builder load(Path config) {
      configs.add(requireNonNull(config, "config"));
      return this;
    }

    // A process killed while writing leaves a temporary file beside the persistence file; without this, every
    // crash would leave one more. Failing to delete one is no reason not to start.
    private void removeLeftovers(Path file) {
      try {
        int removed = fileWriter.removeLeftovers(file);
        if (removed > 0) {
          LOG.log(Level.INFO, "removed " + removed + " temporary file(s) a crash left beside " + file);
        }
      } catch (IOException | UncheckedIOException | SecurityException e) {
        LOG.log(Level.WARNING, "cannot remove temporary files beside " + file, e);
      }
    }

    // For fault-injection tests.
    Builder fileWriter(AtomicFileWriter writer) {
      this.fileWriter = requireNonNull(writer, "writer");
      return this;
    }

    /**
     * Creates the registry, loading the configurations and the persistence file.
     *
     * @throws ConfigSyntaxException when a file does not parse (file, line and column in the message); no
     *     registry is created
     * @throws UncheckedIOException when a file cannot be read
     */
    public UpstreamRegistry build() {
      List<UpstreamBlock> initial = new ArrayList<>();
      try {
        // Both read one block at a time: the files are never held whole as text or as directives.
        for (Path config : configs) {
          NginxConfig.forEachUpstream(config, initial::add, UpstreamRegistry::warn);
        }
        if (persistenceFile != null && Files.exists(persistenceFile)) {
          checkState(!Files.isDirectory(persistenceFile), "persistence file %s is a directory", persistenceFile);
          UpstreamBlock.readAll(persistenceFile, initial::add, UpstreamRegistry::warn);
        }
        if (persistenceFile != null) {
          removeLeftovers(persistenceFile);
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      UpstreamRegistry registry = new UpstreamRegistry(this);
      for (UpstreamBlock block : initial) {
        registry.add(block);
      }
      return registry;
    }
  }
}
