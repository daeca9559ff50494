package io.dyups.core;

import static com.google.common.base.Preconditions.checkArgument;
import static java.util.Objects.requireNonNull;

import com.google.common.base.Ticker;
import io.dyups.parser.ConfigSyntaxException;
import io.dyups.parser.NginxConfig;
import io.dyups.parser.UpstreamBlock;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
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
 * <p>Thread-safe. After {@link #close()} changes are refused ({@link Result.Kind#CLOSED}) and the listener thread
 * stops; reading goes on working.
 */
public final class UpstreamRegistry implements AutoCloseable {
  /** The default limit of a change's commands: dyups's default {@code dyups_shm_zone_size}. */
  public static final long DEFAULT_MAX_COMMANDS_SIZE = 2L * 1024 * 1024;

  /** As an expected version: the upstream must not exist yet. As a result's version: none. */
  public static final long ABSENT = 0;

  private final ConcurrentHashMap<String, Upstream> byKey = new ConcurrentHashMap<>();
  private final ConcurrentSkipListMap<Long, String> keysInOrder = new ConcurrentSkipListMap<>();
  private final HealthCheckIndex healthChecked = new HealthCheckIndex();
  private final ReentrantLock writeLock = new ReentrantLock();
  private final AtomicLong versions = new AtomicLong();
  private long nextOrder;
  // Odd while a change is being applied to the maps, even otherwise; written only under writeLock. A listing
  // that reads the same even count before and after reading both maps saw no change half-applied (a seqlock:
  // the maps' own reads and writes are volatile, so a reader that sees a change's write also sees the count).
  private volatile long changes;
  private static final int OPTIMISTIC_READS = 16;
  // Set under writeLock by close(); read under it by every change.
  private boolean closed;

  private final long maxCommandsSize;
  private final boolean tryLock;
  private final @Nullable PersistenceFile persistence;
  private final Ticker ticker;
  private final int workers;
  private final UpstreamListeners listeners;

  private UpstreamRegistry(Builder builder, @Nullable PersistenceFile persistence) {
    this.maxCommandsSize = builder.maxCommandsSize;
    this.tryLock = builder.tryLock;
    this.persistence = persistence;
    this.ticker = builder.ticker;
    this.workers = builder.workers;
    this.listeners = new UpstreamListeners(builder.listeners);
  }

  /** A builder with dyups's defaults: 2 MiB commands limit, blocking lock, no persistence, no listeners. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Creates or replaces {@code name} with the upstream described by {@code commands}, the inside of an nginx
   * {@code upstream} block such as {@code "server 127.0.0.1:8089;server 127.0.0.1:8088;"}.
   *
   * @throws NullPointerException if {@code name} or {@code commands} is null
   */
  public Result updateUpstream(String name, String commands) {
    return update(name, commands, Expected.ANY);
  }

  /**
   * As {@link #updateUpstream(String, String)}, made only when the upstream's current version is
   * {@code expectedVersion} ({@link #ABSENT}: only when it does not exist yet); otherwise {@link
   * Result.Kind#VERSION_CONFLICT}.
   *
   * @throws NullPointerException if {@code name} or {@code commands} is null
   * @throws IllegalArgumentException if {@code expectedVersion} is negative
   */
  public Result updateUpstream(String name, String commands, long expectedVersion) {
    return update(name, commands, Expected.version(expectedVersion));
  }

  /**
   * Creates or replaces the upstream called {@code block.name()} with {@code block}.
   *
   * @throws NullPointerException if {@code block} is null
   */
  public Result updateUpstream(UpstreamBlock block) {
    requireNonNull(block, "block");
    return apply(new Change(block.name(), block, Expected.ANY));
  }

  /**
   * As {@link #updateUpstream(UpstreamBlock)}, made only when the upstream's version is {@code expectedVersion}.
   *
   * @throws NullPointerException if {@code block} is null
   * @throws IllegalArgumentException if {@code expectedVersion} is negative
   */
  public Result updateUpstream(UpstreamBlock block, long expectedVersion) {
    requireNonNull(block, "block");
    return apply(new Change(block.name(), block, Expected.version(expectedVersion)));
  }

  /**
   * Deletes {@code name}: {@link Result.Kind#SUCCESS}, or {@link Result.Kind#NOT_FOUND} when there is no such
   * upstream.
   *
   * @throws NullPointerException if {@code name} is null
   */
  public Result deleteUpstream(String name) {
    requireNonNull(name, "name");
    return apply(new Change(name, null, Expected.ANY));
  }

  /**
   * As {@link #deleteUpstream(String)}, made only when the upstream's version is {@code expectedVersion}.
   *
   * @throws NullPointerException if {@code name} is null
   * @throws IllegalArgumentException if {@code expectedVersion} is negative
   */
  public Result deleteUpstream(String name, long expectedVersion) {
    requireNonNull(name, "name");
    return apply(new Change(name, null, Expected.version(expectedVersion)));
  }

  /**
   * The upstream called {@code name} (ignoring ASCII case), or {@code null}. Takes no lock; allocates nothing
   * when the name has no upper-case letters.
   *
   * @throws NullPointerException if {@code name} is null
   */
  public @Nullable Upstream find(String name) {
    requireNonNull(name, "name");
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

  /**
   * Refuses every later change ({@link Result.Kind#CLOSED}), waits for a change in progress, and stops the
   * listener thread after it has told listeners of every change made before. Reading goes on working. Idempotent.
   */
  @Override
  public void close() {
    writeLock.lock();
    try {
      closed = true;
    } finally {
      writeLock.unlock();
    }
    listeners.close();
  }

  /** The version a change expects to find: any, or exactly one ({@link #ABSENT}: none). */
  private record Expected(boolean any, long version) {
    static final Expected ANY = new Expected(true, ABSENT);

    static Expected version(long version) {
      checkArgument(version >= 0, "expectedVersion must be >= 0: %s", version);
      return new Expected(false, version);
    }

    boolean matches(@Nullable Upstream current) {
      return any || version == (current == null ? ABSENT : current.version());
    }
  }

  /** One change as the registry applies it: the upstream {@code name} becomes {@code definition}, or is deleted. */
  private record Change(String name, @Nullable UpstreamBlock definition, Expected expected) {}

  private Result update(String name, String commands, Expected expected) {
    requireNonNull(name, "name");
    requireNonNull(commands, "commands");
    try {
      UpstreamBlock.checkName(name);
    } catch (IllegalArgumentException e) {
      return Result.of(Result.Kind.INVALID, String.valueOf(e.getMessage()));
    }
    long size = utf8Length(commands);
    if (size > maxCommandsSize) {
      return Result.of(Result.Kind.TOO_LARGE,
          "commands too large: " + size + " bytes, the limit is " + maxCommandsSize);
    }
    UpstreamBlock definition;
    try {
      definition = UpstreamBlock.fromCommands(name, commands);
    } catch (ConfigSyntaxException e) {
      return Result.of(Result.Kind.INVALID, String.valueOf(e.getMessage()));
    }
    return apply(new Change(name, definition, expected));
  }

  // Everything but parsing happens here, under the write lock: check, build, persist, publish; then tell.
  private Result apply(Change change) {
    UpstreamBlock definition = change.definition();
    if (definition != null) {
      try {
        UpstreamBlock.checkName(change.name());
      } catch (IllegalArgumentException e) {
        return Result.of(Result.Kind.INVALID, String.valueOf(e.getMessage()));
      }
    }
    String key = key(change.name());
    if (!lock()) {
      return Result.LOCKED;
    }
    UpstreamChange told;
    long version;
    try {
      if (closed) {
        return Result.of(Result.Kind.CLOSED, "the registry is closed; nothing changed");
      }
      Upstream old = byKey.get(key);
      if (definition == null && old == null) {
        return Result.of(Result.Kind.NOT_FOUND, "upstream \"" + change.name() + "\" not found");
      }
      if (!change.expected().matches(old)) {
        return versionConflict(change, old);
      }
      Upstream current = definition == null ? null : build(key, definition, old);
      Result failed = persist(key, current);
      if (failed != null) {
        return failed;
      }
      publish(key, old, current);
      String name = old != null ? old.name() : change.name();
      told = new UpstreamChange(name, old, current);
      version = current == null ? ABSENT : current.version();
    } finally {
      writeLock.unlock();
    }
    listeners.tell(told);
    return Result.success(version);
  }

  private boolean lock() {
    if (tryLock) {
      return writeLock.tryLock();
    }
    writeLock.lock();
    return true;
  }

  private static Result versionConflict(Change change, @Nullable Upstream old) {
    long actual = old == null ? ABSENT : old.version();
    long expected = change.expected().version();
    String found = old == null ? "it does not exist" : "it is at version " + actual;
    String wanted = expected == ABSENT ? "expected it not to exist" : "expected version " + expected;
    return new Result(Result.Kind.VERSION_CONFLICT,
        "version conflict on upstream \"" + change.name() + "\": " + wanted + ", " + found, actual);
  }

  /** The upstream {@code definition} makes under {@code key}: the first-written name and its place are kept. */
  private Upstream build(String key, UpstreamBlock definition, @Nullable Upstream old) {
    String kept = old == null ? definition.name() : old.name();
    UpstreamBlock named = definition.withName(kept);
    long order = old == null ? nextOrder : old.order;
    return new Upstream(kept, versions.incrementAndGet(), named,
        PeerGroup.create(named, old == null ? null : old.peers(), ticker, workers), order);
  }

  /** Makes {@code current} (null: nothing) what {@code key} is, for every reader at once. */
  private void publish(String key, @Nullable Upstream old, @Nullable Upstream current) {
    changes++;
    try {
      if (current == null) {
        byKey.remove(key);
        healthChecked.deleted(key);
        if (old != null) {
          keysInOrder.remove(old.order);
        }
      } else {
        if (old == null) {
          nextOrder++;
          keysInOrder.put(current.order, key);
        }
        byKey.put(key, current);
        healthChecked.published(key, current);
      }
    } finally {
      changes++;
    }
  }

  /**
   * Writes the registry as it will be after the change ({@code current} in place of {@code key}, or without
   * {@code key} when {@code current} is null). Returns null when written (or nothing to write), else the failure.
   */
  private @Nullable Result persist(String key, @Nullable Upstream current) {
    if (persistence == null) {
      return null;
    }
    try {
      persistence.write(stateAfter(key, current));
      return null;
    } catch (IOException | UncheckedIOException | SecurityException e) {
      return Result.of(Result.Kind.FAILED,
          "cannot write \"" + persistence.path() + "\": " + describe(e) + "; nothing changed");
    }
  }

  /** The upstreams in listing order as they will be after {@code key} becomes {@code current}. */
  private List<Upstream> stateAfter(String key, @Nullable Upstream current) {
    List<Upstream> after = new ArrayList<>(byKey.size() + 1);
    boolean placed = false;
    for (String each : keysInOrder.values()) {
      if (each.equals(key)) {
        placed = true;
        if (current != null) {
          after.add(current);
        }
      } else {
        Upstream upstream = byKey.get(each);
        if (upstream != null) {
          after.add(upstream);
        }
      }
    }
    if (!placed && current != null) {
      after.add(current);
    }
    return after;
  }

  private static String describe(Exception e) {
    String message = e.getMessage();
    return e.getClass().getSimpleName() + (message == null ? "" : " " + message);
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
  private void load(UpstreamBlock block) {
    String key = key(block.name());
    Upstream old = byKey.get(key);
    publish(key, old, build(key, block, old));
  }

  /** The upstreams with a {@code check} directive, for the {@link HealthChecker}: no scan of every upstream. */
  Collection<Upstream> healthChecked() {
    return healthChecked.upstreams();
  }

  /**
   * Configures and creates a registry. Not thread-safe; {@link #build()} may be called more than once.
   */
  public static final class Builder {
    private long maxCommandsSize = DEFAULT_MAX_COMMANDS_SIZE;
    private boolean tryLock;
    private @Nullable Path persistenceFile;
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
      PersistenceFile persistence = persistenceFile == null ? null : new PersistenceFile(persistenceFile, fileWriter);
      List<UpstreamBlock> initial = new ArrayList<>();
      try {
        for (Path config : configs) {
          initial.addAll(NginxConfig.load(config).upstreams());
        }
        if (persistence != null) {
          initial.addAll(persistence.load());
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      UpstreamRegistry registry = new UpstreamRegistry(this, persistence);
      for (UpstreamBlock block : initial) {
        registry.load(block);
      }
      return registry;
    }
  }
}
