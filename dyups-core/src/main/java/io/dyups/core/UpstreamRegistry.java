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
import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.SortedMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.function.IntUnaryOperator;
import java.util.function.Supplier;
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
 * {@link Result} says what happened, with dyups's status codes. A change is visible to every thread when the call
 * returns. The cost of a change does not grow with the number of upstreams.
 *
 * <p><b>Names</b> compare ignoring ASCII case, as nginx compares upstream names. Listings keep the order in which
 * names first appeared; replacing an upstream keeps its place.
 *
 * <p><b>Where upstreams are kept</b>: every change is committed to the registry's {@link UpstreamStore} before it
 * becomes visible; if the store refuses it, nothing changes. By default the store is memory; with a {@linkplain
 * Builder#persistenceFile persistence file} (dyups's {@code dyups_upstream_conf}) each change is appended durably
 * to a journal beside the file, which is folded into the file in the background (see {@link UpstreamFile}), so a
 * change costs the same with 100 or 100,000 upstreams; with a shared store ({@linkplain Builder#store ZooKeeper})
 * every registry on it serves the same upstreams, and changes made through another registry are published here
 * as local ones are.
 *
 * <p>Thread-safe. After {@link #close()} changes are refused ({@link Result.Kind#CLOSED}) and the listener thread
 * stops; reading goes on working.
 */
public final class UpstreamRegistry implements AutoCloseable {
  /** The default limit of a change's commands: dyups's default {@code dyups_shm_zone_size}. */
  public static final long DEFAULT_MAX_COMMANDS_SIZE = 2L * 1024 * 1024;

  /** The default limit of upstreams in a registry. */
  public static final int DEFAULT_MAX_UPSTREAMS = 200_000;

  /** The default limit of server lines in one upstream. */
  public static final int DEFAULT_MAX_SERVERS_PER_UPSTREAM = 10_000;

  /**
   * The default limit of server lines in all upstreams together: about 1 GB of heap at the limit (each server
   * costs about 1 KB with the per-worker balancing state of a 2-processor machine).
   */
  public static final int DEFAULT_MAX_SERVERS = 1_000_000;

  /** As an expected version: the upstream must not exist yet. As a result's version: none. */
  public static final long ABSENT = 0;


  // Replaced whole (under writeLock, inside a change's odd count) only when a registry that holds nothing is given
  // every upstream at once: its start (see Sink.replaceAll); changed in place otherwise.
  private volatile ConcurrentHashMap<String, Upstream> byKey = new ConcurrentHashMap<>();
  private volatile ConcurrentSkipListMap<Place, String> keysInOrder = new ConcurrentSkipListMap<>();
  private final HealthCheckIndex healthChecked = new HealthCheckIndex();
  // Serializes publishing: the store delivers one change at a time, and listings fall back on it.
  private final ReentrantLock writeLock = new ReentrantLock();
  // Odd while a change is being applied to the maps, even otherwise; written only under writeLock. A listing
  // that reads the same even count before and after reading both maps saw no change half-applied (a seqlock:
  // the maps' own reads and writes are volatile, so a reader that sees a change's write also sees the count).
  private volatile long changes;
  private static final int OPTIMISTIC_READS = 16;
  private volatile boolean closed;

  private final long maxCommandsSize;
  private final int maxUpstreams;
  private final int maxServersPerUpstream;
  private final long maxServers;
  // Server lines of every published upstream; written under writeLock.
  private volatile long servers;
  private final UpstreamStore store;
  private final Ticker ticker;
  private final int workers;
  private final UpstreamListeners listeners;
  private final StoreSink sink = new Sink();
  private final HostResolver resolver;
  private final boolean ownsResolver;
  private final HostTable hosts;

  private UpstreamRegistry(Builder builder, UpstreamStore store) {
    this.maxCommandsSize = builder.maxCommandsSize;
    this.maxUpstreams = builder.maxUpstreams;
    this.maxServersPerUpstream = builder.maxServersPerUpstream;
    this.maxServers = builder.maxServers;
    this.store = store;
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
        return ServerResult.failed(LocalStore.versionConflict(new StoreChange(name, null, expected.version()),
            new StoredUpstream(current.definition(), current.version(), current.order)));
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
    Map<String, Upstream> upstreamsByKey = byKey;
    List<Upstream> upstreams = new ArrayList<>(upstreamsByKey.size());
    for (String key : keysInOrder.values()) {
      Upstream upstream = upstreamsByKey.get(key);
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

  /** What the registry's store is doing: connected or not, the last change applied, how far behind. */
  public StoreStatus storeStatus() {
    return store.status();
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
   * Refuses every later change ({@link Result.Kind#CLOSED}), waits for a change in progress, closes the store
   * (folding the persistence file's journal into it) and stops the listener thread after it has told listeners of
   * every change made before. Reading goes on working. Idempotent.
   */
  @Override
  public void close() {
    writeLock.lock();
    try {
      closed = true;
    } finally {
      writeLock.unlock();
    }
    store.close();
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

  // Host names are looked up before the store commits (a slow resolver holds no other writer up), and stay in the
  // table until the change is published; the store checks the version, commits, and publishes through the sink.
  private Result apply(Change change) {
    UpstreamBlock definition = change.definition();
    if (definition != null) {
      try {
        UpstreamBlock.checkName(change.name());
      } catch (IllegalArgumentException e) {
        return Result.of(Result.Kind.INVALID, String.valueOf(e.getMessage()));
      }
    }
    if (closed) {
      return Result.of(Result.Kind.CLOSED, "the registry is closed; nothing changed");
    }
    // Like the limits, checked against the registry as it is: a change from elsewhere is applied as the store has it.
    String zones = ZoneSizes.problem(byKey.values(), byKey.get(key(change.name())), definition);
    if (zones != null) {
      return Result.of(Result.Kind.INVALID, zones);
    }
    if (definition == null) {
      return commit(change);
    }
    Result refused = overLimit(change.name(), definition);
    if (refused != null) {
      return refused;
    }
    try (HostTable.Lease lease = hosts.prepare(change.name(), definition, true)) {
      String refusal = lease.refusal();
      if (refusal != null) {
        return Result.of(Result.Kind.INVALID, refusal);
      }
      return commit(change);
    }
  }

  private Result commit(Change change) {
    UpstreamBlock definition = change.definition();
    long expected = change.expected().any() ? StoreChange.ANY_VERSION : change.expected().version();
    Result result = store.commit(new StoreChange(change.name(), definition, expected));
    if (result.kind() == Result.Kind.TOO_LARGE) {
      // The store's own limit (ZooKeeper's request size) is below the registry's: say both.
      return new Result(Result.Kind.TOO_LARGE, result.message() + "; this registry's own limit is "
          + maxCommandsSize + " bytes of commands (dyups_shm_zone_size)", result.version());
    }
    return result;
  }

  /**
   * The limits a change must stay within, checked against the registry as it is (a change from another registry
   * on a shared store is applied whatever it holds: the store is the truth).
   */
  private @Nullable Result overLimit(String name, UpstreamBlock definition) {
    int count = definition.servers().size();
    if (count > maxServersPerUpstream) {
      return Result.of(Result.Kind.TOO_LARGE, "too many servers in upstream \"" + name + "\": " + count
          + ", the limit is " + maxServersPerUpstream + " per upstream");
    }
    Upstream old = byKey.get(key(name));
    if (old == null && byKey.size() >= maxUpstreams) {
      return Result.of(Result.Kind.TOO_LARGE, "too many upstreams: the registry holds " + byKey.size()
          + ", the limit is " + maxUpstreams);
    }
    long after = servers - (old == null ? 0 : old.definition().servers().size()) + count;
    if (after > maxServers) {
      return Result.of(Result.Kind.TOO_LARGE, "too many servers: the registry would hold " + after
          + " in all, the limit is " + maxServers);
    }
    return null;
  }

  /**
   * An upstream's place in listings: its store's order, then its name as names compare (a store may give one order
   * to several upstreams: ZooKeeper gives those created in one transaction the same creation zxid).
   */
  private record Place(long order, String key) implements Comparable<Place> {
    @Override
    public int compareTo(Place other) {
      int byOrder = Long.compare(order, other.order);
      return byOrder != 0 ? byOrder : key.compareTo(other.key);
    }
  }

  /** Where the store delivers changes: each one published under the write lock, listeners told after it. */
  private final class Sink implements StoreSink {
    @Override
    @SuppressWarnings("try") // the lease holds the names' answers while the upstream is built
    public void put(StoredUpstream upstream) {
      requireNonNull(upstream, "upstream");
      UpstreamChange told;
      // Its host names looked up before the write lock; a change from elsewhere is never refused for them.
      try (HostTable.Lease lease = hosts.prepare(upstream.name(), upstream.definition(), false)) {
        writeLock.lock();
        try {
          told = publish(key(upstream.name()), upstream);
        } finally {
          writeLock.unlock();
        }
      }
      if (told != null) {
        listeners.tell(told);
      }
    }

    @Override
    public void remove(String name) {
      requireNonNull(name, "name");
      UpstreamChange told;
      writeLock.lock();
      try {
        told = unpublish(key(name));
      } finally {
        writeLock.unlock();
      }
      if (told != null) {
        listeners.tell(told);
      }
    }

    @Override
    public void replaceAll(Collection<StoredUpstream> upstreams) {
      if (byKey.isEmpty() && publishIntoEmpty(upstreams)) {
        return;
      }
      // Sized for them all: a start hands over every upstream at once (no rehashing, no growing arrays).
      Map<String, StoredUpstream> next = new HashMap<>((int) (upstreams.size() / 0.75f) + 1);
      // Each name folded once, here, for the check and for its publish.
      String[] keys = new String[upstreams.size()];
      int k = 0;
      for (StoredUpstream upstream : upstreams) {
        String key = key(upstream.name());
        keys[k++] = key;
        if (next.put(key, upstream) != null) {
          throw new IllegalArgumentException("upstream \"" + upstream.name() + "\" is given twice");
        }
      }
      List<UpstreamChange> told = new ArrayList<>(upstreams.size());
      List<HostTable.Lease> leases = new ArrayList<>(upstreams.size());
      try {
        for (StoredUpstream upstream : upstreams) {
          leases.add(hosts.prepare(upstream.name(), upstream.definition(), false));
        }
        writeLock.lock();
        try {
          for (String key : List.copyOf(byKey.keySet())) {
            if (!next.containsKey(key)) {
              UpstreamChange change = unpublish(key);
              if (change != null) {
                told.add(change);
              }
            }
          }
          k = 0;
          for (StoredUpstream upstream : upstreams) {
            UpstreamChange change = publish(keys[k++], upstream);
            if (change != null) {
              told.add(change);
            }
          }
        } finally {
          writeLock.unlock();
        }
      } finally {
        leases.forEach(HostTable.Lease::close);
      }
      for (UpstreamChange change : told) {
        warnUnresolved(change.current());
        listeners.tell(change);
      }
    }
  }

  /**
   * {@link Sink#replaceAll} into a registry that holds nothing, as a start is (the store's {@code open}): the same
   * upstreams, warnings and listener calls as publishing them one by one, made in one pass into maps sized for them
   * all. The listing's order is built in linear time when the store gives the upstreams in their order, as {@link
   * LocalStore} does (100 000 skip-list insertions otherwise); the folded names need no map of their own to find a
   * name given twice; an upstream without host names takes no lease and no {@link HostTable#use}. False, having
   * changed nothing, when a change landed first (then the general path runs).
   *
   * <p>Who is told: a start runs inside {@link Builder#build()}, before the registry is returned, so nobody can
   * have called {@link #addListener} yet and the listeners are exactly the builder's; each is told of every
   * upstream, in the order given, as by the general path. With no listener at all no {@link UpstreamChange} is made.
   */
  @SuppressWarnings({"NonAtomicVolatileUpdate", "try"}) // changes is written only under writeLock
  private boolean publishIntoEmpty(Collection<StoredUpstream> upstreams) {
    int size = upstreams.size();
    StoredUpstream[] given = upstreams.toArray(new StoredUpstream[0]);
    if (given.length != size) {
      return false; // a collection changing under us: let the general path report it
    }
    List<HostTable.Lease> leases = new ArrayList<>();
    Upstream[] made = new Upstream[size];
    try {
      // Host names looked up before the write lock, as put() does; most files have none.
      for (StoredUpstream stored : given) {
        if (stored.definition().hasHostNames()) {
          leases.add(hosts.prepare(stored.name(), stored.definition(), false));
        }
      }
      writeLock.lock();
      try {
        if (!byKey.isEmpty()) {
          return false;
        }
        ConcurrentHashMap<String, Upstream> nextByKey = new ConcurrentHashMap<>(size);
        Place[] places = new Place[size];
        String[] keys = new String[size];
        boolean ordered = true;
        long serverCount = 0;
        for (int i = 0; i < size; i++) {
          StoredUpstream stored = given[i];
          String key = key(stored.name());
          UpstreamBlock definition = stored.definition();
          // Under the write lock, as publish() makes it: a name's answer cannot change meanwhile.
          Upstream upstream = unpicked(stored, null);
          if (nextByKey.putIfAbsent(key, upstream) != null) {
            throw new IllegalArgumentException("upstream \"" + stored.name() + "\" is given twice");
          }
          made[i] = upstream;
          keys[i] = key;
          places[i] = new Place(stored.order(), key);
          ordered &= i == 0 || places[i - 1].compareTo(places[i]) < 0;
          serverCount += definition.servers().size();
        }
        ConcurrentSkipListMap<Place, String> nextInOrder;
        if (ordered) {
          nextInOrder = new ConcurrentSkipListMap<>(new SortedRun(places, keys));
        } else {
          nextInOrder = new ConcurrentSkipListMap<>();
          for (int i = 0; i < size; i++) {
            nextInOrder.put(places[i], keys[i]);
          }
        }
        changes++;
        try {
          byKey = nextByKey;
          keysInOrder = nextInOrder;
          servers = serverCount;
          for (int i = 0; i < size; i++) {
            UpstreamBlock definition = made[i].definition();
            if (definition.healthCheck() != null) {
              healthChecked.published(keys[i], made[i]);
            }
            if (definition.hasHostNames()) {
              hosts.use(keys[i], definition);
            }
          }
        } finally {
          changes++;
        }
      } finally {
        writeLock.unlock();
      }
    } finally {
      leases.forEach(HostTable.Lease::close);
    }
    boolean told = listeners.listening();
    for (Upstream upstream : made) {
      warnUnresolved(upstream);
      if (told) {
        listeners.tell(new UpstreamChange(upstream.name(), null, upstream));
      }
    }
    return true;
  }

  /**
   * Places already in ascending order with their keys, as a {@link SortedMap}: what {@link
   * ConcurrentSkipListMap#ConcurrentSkipListMap(SortedMap)} builds from in one pass (it reads the comparator and
   * iterates the entries). Only those are given; the views of a range are not.
   */
  private static final class SortedRun extends AbstractMap<Place, String> implements SortedMap<Place, String> {
    private final Place[] places;
    private final String[] keys;

    SortedRun(Place[] places, String[] keys) {
      this.places = places;
      this.keys = keys;
    }

    @Override
    public @Nullable Comparator<? super Place> comparator() {
      return null;
    }

    @Override
    public Set<Map.Entry<Place, String>> entrySet() {
      return new AbstractSet<>() {
        @Override
        public Iterator<Map.Entry<Place, String>> iterator() {
          return new Iterator<>() {
            private int next;

            @Override
            public boolean hasNext() {
              return next < places.length;
            }

            @Override
            public Map.Entry<Place, String> next() {
              if (next >= places.length) {
                throw new NoSuchElementException();
              }
              int i = next++;
              return new AbstractMap.SimpleImmutableEntry<>(places[i], keys[i]);
            }
          };
        }

        @Override
        public int size() {
          return places.length;
        }
      };
    }

    @Override
    public Place firstKey() {
      if (places.length == 0) {
        throw new NoSuchElementException();
      }
      return places[0];
    }

    @Override
    public Place lastKey() {
      if (places.length == 0) {
        throw new NoSuchElementException();
      }
      return places[places.length - 1];
    }

    @Override
    public SortedMap<Place, String> subMap(Place fromKey, Place toKey) {
      throw new UnsupportedOperationException();
    }

    @Override
    public SortedMap<Place, String> headMap(Place toKey) {
      throw new UnsupportedOperationException();
    }

    @Override
    public SortedMap<Place, String> tailMap(Place fromKey) {
      throw new UnsupportedOperationException();
    }
  }

  /**
   * Publishes {@code stored}, whose name folds to {@code key} (under the write lock): null when the registry holds
   * it already. An upstream whose definition did not change keeps its peers, and so all their live state; one whose
   * servers changed carries the state of every server line that stayed.
   */
  @SuppressWarnings("NonAtomicVolatileUpdate") // changes is written only under writeLock
  private @Nullable UpstreamChange publish(String key, StoredUpstream stored) {
    Upstream old = byKey.get(key);
    UpstreamBlock definition = stored.definition();
    if (old != null && old.version() == stored.version() && old.order == stored.order()
        && old.definition().equals(definition)) {
      return null;
    }
    PeerGroup made = old == null ? null : old.peersIfMade();
    Upstream current;
    if (old != null && made != null && old.definition().equals(definition)) {
      current = new Upstream(definition.name(), stored.version(), definition, made, stored.order());
    } else if (made == null) {
      current = unpicked(stored, old);
    } else {
      current = new Upstream(definition.name(), stored.version(), definition, peers(definition, old),
          stored.order());
    }
    changes++;
    try {
      if (old != null && old.order != current.order) {
        keysInOrder.remove(new Place(old.order, key));
      }
      keysInOrder.put(new Place(current.order, key), key);
      byKey.put(key, current);
      servers += definition.servers().size() - (old == null ? 0 : old.definition().servers().size());
      healthChecked.published(key, current);
      hosts.use(key, definition);
    } finally {
      changes++;
    }
    return new UpstreamChange(current.name(), old, current);
  }

  /**
   * {@code stored} published where no peers were made before ({@code old} is null, or nobody picked from it; under
   * the write lock). Without host names there is nothing to carry and nothing to look up: the peers are made at the
   * upstream's first pick, so a start (or a resync) of many upstreams makes and copies no peer of the ones nobody
   * picks from. A request that picks from the replaced upstream after this publish, having found it just before,
   * makes a group of its own whose state this one does not carry. With host names the peers are made now, with the
   * addresses the names have.
   */
  private Upstream unpicked(StoredUpstream stored, @Nullable Upstream old) {
    UpstreamBlock definition = stored.definition();
    return definition.hasHostNames()
        ? new Upstream(definition.name(), stored.version(), definition, peers(definition, old), stored.order())
        : new Upstream(definition.name(), stored.version(), definition, ticker, workers, stored.order());
  }

  /** The peers of {@code definition} with the addresses its names have now, carrying the state of {@code old}'s. */
  private PeerGroup peers(UpstreamBlock definition, @Nullable Upstream old) {
    PeerGroup previous = old == null ? null : old.peersIfMade();
    return PeerGroup.create(definition, hosts.plan(definition, previous), previous, ticker, workers);
  }

  /**
   * Rebuilds the upstreams that use a name whose answer changed ({@link HostTable.Users}): the same definition and
   * version with the new addresses; a peer whose address stays keeps its state. Nothing goes to the store: it
   * keeps the names, not what they resolve to.
   */
  @SuppressWarnings("NonAtomicVolatileUpdate") // changes is written only under writeLock
  private void rebuild(Runnable apply, Supplier<Set<String>> users) {
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
        changes++;
        try {
          byKey.put(key, current);
          healthChecked.published(key, current);
        } finally {
          changes++;
        }
        told.add(new UpstreamChange(old.name(), old, current));
      }
    } finally {
      writeLock.unlock();
    }
    for (UpstreamChange change : told) {
      listeners.tell(change);
    }
  }

  // A host name not found at a start or a resync does not stop it (nginx would not start): the upstream is served
  // without those peers, the name is looked up again until found, and its HostStatus says so.
  private static void warnUnresolved(@Nullable Upstream upstream) {
    if (upstream == null) {
      return;
    }
    for (HostStatus host : upstream.hosts()) {
      if (host.state() != HostStatus.State.RESOLVED) {
        LOG.log(Level.WARNING, HostTable.notFound(host.server().address()) + " of upstream \"" + upstream.name()
            + "\" (" + host.error() + "); looked up again until found");
      }
    }
  }

  /** Deletes {@code key} (under the write lock): null when there is no such upstream. */
  @SuppressWarnings("NonAtomicVolatileUpdate") // changes is written only under writeLock
  private @Nullable UpstreamChange unpublish(String key) {
    Upstream old = byKey.get(key);
    if (old == null) {
      return null;
    }
    changes++;
    try {
      byKey.remove(key);
      servers -= old.definition().servers().size();
      healthChecked.deleted(key);
      keysInOrder.remove(new Place(old.order, key));
      hosts.use(key, null);
    } finally {
      changes++;
    }
    return new UpstreamChange(old.name(), old, null);
  }

  private static final System.Logger LOG = System.getLogger(UpstreamRegistry.class.getName());

  // What nginx logs at warning level when it reads a configuration (load balancing method redefined); a change's
  // commands are read the same way (dyups parses them with ngx_conf_parse) and logged in update().
  private static void warn(ConfigWarning warning) {
    LOG.log(Level.WARNING, warning.toString());
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
   * Refuses an upstream of configuration {@code config} as nginx refuses to start on it: a server's host name
   * (without {@code resolve}) that is not found, with nginx's {@code host not found in upstream "NAME:PORT"}, or a
   * name with {@code resolve} and no resolver, at its server line. Used only while building; the persistence file
   * and a store's state hold only what the registry accepted, so they always load again.
   *
   * @throws ConfigSyntaxException when {@code block} is refused
   */
  @SuppressWarnings("try") // the lease holds the names' answers while they are checked
  private void checkAtStart(UpstreamBlock block, Path config) {
    try (HostTable.Lease lease = hosts.prepare(block.name(), block, true)) {
      String refusal = lease.refusal();
      if (refusal != null) {
        throw StartRefusal.of(refusal, lease.refusedServer(), block, config);
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
    private int maxUpstreams = DEFAULT_MAX_UPSTREAMS;
    private int maxServersPerUpstream = DEFAULT_MAX_SERVERS_PER_UPSTREAM;
    private long maxServers = DEFAULT_MAX_SERVERS;
    private boolean tryLock;
    private @Nullable Path persistenceFile;
    private @Nullable UpstreamStore store;
    private UpstreamFile.Options fileOptions = UpstreamFile.Options.DEFAULT;
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
     * The most upstreams the registry holds ({@value #DEFAULT_MAX_UPSTREAMS} by default): a change that would create
     * one more is refused with {@link Result.Kind#TOO_LARGE}, saying the limit. Configurations and stores are loaded
     * whatever they hold.
     */
    public Builder maxUpstreams(int count) {
      checkArgument(count > 0, "maxUpstreams must be > 0: %s", count);
      this.maxUpstreams = count;
      return this;
    }

    /**
     * The most server lines one upstream may have ({@value #DEFAULT_MAX_SERVERS_PER_UPSTREAM} by default); more is
     * refused with {@link Result.Kind#TOO_LARGE}, saying the limit.
     */
    public Builder maxServersPerUpstream(int count) {
      checkArgument(count > 0, "maxServersPerUpstream must be > 0: %s", count);
      this.maxServersPerUpstream = count;
      return this;
    }

    /**
     * The most server lines in all upstreams together ({@value #DEFAULT_MAX_SERVERS} by default, about 1 GB of heap):
     * a change that would pass it is refused with {@link Result.Kind#TOO_LARGE}, saying the limit. What bounds the
     * heap the registry can be made to hold, and so what the next start needs to load it again.
     */
    public Builder maxServers(long count) {
      checkArgument(count > 0, "maxServers must be > 0: %s", count);
      this.maxServers = count;
      return this;
    }

    /**
     * dyups's {@code dyups_trylock}: when on, a change that finds another change in progress is refused at once
     * with 409 {@code wait and try again} instead of waiting for it. For the registry's own stores (memory and the
     * persistence file); a {@linkplain #store shared store} has its own rules.
     */
    public Builder tryLock(boolean on) {
      this.tryLock = on;
      return this;
    }

    /**
     * dyups's {@code dyups_upstream_conf}: the file that holds every upstream as nginx configuration, kept by an
     * {@link UpstreamFile}: each change is appended durably to a journal beside it before it becomes visible, and
     * folded into the file in the background (within a second of the last change), so the file is valid nginx
     * configuration at every moment and a crash loses no acknowledged change.
     *
     * <p><b>Which source wins.</b> As in dyups, this file is what the registry restores: when it exists (or its
     * journal does), it is the registry's whole state, and the {@linkplain #load configurations} are not read. They
     * are the first state of a registry whose file does not exist yet, written to the file at once. So an upstream
     * deleted through the API stays deleted after a restart, even though a configuration still defines it; and a
     * file that holds anything but {@code upstream} blocks at its top level stops {@link #build()} (its owner would
     * not write the rest back) and is never overwritten.
     *
     * <p>The directory must exist: {@link #build()} fails naming it otherwise (a mistyped path would otherwise
     * lose every change at the next start). Exclusive with {@link #store}.
     */
    public Builder persistenceFile(Path file) {
      this.persistenceFile = requireNonNull(file, "file");
      return this;
    }

    /**
     * Keeps the upstreams in {@code store}, such as {@code io.dyups.zookeeper.ZooKeeperStore}, shared by every
     * registry on it. The store decides which source wins at the start (see its documentation); the {@linkplain
     * #load configurations} are the state it is seeded with when it holds none. The registry closes the store.
     * Exclusive with {@link #persistenceFile}.
     */
    public Builder store(UpstreamStore store) {
      this.store = requireNonNull(store, "store");
      return this;
    }

    // For crash and speed tests: when the journal is folded into the persistence file.
    Builder fileOptions(UpstreamFile.Options options) {
      this.fileOptions = requireNonNull(options, "options");
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

    /**
     * Creates the registry and opens its store, which gives the registry its state (for the persistence file: the
     * file and its journal, or the configurations when there is no file yet). The configurations are read and
     * checked at every start, as nginx reads them; a store whose state is elsewhere uses them only to seed it.
     *
     * @throws ConfigSyntaxException when a file does not parse, or a configuration the store reads is refused as
     *     nginx refuses to start on it: a server's host name (without {@code resolve}) that is not found, with
     *     nginx's {@code host not found in upstream "NAME:PORT"}, or a name with {@code resolve} and no resolver
     *     (file, line and column in the message); no registry is created
     * @throws UncheckedIOException when a file cannot be read or written, or the persistence file's directory does
     *     not exist
     * @throws IllegalStateException when both a persistence file and a store are set
     */
    public UpstreamRegistry build() {
      if (store != null && persistenceFile != null) {
        throw new IllegalStateException("a persistence file and a store are both set: a store keeps its own"
            + " copy (ZooKeeperStore.Builder.cacheFile)");
      }
      UpstreamStore chosen = store != null ? store
          : persistenceFile != null ? LocalStore.inFile(persistenceFile, fileOptions, fileWriter, tryLock)
          : LocalStore.inMemory(tryLock);
      UpstreamRegistry registry = new UpstreamRegistry(this, chosen);
      List<UpstreamBlock> blocks = new ArrayList<>();
      try {
        // The configurations are checked at every start, as nginx reads them, whether or not the store takes them
        // as its seed (an upstream.conf may be both included and the persistence file). One block at a time: the
        // files are never held whole as text or as directives.
        for (Path config : configs) {
          NginxConfig.forEachUpstream(config, block -> {
            registry.checkAtStart(block, config);
            blocks.add(block);
          }, UpstreamRegistry::warn);
        }
        UpstreamStore.Seed seed = () -> blocks;
        chosen.open(registry.sink, seed);
      } catch (IOException e) {
        registry.close();
        throw new UncheckedIOException(e);
      } catch (RuntimeException | Error e) {
        registry.close();
        throw e;
      }
      return registry;
    }
  }
}
