package io.dyups.core;

import static com.google.common.base.Preconditions.checkArgument;
import static java.util.Objects.requireNonNull;

import com.google.common.base.Ticker;
import io.dyups.parser.Balancing;
import io.dyups.parser.ConfigSyntaxException;
import io.dyups.parser.ConfigWarning;
import io.dyups.parser.NginxConfig;
import io.dyups.parser.NginxUnits;
import io.dyups.parser.ResolverSpec;
import io.dyups.parser.ServerSpec;
import io.dyups.parser.UpstreamBlock;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.function.IntUnaryOperator;
import java.util.function.UnaryOperator;
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
  private final HostResolver resolver;
  private final boolean ownsResolver;
  private final HostTable hosts;

  private UpstreamRegistry(Builder builder, @Nullable PersistenceFile persistence) {
    this.maxCommandsSize = builder.maxCommandsSize;
    this.tryLock = builder.tryLock;
    this.persistence = persistence;
    this.ticker = builder.ticker;
    this.workers = builder.workers;
    this.listeners = new UpstreamListeners(builder.listeners);
    this.ownsResolver = builder.hostResolver == null;
    this.resolver = builder.hostResolver != null ? builder.hostResolver : HostResolver.system();
    this.hosts = new HostTable(resolver, new HostTable.Defaults(builder.resolver, builder.resolverTimeout),
        this::rebuild, builder.random);
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
   * Adds {@code server} at the end of upstream {@code name}'s servers. The upstream's other directives and every
   * other server's live state stay as they are; the change is checked as nginx checks the whole block, and a {@code
   * backup} server under a method that keeps none ({@code hash}) is refused in nginx's words; it is persisted, versioned and told to listeners
   * exactly as an {@linkplain #updateUpstream(UpstreamBlock) update}. {@link Result.Kind#NOT_FOUND} when there is
   * no such upstream. Changes of one upstream by several threads serialize: none is lost.
   *
   * @throws NullPointerException if an argument is null
   */
  public ServerResult addServer(String name, ServerSpec server) {
    return addServer(name, server, Expected.ANY);
  }

  /**
   * As {@link #addServer(String, ServerSpec)}, made only when the upstream's version is {@code expectedVersion}.
   *
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if {@code expectedVersion} is negative
   */
  public ServerResult addServer(String name, ServerSpec server, long expectedVersion) {
    return addServer(name, server, Expected.version(expectedVersion));
  }

  private ServerResult addServer(String name, ServerSpec server, Expected expected) {
    requireNonNull(server, "server");
    return editServers(name, expected, current -> {
      if (server.backup() && !current.definition().balancing().supportsBackup()) {
        return ServerEdit.refused(Result.of(Result.Kind.INVALID, Balancing.BACKUP_NOT_SUPPORTED));
      }
      Result slowStart = slowStartRefused(server, current);
      if (slowStart != null) {
        return ServerEdit.refused(slowStart);
      }
      List<ServerSpec> servers = new ArrayList<>(current.definition().servers());
      servers.add(server);
      return new ServerEdit(servers, servers.size() - 1, null);
    });
  }

  /** nginx's refusal of {@code slow_start=} under a method that does not take it, or null. */
  private static @Nullable Result slowStartRefused(ServerSpec server, Upstream current) {
    if (server.slowStart().isZero() || current.definition().balancing().supportsSlowStart()) {
      return null;
    }
    return Result.of(Result.Kind.INVALID,
        Balancing.notSupported("slow_start=" + NginxUnits.formatTime(server.slowStart())));
  }

  /**
   * Changes the parameters of the server with id {@code id} of upstream {@code name} to what {@code change} makes of
   * them ({@code spec -> spec.withWeight(3).withDown(true)}). As {@link #addServer(String, ServerSpec)} otherwise;
   * {@link Result.Kind#NOT_FOUND} when there is no such upstream or server. A server whose address changes gets the
   * id of its new address ({@link UpstreamServer}). {@code change} may be called more than once when other changes
   * of the upstream land meanwhile, each time with the server as it is then.
   *
   * @throws NullPointerException if an argument is null
   */
  public ServerResult changeServer(String name, int id, UnaryOperator<ServerSpec> change) {
    return changeServer(name, id, change, Expected.ANY);
  }

  /**
   * As {@link #changeServer(String, int, UnaryOperator)}, made only when the upstream's version is {@code
   * expectedVersion}.
   *
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if {@code expectedVersion} is negative
   */
  public ServerResult changeServer(String name, int id, UnaryOperator<ServerSpec> change, long expectedVersion) {
    return changeServer(name, id, change, Expected.version(expectedVersion));
  }

  private ServerResult changeServer(String name, int id, UnaryOperator<ServerSpec> change, Expected expected) {
    requireNonNull(change, "change");
    return editServers(name, expected, current -> {
      int index = indexOf(current, id);
      if (index < 0) {
        return ServerEdit.refused(serverNotFound(current, id));
      }
      List<ServerSpec> servers = new ArrayList<>(current.definition().servers());
      ServerSpec changed;
      try {
        changed = requireNonNull(change.apply(servers.get(index)), "the change made no server");
      } catch (IllegalArgumentException e) {
        return ServerEdit.refused(Result.of(Result.Kind.INVALID, String.valueOf(e.getMessage())));
      }
      if (changed.backup() && !servers.get(index).backup() && !current.definition().balancing().supportsBackup()) {
        return ServerEdit.refused(Result.of(Result.Kind.INVALID, Balancing.BACKUP_NOT_SUPPORTED));
      }
      Result slowStart = slowStartRefused(changed, current);
      if (slowStart != null) {
        return ServerEdit.refused(slowStart);
      }
      servers.set(index, changed);
      return new ServerEdit(servers, index, null);
    });
  }

  /**
   * Removes the server with id {@code id} from upstream {@code name}. As {@link #addServer(String, ServerSpec)}
   * otherwise; {@link Result.Kind#NOT_FOUND} when there is no such upstream or server. The last server cannot be
   * removed ({@link Result.Kind#INVALID}, nginx's {@code no servers are inside upstream}): delete the upstream.
   *
   * @throws NullPointerException if {@code name} is null
   */
  public ServerResult removeServer(String name, int id) {
    return removeServer(name, id, Expected.ANY);
  }

  /**
   * As {@link #removeServer(String, int)}, made only when the upstream's version is {@code expectedVersion}.
   *
   * @throws NullPointerException if {@code name} is null
   * @throws IllegalArgumentException if {@code expectedVersion} is negative
   */
  public ServerResult removeServer(String name, int id, long expectedVersion) {
    return removeServer(name, id, Expected.version(expectedVersion));
  }

  private ServerResult removeServer(String name, int id, Expected expected) {
    return editServers(name, expected, current -> {
      int index = indexOf(current, id);
      if (index < 0) {
        return ServerEdit.refused(serverNotFound(current, id));
      }
      List<ServerSpec> servers = new ArrayList<>(current.definition().servers());
      ServerSpec removed = servers.remove(index);
      return new ServerEdit(servers, -1, new UpstreamServer(id, removed));
    });
  }

  private static int indexOf(Upstream upstream, int id) {
    List<UpstreamServer> servers = upstream.servers();
    for (int i = 0; i < servers.size(); i++) {
      if (servers.get(i).id() == id) {
        return i;
      }
    }
    return -1;
  }

  private static Result serverNotFound(Upstream upstream, int id) {
    return Result.of(Result.Kind.NOT_FOUND, "server " + id + " not found in upstream \"" + upstream.name() + "\"");
  }

  /**
   * What a change of servers makes of an upstream's list: the new list and the index of the server it added or
   * changed (-1 when it removed {@code removed}), or a refusal.
   */
  private record ServerEdit(
      List<ServerSpec> servers, int index, @Nullable UpstreamServer removed, @Nullable Result refusal) {
    ServerEdit(List<ServerSpec> servers, int index, @Nullable UpstreamServer removed) {
      this(servers, index, removed, null);
    }

    static ServerEdit refused(Result refusal) {
      return new ServerEdit(List.of(), -1, null, refusal);
    }
  }

  // Bounds the retries of a change of servers that other changes of the same upstream keep overtaking; each
  // retry means another change was made, so the registry as a whole always moves on.
  private static final int SERVER_EDIT_ATTEMPTS = 64;

  /**
   * A change of servers is an ordinary change of the whole upstream: the edit is applied to the upstream as found,
   * the block is read again as nginx would read it (so every rule of the parser holds, in one place), and the
   * result goes through {@link #apply} expecting the version found, so it is persisted, versioned and told like any
   * update, and one that another change overtook is made again on the newer upstream.
   */
  private ServerResult editServers(String name, Expected expected, Function<Upstream, ServerEdit> edit) {
    requireNonNull(name, "name");
    for (int attempt = 1; ; attempt++) {
      Upstream current = find(name);
      if (current == null) {
        return ServerResult.failed(Result.of(Result.Kind.NOT_FOUND, "upstream \"" + name + "\" not found"));
      }
      if (!expected.matches(current)) {
        return ServerResult.failed(versionConflict(new Change(name, null, expected), current));
      }
      ServerEdit made = edit.apply(current);
      Result refusal = made.refusal();
      if (refusal != null) {
        return ServerResult.failed(refusal);
      }
      UpstreamBlock old = current.definition();
      UpstreamBlock block;
      try {
        block = UpstreamBlock.fromCommands(current.name(), new UpstreamBlock(current.name(), old.balancing(),
            made.servers(), old.keepalive(), old.zone(), old.healthCheck(), old.resolver(), old.resolverTimeout())
            .toCommands());
      } catch (ConfigSyntaxException e) {
        return ServerResult.failed(Result.of(Result.Kind.INVALID, e.reason()));
      }
      Result result = apply(new Change(current.name(), block, Expected.version(current.version())));
      if (result.kind() == Result.Kind.VERSION_CONFLICT && expected.any() && attempt < SERVER_EDIT_ATTEMPTS) {
        continue;
      }
      if (!result.isSuccess()) {
        return ServerResult.failed(result);
      }
      if (made.index() < 0) {
        return new ServerResult(result, made.removed());
      }
      int id = ServerIds.of(block.servers())[made.index()];
      return new ServerResult(result, new UpstreamServer(id, block.servers().get(made.index())));
    }
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
   * Adds a listener after the registry was built (an adapter such as a metrics binder that is given the registry):
   * it is told of every change made from now on, as those given to {@link Builder#listener}. Thread-safe.
   *
   * @throws NullPointerException if {@code listener} is null
   */
  public void addListener(UpstreamListener listener) {
    listeners.add(requireNonNull(listener, "listener"));
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
    hosts.close();
    if (ownsResolver) {
      resolver.close();
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
      // A change's positions name "commands", not a file: the log says which upstream the commands were for.
      definition = UpstreamBlock.fromCommands(name, commands,
          warning -> LOG.log(Level.WARNING, "upstream \"" + name + "\": " + warning));
    } catch (ConfigSyntaxException e) {
      return Result.of(Result.Kind.INVALID, String.valueOf(e.getMessage()));
    }
    return apply(new Change(name, definition, expected));
  }

  // Host names are looked up before the write lock, so a slow resolver never holds other writers up; the rest
  // happens under it: check, build, persist, publish; then tell.
  private Result apply(Change change) {
    UpstreamBlock definition = change.definition();
    if (definition != null) {
      try {
        UpstreamBlock.checkName(change.name());
      } catch (IllegalArgumentException e) {
        return Result.of(Result.Kind.INVALID, String.valueOf(e.getMessage()));
      }
      try (HostTable.Lease lease = hosts.prepare(change.name(), definition, true)) {
        String refusal = lease.refusal();
        if (refusal != null) {
          return Result.of(Result.Kind.INVALID, refusal);
        }
        return applyLocked(change);
      }
    }
    return applyLocked(change);
  }

  private Result applyLocked(Change change) {
    UpstreamBlock definition = change.definition();
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
      String zones = ZoneSizes.problem(byKey.values(), old, definition);
      if (zones != null) {
        return Result.of(Result.Kind.INVALID, zones);
      }
      Upstream current = definition == null ? null : build(definition, old);
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
  private Upstream build(UpstreamBlock definition, @Nullable Upstream old) {
    String kept = old == null ? definition.name() : old.name();
    UpstreamBlock named = definition.withName(kept);
    long order = old == null ? nextOrder : old.order;
    return new Upstream(kept, versions.incrementAndGet(), named, peers(named, old), order);
  }

  /** The peers of {@code definition} with the addresses its names have now, carrying the state of {@code old}'s. */
  private PeerGroup peers(UpstreamBlock definition, @Nullable Upstream old) {
    PeerGroup previous = old == null ? null : old.peers();
    return PeerGroup.create(definition, hosts.plan(definition, previous), previous, ticker, workers);
  }

  /**
   * Rebuilds the upstreams that use a name whose answer changed ({@link HostTable.Users}): the same definition and
   * version with the new addresses; a peer whose address stays keeps its state. Nothing is written to the
   * persistence file: it keeps the names, not what they resolve to.
   */
  private void rebuild(Runnable apply, java.util.function.Supplier<java.util.Set<String>> users) {
    List<UpstreamChange> told = new ArrayList<>();
    writeLock.lock();
    try {
      apply.run();
      if (closed) {
        return;
      }
      for (String key : users.get()) {
        Upstream old = byKey.get(key);
        if (old == null) {
          continue;
        }
        Upstream current = new Upstream(old.name(), old.version(), old.definition(),
            peers(old.definition(), old), old.order);
        publish(key, old, current);
        told.add(new UpstreamChange(old.name(), old, current));
      }
    } finally {
      writeLock.unlock();
    }
    for (UpstreamChange change : told) {
      listeners.tell(change);
    }
  }

  /** Makes {@code current} (null: nothing) what {@code key} is, for every reader at once. */
  @SuppressWarnings("NonAtomicVolatileUpdate") // changes is written only under writeLock
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
      hosts.use(key, current == null ? null : current.definition());
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

  private static final System.Logger LOG = System.getLogger(UpstreamRegistry.class.getName());

  // What nginx logs at warning level when it reads a configuration (load balancing method redefined); a change's
  // commands are read the same way (dyups parses them with ngx_conf_parse) and logged in update().
  private static void warn(ConfigWarning warning) {
    LOG.log(Level.WARNING, warning.toString());
  }

  private static String describe(Exception e) {
    String message = e.getMessage();
    return e.getClass().getSimpleName() + (message == null ? "" : " " + message);
  }

  /**
   * The key of a name: {@link UpstreamBlock#foldName}, the one rule the parser's duplicate check also uses (ASCII
   * letters only, as nginx), so that every state the registry accepts loads again.
   */
  static String key(String name) {
    return UpstreamBlock.foldName(name);
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

  /**
   * Adds an upstream of a configuration ({@code config}: its file) or of the persistence file ({@code config}
   * null); used only while building, before anyone can see them. A configuration is checked as nginx checks it
   * when it starts: a host name without {@code resolve} that is not found refuses the start with nginx's {@code
   * host not found in upstream "NAME:PORT"} at its server line, while a name with {@code resolve} may be unresolved
   * (its peers come when it resolves). The persistence file holds only what the registry accepted, so it always
   * loads again: a name it has that is not found now leaves the upstream without that server's peers until it is,
   * and its {@link HostStatus} says so.
   *
   * @throws ConfigSyntaxException when {@code config} is refused
   */
  @SuppressWarnings("try") // the lease holds the names' answers while the upstream is built
  private void load(UpstreamBlock block, @Nullable Path config) {
    String key = key(block.name());
    try (HostTable.Lease lease = hosts.prepare(block.name(), block, config != null)) {
      String refusal = lease.refusal();
      if (refusal != null && config != null) {
        throw StartRefusal.of(refusal, lease.refusedServer(), block, config);
      }
      Upstream old = byKey.get(key);
      Upstream current = build(block, old);
      publish(key, old, current);
      for (HostStatus host : current.hosts()) {
        if (host.state() != HostStatus.State.RESOLVED) {
          ServerSpec server = host.server();
          // nginx's words: the resolver's for a name with resolve, the configuration's for one without.
          String what = server.resolvesAtRunTime() ? server.address().host() + " could not be resolved"
              : HostTable.notFound(server.address());
          LOG.log(Level.WARNING, what + " (" + host.error() + ") in upstream \"" + block.name()
              + "\"; looked up again until found");
        }
      }
    }
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
    private Ticker ticker = PeerGroup.SYSTEM_CLOCK;
    private int workers = PeerGroup.DEFAULT_WORKERS;
    private final List<UpstreamListener> listeners = new ArrayList<>();
    private final List<Path> configs = new ArrayList<>();
    private @Nullable HostResolver hostResolver;
    private @Nullable ResolverSpec resolver;
    private Duration resolverTimeout = HostTable.DEFAULT_RESOLVER_TIMEOUT;
    private IntUnaryOperator random = bound -> ThreadLocalRandom.current().nextInt(bound);

    private Builder() {}

    /**
     * What looks the servers' host names up: the DNS client of {@code dyups-dns} ({@code
     * io.dyups.dns.DnsHostResolver}), which asks the servers of the {@code resolver} directive and honours TTLs, or
     * one of the application's. By default {@link HostResolver#system()}, made for the registry and closed with it;
     * a resolver given here is the caller's to close, after the registry.
     *
     * @throws NullPointerException if {@code resolver} is null
     */
    public Builder hostResolver(HostResolver resolver) {
      this.hostResolver = requireNonNull(resolver, "resolver");
      return this;
    }

    /**
     * nginx's {@code resolver} of the {@code http} block: the DNS servers that names with {@code server ... resolve}
     * are looked up with, in upstreams that have no {@code resolver} of their own. Without one, such an upstream is
     * refused with nginx's {@code no resolver defined to resolve names at run time in upstream "NAME"}.
     *
     * @throws NullPointerException if {@code resolver} is null
     */
    public Builder resolver(ResolverSpec resolver) {
      this.resolver = requireNonNull(resolver, "resolver");
      return this;
    }

    /**
     * nginx's {@code resolver_timeout} of the {@code http} block (30 seconds by default): how long a lookup of a name
     * with {@code resolve} may take, in upstreams that have no {@code resolver_timeout} of their own.
     *
     * @throws IllegalArgumentException if {@code timeout} is negative
     */
    public Builder resolverTimeout(Duration timeout) {
      checkArgument(!timeout.isNegative(), "resolverTimeout must not be negative: %s", timeout);
      this.resolverTimeout = timeout;
      return this;
    }

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
     * application give one they move by hand. By default the system clock ({@link InstantSource#system()}): as
     * nginx's {@code ngx_time()}, a window counts whole seconds of wall-clock time.
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
     * following its includes. May be called more than once; files load in the order given. As nginx at its start,
     * every server's host name without {@code resolve} is looked up then, and one that is not found refuses the
     * build; a name with {@code resolve} is looked up with the {@linkplain #resolver resolver} and may be unresolved.
     */
    public Builder load(Path config) {
      configs.add(requireNonNull(config, "config"));
      return this;
    }

    // For tests of the orders nginx draws at random (a rotated cached answer, a service's records).
    Builder random(IntUnaryOperator random) {
      this.random = requireNonNull(random, "random");
      return this;
    }

    // For fault-injection tests.
    Builder fileWriter(AtomicFileWriter writer) {
      this.fileWriter = requireNonNull(writer, "writer");
      return this;
    }

    /** An upstream read at {@link #build()}, and the configuration it is from (null: the persistence file). */
    private record Initial(UpstreamBlock block, @Nullable Path config) {}

    /**
     * Creates the registry, loading the configurations and the persistence file.
     *
     * @throws ConfigSyntaxException when a file does not parse, or a configuration is refused as nginx refuses to
     *     start on it: a server's host name (without {@code resolve}) that is not found, with nginx's {@code host not
     *     found in upstream "NAME:PORT"}, or a name with {@code resolve} and no resolver (file, line and column in
     *     the message); no registry is created
     * @throws UncheckedIOException when a file cannot be read
     */
    public UpstreamRegistry build() {
      PersistenceFile persistence = persistenceFile == null ? null : new PersistenceFile(persistenceFile, fileWriter);
      List<Initial> initial = new ArrayList<>();
      try {
        // Both read one block at a time: the files are never held whole as text or as directives.
        for (Path config : configs) {
          NginxConfig.forEachUpstream(config, block -> initial.add(new Initial(block, config)),
              UpstreamRegistry::warn);
        }
        if (persistence != null) {
          for (UpstreamBlock block : persistence.load(UpstreamRegistry::warn)) {
            initial.add(new Initial(block, null));
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      UpstreamRegistry registry = new UpstreamRegistry(this, persistence);
      try {
        for (Initial each : initial) {
          registry.load(each.block(), each.config());
        }
      } catch (RuntimeException e) {
        registry.close();
        throw e;
      }
      return registry;
    }
  }
}
