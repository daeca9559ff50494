package io.dyups.core;

import static java.util.Objects.requireNonNull;

import com.google.common.net.InetAddresses;
import io.dyups.parser.Address;
import io.dyups.parser.ResolverSpec;
import io.dyups.parser.ServerSpec;
import io.dyups.parser.UpstreamBlock;
import java.lang.System.Logger.Level;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntUnaryOperator;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The host names of a registry's upstreams, what each one resolves to now, and when it is looked up again: how a
 * server written with a name becomes peers, by nginx's rules.
 *
 * <ul>
 *   <li>A name without {@code resolve} is looked up when an upstream naming it is defined ({@link #prepare}, before
 *       the registry's write lock), as nginx's {@code ngx_parse_url} looks it up when it reads the configuration;
 *       a name that is not found refuses the change with nginx's {@code host not found in upstream "NAME:PORT"}.
 *       Its addresses then stay as they are; only a name that was accepted without an answer (at start, or
 *       from another instance sharing the store) is looked up again, every 10 seconds, until it is found.
 *   <li>A name with {@code resolve} is looked up with the upstream's {@code resolver} (or the registry's), and
 *       again when the answer runs out: one second after its TTL or {@code valid=} (nginx's {@code
 *       ngx_http_upstream_zone_resolve_handler}), 11 seconds after a negative answer, {@code resolver_timeout} (at
 *       least a second) after no answer. A name that is not found loses its peers; one whose lookup fails keeps the
 *       last addresses, as nginx does. A change is never refused for such a name.
 *   <li>Each address becomes a peer with the server's parameters; the addresses of a name with {@code resolve}
 *       come after the other peers, IPv4 first, and when its answer changes, the peers whose address stays keep
 *       their place and their state, the ones gone are removed, and new ones are added at the end ({@link #plan}).
 *   <li>An answer goes to the upstreams whose lookup got it in the order it came; an upstream that begins to use a
 *       name the table already has an answer for gets it as nginx's resolver serves a cached answer, rotated at
 *       random ({@link #fromCache}); a service's records of one priority start at one picked at random by weight
 *       ({@link #report}).
 * </ul>
 *
 * <p>One entry serves every upstream that names the same host the same way. Lookups run on the resolver's threads
 * and their answers are applied on the table's own timer thread, under the registry's write lock, through {@link
 * Users#rebuild}; nothing here runs on the path of a request. Thread-safe.
 */
final class HostTable implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(HostTable.class.getName());

  /** nginx's default {@code resolver_timeout} (ngx_http_core_module). */
  static final Duration DEFAULT_RESOLVER_TIMEOUT = Duration.ofSeconds(30);
  /** How long nginx's resolver uses a negative answer: {@code ngx_resolver_process_a}'s 10 seconds. */
  static final Duration NEGATIVE_VALID = Duration.ofSeconds(10);
  /** How long an answer without a TTL is used: the JDK's default {@code networkaddress.cache.ttl}. */
  static final Duration UNKNOWN_TTL = Duration.ofSeconds(30);
  /** How long a lookup of a name without {@code resolve} may take before the change is refused. */
  static final Duration STATIC_TIMEOUT = Duration.ofSeconds(30);

  /** The registry's part: rebuild the upstreams that use a name whose answer changed. */
  interface Users {
    /**
     * Takes the registry's write lock, runs {@code apply} (which writes the new answer), republishes the upstreams
     * whose keys {@code users} then gives with the table's answers, releases the lock and tells the listeners.
     */
    void rebuild(Runnable apply, Supplier<Set<String>> users);
  }

  /** The registry's defaults: the {@code http} block's {@code resolver} and {@code resolver_timeout}. */
  record Defaults(@Nullable ResolverSpec resolver, Duration timeout) {}

  /**
   * One lookup the table keeps: a name (lower-cased, as DNS compares names), the SRV name of a service or null, and
   * how to ask.
   */
  record HostKey(String name, @Nullable String serviceName, boolean runTime, List<Address> nameServers,
      boolean ipv4, boolean ipv6, @Nullable Duration valid, Duration timeout) {}

  /**
   * One address found: for a service, with its SRV record's port, weight (at least 1), priority and target; for a
   * name, with zeros and no target.
   */
  record Found(InetAddress address, int port, int weight, int priority, @Nullable String target) {}

  /** The state of one name: what the last answer found, and the addresses in use. */
  record Lookup(HostResolver.Status status, List<Found> found, String error, @Nullable Duration ttl,
      Instant checked) {}

  private static final class Entry {
    final HostKey key;
    // Upstream keys that use this entry; written under the registry's write lock and the table's monitor.
    final Set<String> users = new HashSet<>();
    // Changes being prepared with this entry: it is not dropped while they run. Guarded by the table's monitor.
    int pins;
    // The upstreams (keys) whose changes hold a lease on this entry, with how many each. A change made here is
    // prepared twice (before the store commits it, and as the store delivers it): the inner one must not take
    // the answer as served from the cache. Guarded by the table's monitor.
    final Map<String, Integer> leasedBy = new HashMap<>();
    // The first lookup, shared by every change that needs it before it has an answer.
    @Nullable CompletableFuture<Lookup> first;
    // Written under the registry's write lock (or, before anyone uses the entry, by the first lookup).
    volatile @Nullable Lookup lookup;
    // Guarded by the table's monitor.
    @Nullable ScheduledFuture<?> timer;
    // For each upstream (key) that began to use the answer after it came: the answer as nginx's resolver serves it
    // from its cache, rotated (ngx_resolver_export). Until the next answer. Guarded by the table's monitor.
    final Map<String, List<Found>> servedFromCache = new HashMap<>();

    Entry(HostKey key) {
      this.key = key;
    }
  }

  private final HostResolver resolver;
  private final Defaults defaults;
  private final Users registry;
  private final IntUnaryOperator random;
  private final ScheduledThreadPoolExecutor timers;
  private final Map<HostKey, Entry> entries = new HashMap<>();
  private final Map<String, Set<HostKey>> keysOfUpstream = new HashMap<>();
  // The lease of a definition without host names: it pins nothing and refuses nothing.
  private final Lease nothingLeased = new Lease("", List.of(), null, null);
  private boolean closed;

  /**
   * @param random {@code random.applyAsInt(n)} is a number in {@code 0..n-1}, as nginx's {@code ngx_random() % n}:
   *     where a cached answer's rotation and the order of a service's records start
   */
  HostTable(HostResolver resolver, Defaults defaults, Users registry, IntUnaryOperator random) {
    this.resolver = requireNonNull(resolver, "resolver");
    this.defaults = requireNonNull(defaults, "defaults");
    this.registry = requireNonNull(registry, "registry");
    this.random = requireNonNull(random, "random");
    AtomicInteger threads = new AtomicInteger();
    this.timers = new ScheduledThreadPoolExecutor(1, task -> {
      Thread thread = new Thread(task, "dyups-host-refresh-" + threads.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    });
    timers.setRemoveOnCancelPolicy(true);
    timers.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
  }

  /** The lookup of {@code server} in {@code definition}; null for an address, which is not looked up. */
  @Nullable HostKey key(ServerSpec server, UpstreamBlock definition) {
    Address address = server.address();
    if (address.kind() != Address.Kind.HOST) {
      return null;
    }
    String name = lowerAscii(address.host().endsWith(".")
        ? address.host().substring(0, address.host().length() - 1) : address.host());
    if (!server.resolvesAtRunTime()) {
      return new HostKey(name, null, false, List.of(), true, true, null, STATIC_TIMEOUT);
    }
    ResolverSpec spec = definition.resolver() != null ? definition.resolver() : defaults.resolver();
    Duration timeout = definition.resolverTimeout() != null ? definition.resolverTimeout() : defaults.timeout();
    if (timeout.isZero()) {
      timeout = Duration.ofMillis(1);
    }
    String service = server.service();
    String serviceName = service == null ? null
        : service.indexOf('.') < 0 ? "_" + service + "._tcp." + name : service + "." + name;
    return spec == null
        ? new HostKey(name, serviceName, true, List.of(), true, true, null, timeout)
        : new HostKey(name, serviceName, true, spec.servers(), spec.ipv4(), spec.ipv6(), spec.valid(), timeout);
  }

  /**
   * A change being prepared: the names it needs have answers in the table until {@link #close} (which the caller
   * must call, after publishing or refusing the change).
   */
  final class Lease implements AutoCloseable {
    private final String upstream;
    private final List<Entry> pinned;
    private final @Nullable String refusal;
    private final @Nullable ServerSpec refused;

    Lease(String upstream, List<Entry> pinned, @Nullable String refusal, @Nullable ServerSpec refused) {
      this.upstream = upstream;
      this.pinned = pinned;
      this.refusal = refusal;
      this.refused = refused;
    }

    /** Why the change must be refused, in nginx's words; null when it may go on. */
    @Nullable String refusal() {
      return refusal;
    }

    /** The server line the refusal is about; null when it may go on. */
    @Nullable ServerSpec refusedServer() {
      return refused;
    }

    @Override
    public void close() {
      synchronized (HostTable.this) {
        for (Entry entry : pinned) {
          entry.pins--;
          entry.leasedBy.computeIfPresent(upstream, (key, leases) -> leases == 1 ? null : leases - 1);
          dropIfUnused(entry);
        }
      }
    }
  }

  /**
   * Looks up what {@code definition} needs, without any lock of the registry: every name without {@code resolve}
   * afresh, and every name with {@code resolve} that the table has no answer for yet (waiting for the first answer
   * at most its {@code resolver_timeout}). With {@code strict}, a change made here, the lease says why nginx would
   * refuse the definition: a name without {@code resolve} or a resolver's name not found, or a name to resolve at
   * run time without any resolver; without it (a change from elsewhere, a start) nothing is refused.
   */
  Lease prepare(String upstream, UpstreamBlock definition, boolean strict) {
    if (!definition.hasHostNames()) {
      // Nothing to look up or pin (the upstreams of most files): no lease to hold.
      return nothingLeased;
    }
    List<Entry> pinned = new ArrayList<>();
    Map<HostKey, ServerSpec> needed = new LinkedHashMap<>();
    String refusal = null;
    ServerSpec refused = null;
    for (ServerSpec server : definition.servers()) {
      HostKey key = key(server, definition);
      if (key == null) {
        continue;
      }
      if (key.runTime() && strict && refusal == null && noResolver(definition)) {
        refusal = "no resolver defined to resolve names at run time in upstream \"" + upstream + "\"";
        refused = server;
      }
      needed.putIfAbsent(key, server);
    }
    if (refusal == null && strict) {
      for (Map.Entry<HostKey, ServerSpec> each : needed.entrySet()) {
        refusal = unresolvableNameServer(each.getKey());
        if (refusal != null) {
          refused = each.getValue();
          break;
        }
      }
    }
    Map<HostKey, CompletableFuture<Lookup>> lookups = new LinkedHashMap<>();
    String folded = UpstreamBlock.foldName(upstream);
    synchronized (this) {
      for (HostKey key : needed.keySet()) {
        Entry entry = entries.computeIfAbsent(key, Entry::new);
        entry.pins++;
        boolean leasedAlready = entry.leasedBy.merge(folded, 1, Integer::sum) > 1;
        pinned.add(entry);
        Lookup cached = entry.lookup;
        if (!key.runTime()) {
          lookups.put(key, lookUp(key, cached));
        } else if (cached == null) {
          if (entry.first == null) {
            entry.first = lookUp(key, null);
          }
          lookups.put(key, entry.first);
        } else if (!leasedAlready && !entry.users.contains(folded)) {
          // A name the table has an answer for: nginx's resolver would serve it from its cache, rotated.
          entry.servedFromCache.put(folded, fromCache(key, cached.found()));
        }
      }
    }
    Lease lease = new Lease(folded, pinned, refusal, refused);
    for (Map.Entry<HostKey, CompletableFuture<Lookup>> each : lookups.entrySet()) {
      HostKey key = each.getKey();
      Lookup lookup = await(each.getValue(), key.timeout());
      Entry entry;
      synchronized (this) {
        entry = requireNonNull(entries.get(key));
        if (!key.runTime() || entry.lookup == null) {
          entry.lookup = lookup;
        }
        if (key.runTime() || lookup.status() != HostResolver.Status.FOUND) {
          schedule(entry, lookup);
        }
      }
      if (strict && lease.refusal == null && !key.runTime() && lookup.status() != HostResolver.Status.FOUND) {
        ServerSpec server = requireNonNull(needed.get(key));
        return new Lease(folded, pinned, notFound(server.address()), server);
      }
    }
    return lease;
  }

  /**
   * nginx's {@code host not found in upstream "URL"} (ngx_http_upstream_server), the URL as written: the model
   * keeps no written port apart from the default, so a server on port 80 is named without it, as it is usually
   * written.
   */
  static String notFound(Address address) {
    return notFound(address.port() == 80 ? address.host() : address.toConfig());
  }

  /** nginx's {@code host not found in upstream "URL"}, with the URL as the server line writes it. */
  static String notFound(String written) {
    return "host not found in upstream \"" + written + "\"";
  }

  private boolean noResolver(UpstreamBlock definition) {
    ResolverSpec spec = definition.resolver() != null ? definition.resolver() : defaults.resolver();
    return spec == null || spec.servers().isEmpty();
  }

  // nginx looks the resolver's own names up when it reads the directive (ngx_resolver_create).
  private static @Nullable String unresolvableNameServer(HostKey key) {
    for (Address server : key.nameServers()) {
      if (server.kind() == Address.Kind.HOST && socketAddress(server).isUnresolved()) {
        return "host not found in resolver \"" + server.toConfig() + "\"";
      }
    }
    return null;
  }

  private static Lookup await(CompletableFuture<Lookup> lookup, Duration timeout) {
    try {
      // The resolver has the timeout too; the second more covers its own scheduling.
      return lookup.get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      return new Lookup(HostResolver.Status.FAILED, List.of(), "Operation timed out", null, Instant.now());
    } catch (ExecutionException e) {
      return new Lookup(HostResolver.Status.FAILED, List.of(), String.valueOf(e.getCause()), null, Instant.now());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Lookup(HostResolver.Status.FAILED, List.of(), "interrupted", null, Instant.now());
    }
  }

  /**
   * Records (under the registry's write lock) that the upstream {@code upstream} now has {@code definition}, or
   * none: the table looks up its names with {@code resolve} while it has them.
   */
  synchronized void use(String upstream, @Nullable UpstreamBlock definition) {
    if ((definition == null || !definition.hasHostNames()) && !keysOfUpstream.containsKey(upstream)) {
      return;
    }
    Set<HostKey> now = new HashSet<>();
    if (definition != null) {
      for (ServerSpec server : definition.servers()) {
        HostKey key = key(server, definition);
        if (key != null) {
          now.add(key);
        }
      }
    }
    Set<HostKey> before = keysOfUpstream.getOrDefault(upstream, Set.of());
    for (HostKey key : now) {
      Entry entry = entries.computeIfAbsent(key, Entry::new);
      if (entry.users.add(upstream) && entry.lookup == null && entry.first == null && entry.timer == null) {
        // Published without a lookup (a change from elsewhere whose lookup ran out): look it up soon.
        scheduleIn(entry, Duration.ZERO);
      }
    }
    for (HostKey key : before) {
      if (!now.contains(key)) {
        Entry entry = entries.get(key);
        if (entry != null) {
          entry.users.remove(upstream);
          entry.servedFromCache.remove(upstream);
          dropIfUnused(entry);
        }
      }
    }
    if (now.isEmpty()) {
      keysOfUpstream.remove(upstream);
    } else {
      keysOfUpstream.put(upstream, now);
    }
  }

  // Callers hold the monitor.
  private void dropIfUnused(Entry entry) {
    if (entry.users.isEmpty() && entry.pins == 0 && entries.get(entry.key) == entry) {
      entries.remove(entry.key);
      if (entry.timer != null) {
        entry.timer.cancel(false);
        entry.timer = null;
      }
    }
  }

  /** What the table would look up next for this name: for tests. */
  synchronized @Nullable Lookup lookup(HostKey key) {
    Entry entry = entries.get(key);
    return entry == null ? null : entry.lookup;
  }

  /** The number of names the table keeps: for tests. */
  synchronized int size() {
    return entries.size();
  }

  // Callers hold the monitor. When to look a name up again, as ngx_http_upstream_zone_resolve_handler sets its
  // timer: one second after the answer's validity ends (TTL, or the resolver's valid=), resolver_timeout (at least a
  // second) after a failure. A name without resolve is looked up again only while it has no answer.
  private void schedule(Entry entry, Lookup lookup) {
    HostKey key = entry.key;
    if (!key.runTime()) {
      if (lookup.status() != HostResolver.Status.FOUND) {
        scheduleIn(entry, NEGATIVE_VALID);
      }
      return;
    }
    Duration delay = switch (lookup.status()) {
      case FOUND -> {
        Duration valid = key.valid() != null ? key.valid() : lookup.ttl() != null ? lookup.ttl() : UNKNOWN_TTL;
        yield valid.isZero() ? Duration.ofSeconds(1) : valid.plusSeconds(1);
      }
      case NOT_FOUND -> (key.valid() != null ? key.valid() : NEGATIVE_VALID).plusSeconds(1);
      case FAILED -> key.timeout().compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : key.timeout();
    };
    scheduleIn(entry, delay);
  }

  // Callers hold the monitor.
  private void scheduleIn(Entry entry, Duration delay) {
    if (closed) {
      return;
    }
    if (entry.timer != null) {
      entry.timer.cancel(false);
    }
    entry.timer = timers.schedule(() -> refresh(entry), delay.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Looks the name of {@code entry} up again, on the timer thread; the answer is applied on it too. */
  private void refresh(Entry entry) {
    synchronized (this) {
      entry.timer = null;
      if (closed || entries.get(entry.key) != entry || entry.users.isEmpty()) {
        return;
      }
    }
    // Nothing waits for the refresh: apply publishes what it finds, and schedules the next one.
    CompletableFuture<?> unused = lookUp(entry.key, entry.lookup).whenCompleteAsync((lookup, error) -> {
      Lookup next = lookup != null ? lookup : new Lookup(HostResolver.Status.FAILED, kept(entry.lookup),
          String.valueOf(error), null, Instant.now());
      apply(entry, next);
    }, timers);
  }

  private void apply(Entry entry, Lookup next) {
    synchronized (this) {
      if (closed || entries.get(entry.key) != entry) {
        return;
      }
    }
    Lookup before = entry.lookup;
    // The same addresses in another order change nothing: a peer whose address stays keeps its place.
    boolean changed = before == null || before.found().size() != next.found().size()
        || !new HashSet<>(before.found()).equals(new HashSet<>(next.found())) || before.status() != next.status()
        || !before.error().equals(next.error());
    if (before != null && before.status() != next.status()) {
      LOG.log(next.status() == HostResolver.Status.FOUND ? Level.INFO : Level.WARNING, () -> describe(entry.key)
          + (next.status() == HostResolver.Status.FOUND ? " resolves again" : " could not be resolved ("
          + next.error() + ")" + (next.found().isEmpty() ? "" : "; its last addresses are kept")));
    }
    if (changed) {
      // The users are read under the registry's lock, where they change: an upstream published meanwhile with
      // the old answer is rebuilt too.
      registry.rebuild(() -> answer(entry, next), () -> usersOf(entry));
    } else {
      answer(entry, next);
    }
    synchronized (this) {
      if (entries.get(entry.key) == entry && (entry.key.runTime() || next.status() != HostResolver.Status.FOUND)) {
        schedule(entry, next);
      }
    }
  }

  // A new answer, fresh from the resolver: every user gets it in the order it came.
  private synchronized void answer(Entry entry, Lookup next) {
    entry.lookup = next;
    entry.servedFromCache.clear();
  }

  private synchronized Set<String> usersOf(Entry entry) {
    return Set.copyOf(entry.users);
  }

  private static String describe(HostKey key) {
    return key.serviceName() != null ? "service " + key.serviceName() : key.name();
  }

  /** The addresses a failed lookup keeps: those of the last answer (nginx keeps the peers). */
  private static List<Found> kept(@Nullable Lookup before) {
    return before == null ? List.of() : before.found();
  }

  /**
   * One lookup of {@code key}, never failing: for a service, its SRV records and then each target's addresses;
   * for a name with {@code resolve}, IPv4 addresses first, as nginx's resolver lists them. A lookup that gets no
   * answer keeps the addresses of {@code before}.
   */
  private CompletableFuture<Lookup> lookUp(HostKey key, @Nullable Lookup before) {
    CompletableFuture<Lookup> done;
    try {
      List<InetSocketAddress> servers = new ArrayList<>();
      for (Address server : key.nameServers()) {
        InetSocketAddress socket = socketAddress(server);
        if (!socket.isUnresolved()) {
          servers.add(socket);
        }
      }
      if (key.serviceName() == null) {
        HostResolver.Query query = new HostResolver.Query(key.name(), servers, key.ipv4(), key.ipv6(),
            key.timeout());
        done = resolver.lookUpAddresses(query).thenApply(answer -> addresses(answer, key.runTime(), before));
      } else {
        HostResolver.Query query = new HostResolver.Query(key.serviceName(), servers, key.ipv4(), key.ipv6(),
            key.timeout());
        done = resolver.lookUpService(query).thenCompose(answer -> targets(answer, query, before));
      }
    } catch (RuntimeException e) {
      done = CompletableFuture.failedFuture(e);
    }
    return done.exceptionally(error -> new Lookup(HostResolver.Status.FAILED, kept(before),
        String.valueOf(error.getMessage()), null, Instant.now()));
  }

  private static Lookup addresses(HostResolver.Answer answer, boolean runTime, @Nullable Lookup before) {
    Instant now = Instant.now();
    return switch (answer.status()) {
      case FOUND -> {
        List<InetAddress> ordered = runTime ? ipv4First(answer.addresses()) : answer.addresses();
        List<Found> found = new ArrayList<>(ordered.size());
        for (InetAddress address : new LinkedHashSet<>(ordered)) {
          found.add(new Found(address, 0, 0, 0, null));
        }
        yield new Lookup(HostResolver.Status.FOUND, found, "", answer.ttl(), now);
      }
      case NOT_FOUND -> new Lookup(HostResolver.Status.NOT_FOUND, List.of(), answer.error(), answer.ttl(), now);
      case FAILED -> new Lookup(HostResolver.Status.FAILED, kept(before), answer.error(), null, now);
    };
  }

  // ngx_resolver_export: the A records, then the AAAA records.
  private static List<InetAddress> ipv4First(List<InetAddress> addresses) {
    List<InetAddress> ordered = new ArrayList<>(addresses.size());
    for (InetAddress address : addresses) {
      if (address instanceof Inet4Address) {
        ordered.add(address);
      }
    }
    for (InetAddress address : addresses) {
      if (!(address instanceof Inet4Address)) {
        ordered.add(address);
      }
    }
    return ordered;
  }

  /**
   * The addresses of a service's targets, as ngx_resolver_report_srv gives them: by priority (the lowest is
   * primary, the others backup), each record's addresses with its port and weight; the answer is valid as long as
   * its shortest-lived part.
   */
  private CompletableFuture<Lookup> targets(HostResolver.Answer answer, HostResolver.Query query,
      @Nullable Lookup before) {
    Instant now = Instant.now();
    if (answer.status() == HostResolver.Status.NOT_FOUND) {
      return CompletableFuture.completedFuture(
          new Lookup(HostResolver.Status.NOT_FOUND, List.of(), answer.error(), answer.ttl(), now));
    }
    if (answer.status() == HostResolver.Status.FAILED) {
      return CompletableFuture.completedFuture(
          new Lookup(HostResolver.Status.FAILED, kept(before), answer.error(), null, now));
    }
    // ngx_resolver_process_srv sorts the records by priority, keeping the answer's order within one (ngx_sort).
    List<HostResolver.ServiceRecord> records = new ArrayList<>(answer.services());
    records.sort((a, b) -> Integer.compare(a.priority(), b.priority()));
    Map<String, CompletableFuture<HostResolver.Answer>> byTarget = new LinkedHashMap<>();
    for (HostResolver.ServiceRecord record : records) {
      String target = lowerAscii(record.target());
      byTarget.computeIfAbsent(target, name -> resolver.lookUpAddresses(new HostResolver.Query(
          name, query.nameServers(), query.ipv4(), query.ipv6(), query.timeout())));
    }
    return CompletableFuture.allOf(byTarget.values().toArray(new CompletableFuture<?>[0])).handle((ignored, e) -> {
      List<Target> resolved = new ArrayList<>();
      Duration ttl = answer.ttl();
      boolean failed = false;
      String error = "";
      for (HostResolver.ServiceRecord record : records) {
        HostResolver.Answer addresses = requireNonNull(byTarget.get(lowerAscii(record.target()))).getNow(
            HostResolver.Answer.failed("Operation timed out"));
        if (addresses.status() != HostResolver.Status.FOUND) {
          failed |= addresses.status() == HostResolver.Status.FAILED;
          error = addresses.error();
          LOG.log(Level.WARNING, () -> record.target() + " could not be resolved (" + addresses.error()
              + ") while resolving service " + query.name());
          continue;
        }
        if (addresses.ttl() != null && (ttl == null || addresses.ttl().compareTo(ttl) < 0)) {
          ttl = addresses.ttl();
        }
        resolved.add(new Target(record.priority(), weight(record), record.port(), record.target(),
            ipv4First(new ArrayList<>(new LinkedHashSet<>(addresses.addresses())))));
      }
      List<Found> found = report(resolved);
      if (found.isEmpty()) {
        return failed ? new Lookup(HostResolver.Status.FAILED, kept(before), error, null, now)
            : new Lookup(HostResolver.Status.NOT_FOUND, List.of(), error, ttl, now);
      }
      return new Lookup(HostResolver.Status.FOUND, found, "", ttl, now);
    });
  }

  /** One SRV record whose target has addresses: its weight at least 1, its addresses in the order served. */
  private record Target(int priority, int weight, int port, String target, List<InetAddress> addresses) {
    long share() {
      return (long) weight * addresses.size();
    }
  }

  /**
   * The addresses of a service in the order nginx's resolver reports them (ngx_resolver_report_srv): by priority;
   * within one, from a record picked at random by weight (each weighs its weight times its number of addresses),
   * then the next records in turn, each record's addresses in their order. So the first peers of a service differ
   * from one lookup to the next as the weights say, as with nginx.
   */
  private List<Found> report(List<Target> targets) {
    List<Found> found = new ArrayList<>();
    int first = 0;
    while (first < targets.size()) {
      int end = first;
      long total = 0;
      while (end < targets.size() && targets.get(end).priority() == targets.get(first).priority()) {
        total += targets.get(end).share();
        end++;
      }
      long w = random.applyAsInt((int) Math.min(total, Integer.MAX_VALUE));
      int k = first;
      while (k < end - 1 && w >= targets.get(k).share()) {
        w -= targets.get(k).share();
        k++;
      }
      for (int n = first; n < end; n++) {
        Target target = targets.get(k);
        for (InetAddress address : target.addresses()) {
          found.add(new Found(address, target.port(), target.weight(), target.priority(), target.target()));
        }
        k = k + 1 == end ? first : k + 1;
      }
      first = end;
    }
    return found;
  }

  /**
   * A name's answer as nginx's resolver serves it from its cache to a new asker (ngx_resolve_name_locked): the
   * addresses rotated (ngx_resolver_export with rotate); a service's records ordered afresh (ngx_resolver_report_srv)
   * with each target's addresses rotated. So upstreams that begin to use a name one after another do not all start
   * on its first address.
   */
  private List<Found> fromCache(HostKey key, List<Found> found) {
    if (key.serviceName() == null) {
      List<Found> rotated = new ArrayList<>(found.size());
      for (InetAddress address : rotated(found.stream().map(Found::address).toList())) {
        rotated.add(new Found(address, 0, 0, 0, null));
      }
      return rotated;
    }
    List<Target> targets = new ArrayList<>();
    int from = 0;
    while (from < found.size()) {
      Found head = found.get(from);
      int to = from;
      List<InetAddress> addresses = new ArrayList<>();
      while (to < found.size() && sameRecord(found.get(to), head)) {
        addresses.add(found.get(to).address());
        to++;
      }
      targets.add(new Target(head.priority(), head.weight(), head.port(), requireNonNull(head.target()),
          rotated(addresses)));
      from = to;
    }
    targets.sort((a, b) -> Integer.compare(a.priority(), b.priority()));
    return report(targets);
  }

  private static boolean sameRecord(Found one, Found other) {
    return one.priority() == other.priority() && one.weight() == other.weight() && one.port() == other.port()
        && Objects.equals(one.target(), other.target());
  }

  /**
   * ngx_resolver_export with rotate: the IPv4 addresses from a random one on, then the IPv6 addresses from a random
   * one on, written around the list from a random place. A single IPv4 address is served as it is.
   */
  private List<InetAddress> rotated(List<InetAddress> addresses) {
    List<InetAddress> v4 = new ArrayList<>();
    List<InetAddress> v6 = new ArrayList<>();
    for (InetAddress address : addresses) {
      (address instanceof Inet4Address ? v4 : v6).add(address);
    }
    int n = addresses.size();
    if (n == 0 || (n == 1 && v4.size() == 1)) {
      return addresses;
    }
    InetAddress[] out = new InetAddress[n];
    int d = random.applyAsInt(n);
    for (List<InetAddress> family : List.of(v4, v6)) {
      if (family.isEmpty()) {
        continue;
      }
      int j = random.applyAsInt(family.size());
      for (int i = 0; i < family.size(); i++) {
        out[d] = family.get(j);
        d = d + 1 == n ? 0 : d + 1;
        j = j + 1 == family.size() ? 0 : j + 1;
      }
    }
    return List.of(out);
  }

  /**
   * The weight of an SRV record as nginx reads it: RFC 2782's weight 0 ("very small chance of being selected")
   * counts as 1 (ngx_resolver_process_srv), both for the peer's weight and for the order of the records.
   */
  static int weight(HostResolver.ServiceRecord record) {
    return Math.max(1, record.weight());
  }

  /** What a group is built from: its peers, in nginx's order, and the state of each server with a host name. */
  record Plan(List<Endpoint> endpoints, List<HostStatus> hosts) {
    /**
     * The plan of a definition without host names: one peer per server, in the order written, each from its
     * {@link Endpoint#written} endpoint. The group reads the servers from the definition itself, so a start with
     * many upstreams makes no endpoint and no socket address per server (a peer makes its socket address when
     * first asked, {@link Peer#socketAddress()}).
     */
    static final Plan WRITTEN = new Plan(List.of(), List.of());
  }

  /**
   * The peers of {@code definition} with the table's answers (under the registry's write lock; no lookup): the
   * servers in the order written, each address of a name without {@code resolve} in its answer's order; then the
   * addresses of the names with {@code resolve}: those {@code previous} had, in its order, then new ones in the
   * order of the servers and their answers. nginx keeps its peers in that order
   * (ngx_http_upstream_zone_resolve_handler keeps a peer whose address stays and adds new ones at the end).
   */
  Plan plan(UpstreamBlock definition, @Nullable PeerGroup previous) {
    if (!definition.hasHostNames()) {
      return Plan.WRITTEN;
    }
    List<Endpoint> fixed = new ArrayList<>();
    List<Endpoint> runTime = new ArrayList<>();
    List<HostStatus> hosts = new ArrayList<>();
    String upstream = UpstreamBlock.foldName(definition.name());
    for (ServerSpec server : definition.servers()) {
      HostKey key = key(server, definition);
      if (key == null) {
        fixed.add(Endpoint.written(server));
        continue;
      }
      Lookup lookup = lookupOf(key);
      List<SocketAddress> addresses = new ArrayList<>();
      if (lookup != null) {
        List<Found> answer = answerFor(key, upstream, lookup);
        // ngx_http_upstream_zone_resolve_handler: the records of the lowest priority that has addresses are primary.
        int primary = answer.stream().mapToInt(Found::priority).min().orElse(0);
        for (Found found : answer) {
          Endpoint endpoint = endpoint(server, found, key.runTime(), found.priority() != primary);
          if (endpoint != null) {
            (key.runTime() ? runTime : fixed).add(endpoint);
            addresses.add(endpoint.address());
          }
        }
      }
      hosts.add(new HostStatus(server, state(lookup), addresses,
          lookup == null ? "" : lookup.error(), lookup == null ? null : lookup.checked()));
    }
    List<Endpoint> endpoints = new ArrayList<>(fixed.size() + runTime.size());
    endpoints.addAll(fixed);
    endpoints.addAll(keptThenNew(runTime, previous));
    return new Plan(endpoints, hosts);
  }

  private synchronized @Nullable Lookup lookupOf(HostKey key) {
    Entry entry = entries.get(key);
    return entry == null ? null : entry.lookup;
  }

  // The answer in the order the upstream got it: as it came, or as served from the cache when it began to use it.
  private synchronized List<Found> answerFor(HostKey key, String upstream, Lookup lookup) {
    Entry entry = entries.get(key);
    List<Found> served = entry == null ? null : entry.servedFromCache.get(upstream);
    return served != null && served.size() == lookup.found().size()
        && new HashSet<>(served).equals(new HashSet<>(lookup.found())) ? served : lookup.found();
  }

  private static List<Endpoint> keptThenNew(List<Endpoint> runTime, @Nullable PeerGroup previous) {
    if (previous == null || runTime.isEmpty()) {
      return runTime;
    }
    Map<Endpoint, Integer> wanted = new HashMap<>();
    for (Endpoint endpoint : runTime) {
      wanted.merge(endpoint, 1, Integer::sum);
    }
    List<Endpoint> ordered = new ArrayList<>(runTime.size());
    for (Peer peer : previous.asList()) {
      Endpoint endpoint = peer.endpoint();
      if (endpoint.runTime() && wanted.getOrDefault(endpoint, 0) > 0) {
        wanted.merge(endpoint, -1, Integer::sum);
        ordered.add(endpoint);
      }
    }
    for (Endpoint endpoint : runTime) {
      int left = wanted.getOrDefault(endpoint, 0);
      if (left > 0) {
        wanted.put(endpoint, left - 1);
        ordered.add(endpoint);
      }
    }
    return ordered;
  }

  private static HostStatus.State state(@Nullable Lookup lookup) {
    if (lookup == null) {
      return HostStatus.State.FAILED;
    }
    return switch (lookup.status()) {
      case FOUND -> HostStatus.State.RESOLVED;
      case NOT_FOUND -> HostStatus.State.NOT_FOUND;
      case FAILED -> lookup.found().isEmpty() ? HostStatus.State.FAILED : HostStatus.State.STALE;
    };
  }

  /**
   * The peer an address found for {@code server} makes: the server's port (a service: the record's), weight (a
   * service without {@code weight=}: the record's, at least 1) and tier (a service: backup for records of a
   * priority {@code lower} than the primary one; of a backup server, those are not used, as nginx ignores them);
   * null when it makes none.
   */
  private static @Nullable Endpoint endpoint(ServerSpec server, Found found, boolean runTime, boolean lower) {
    if (server.service() == null) {
      InetSocketAddress address = new InetSocketAddress(found.address(), server.address().port());
      return new Endpoint(server, address, null, runTime);
    }
    if (server.backup() && lower) {
      return null;
    }
    int weight = server.weight() != 1 ? server.weight() : found.weight();
    boolean backup = server.backup() || lower;
    ServerSpec spec = weight == server.weight() && backup == server.backup() ? server
        : new ServerSpec(server.address(), weight, server.maxFails(), server.failTimeout(), server.maxConns(),
            backup, server.down(), server.slowStart(), server.drain(), server.resolve(), server.route(),
            server.service());
    InetSocketAddress address = new InetSocketAddress(found.address(), found.port());
    return new Endpoint(spec, address, requireNonNull(found.target()), runTime);
  }

  /** The socket address of an address that is not a name: made, never looked up. */
  static SocketAddress literal(Address address) {
    return switch (address.kind()) {
      case UNIX -> UnixDomainSocketAddress.of(address.host());
      case IPV4, IPV6 -> new InetSocketAddress(InetAddresses.forString(address.host()), address.port());
      case HOST -> throw new IllegalArgumentException("a host name is looked up, not made: " + address);
    };
  }

  // A resolver written as a name is looked up with the system's resolver, as nginx's ngx_parse_url does.
  private static InetSocketAddress socketAddress(Address server) {
    return server.kind() == Address.Kind.HOST ? new InetSocketAddress(server.host(), server.port())
        : (InetSocketAddress) literal(server);
  }

  private static String lowerAscii(String name) {
    return name.toLowerCase(Locale.ROOT);
  }

  @Override
  public void close() {
    synchronized (this) {
      closed = true;
      for (Entry entry : entries.values()) {
        if (entry.timer != null) {
          entry.timer.cancel(false);
        }
      }
    }
    timers.shutdownNow();
  }
}
