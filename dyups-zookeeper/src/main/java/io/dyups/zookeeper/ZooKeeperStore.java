package io.dyups.zookeeper;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.Objects.requireNonNull;

import io.dyups.core.Result;
import io.dyups.core.StoreChange;
import io.dyups.core.StoreSink;
import io.dyups.core.StoreStatus;
import io.dyups.core.StoredUpstream;
import io.dyups.core.UpstreamFile;
import io.dyups.core.UpstreamRegistry;
import io.dyups.core.UpstreamStore;
import io.dyups.parser.ConfigSyntaxException;
import io.dyups.parser.NginxConfig;
import io.dyups.parser.UpstreamBlock;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.framework.state.ConnectionStateListener;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.curator.utils.ZKPaths;
import org.apache.zookeeper.AddWatchMode;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.KeeperException.Code;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.OpResult;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.client.ZKClientConfig;
import org.apache.zookeeper.data.Stat;
import org.jspecify.annotations.Nullable;

/**
 * An {@link UpstreamStore} on Apache ZooKeeper: every registry built on a store with the same ensemble and root path
 * serves the same upstreams. Give it to {@code UpstreamRegistry.builder().store(...)}.
 *
 * <p><b>Writing.</b> A change is checked by the registry first (bad commands and limits never reach ZooKeeper),
 * then by its size against what one ZooKeeper request may carry ({@link Builder#maxRequestBytes}), then written
 * with a conditional ZooKeeper operation (the znode's data version), so a change that expected a version another
 * instance already moved gets {@link Result.Kind#VERSION_CONFLICT}. Only when ZooKeeper accepted it is the change
 * applied to the registry, before {@link #commit} returns: the instance that wrote reads its own write. When
 * ZooKeeper cannot be reached, the change is refused with {@link Result.Kind#UNAVAILABLE} and nothing changes.
 *
 * <p><b>Learning of changes.</b> A persistent recursive watch on the root tells of every change to an upstream's
 * znode; one thread of the store reads each changed znode and applies it, in ZooKeeper's order. The store's own
 * writes pass through the same thread at their place in that order, so no instance ever applies a state of an
 * upstream older than one it already applied. After every new connection (the watch may have missed changes
 * meanwhile) the store reads the whole root again and applies only the differences: an upstream whose definition
 * did not change keeps its live state.
 *
 * <p><b>When ZooKeeper is away.</b> Reading, {@code find} and traffic go on with the upstreams last applied, for as
 * long as it takes; nothing is emptied. A store that starts while ZooKeeper cannot be reached serves its {@linkplain
 * Builder#cacheFile cache file} (written from every change applied) and catches up when ZooKeeper comes back,
 * ZooKeeper's state winning.
 *
 * <p><b>Bootstrap.</b> When the root path does not exist, the first store to reach ZooKeeper creates it holding
 * the upstreams it serves (its cache file, or else the registry's configuration files), in one transaction, so two
 * instances starting at once cannot both seed. A state too large for one request is written in several, under an
 * ephemeral lock; the others wait for it to finish, and take over if its writer dies.
 *
 * <p>Thread-safe. {@link #close()} stops the store (and the Curator client it made).
 */
public final class ZooKeeperStore implements UpstreamStore {
  private static final System.Logger LOG = System.getLogger(ZooKeeperStore.class.getName());

  /** The default root: the znode whose children are the upstreams. */
  public static final String DEFAULT_ROOT = "/dyups/upstreams";

  /** ZooKeeper's default {@code jute.maxbuffer}: the largest request its servers read (1 MiB - 1 byte). */
  public static final int DEFAULT_MAX_REQUEST_BYTES = 0xfffff;

  // What a ZooKeeper request adds to an upstream's text: length, header, path and data lengths, the ACL, flags.
  private static final int REQUEST_OVERHEAD = 256;
  private static final String SEEDING = "dyups: seeding";
  private static final int WRITE_ATTEMPTS = 8;
  private static final Duration RESYNC_RETRY = Duration.ofMillis(250);
  // The client reads replies up to this size: the list of children of a root with a million upstreams fits.
  private static final int CLIENT_MAX_REPLY_BYTES = 256 << 20;
  // Reads of a resync: at most this many children per request, and about this many children's reads in flight.
  private static final int MAX_READ_BATCH = 256;
  private static final int READS_IN_FLIGHT = 1024;
  private static final int MAX_PARSERS = 4;

  private final CuratorFramework client;
  private final boolean ownsClient;
  private final String root;
  private final String lockPath;
  private final @Nullable Path cacheFile;
  private final int maxRequestBytes;
  private final Duration startTimeout;
  private final Duration writeTimeout;
  private final boolean seed;

  // What the registry holds, by folded name, with the znode's data version when it came from ZooKeeper. Written by
  // the applier thread only; writers read it to choose their conditional operation.
  private final ConcurrentHashMap<String, Known> known = new ConcurrentHashMap<>();
  private final LinkedBlockingQueue<Item> queue = new LinkedBlockingQueue<>();
  private final Thread applier;
  private final CountDownLatch firstSync = new CountDownLatch(1);
  // The persistent recursive watch on the root, set on ZooKeeper's own handle: Curator's watchers (its
  // PersistentWatcher included) hand on events rebuilt without the zxid ZooKeeper gave them (Curator 5.9.0's
  // NamespaceWatchedEvent), and the order of changes rests on that zxid.
  private final Watcher rootWatch = this::onEvent;
  private final ConnectionStateListener stateListener = (ignored, newState) -> onState(newState);

  private @Nullable StoreSink sink;
  private @Nullable UpstreamFile cache;
  // Curator's word for the connection ("connecting" before its first).
  private volatile String state = "connecting";
  private volatile boolean connected;
  private volatile boolean closed;
  // Set while another instance seeds the root: writes wait for it.
  private volatile boolean seedingElsewhere;
  private volatile long lastVersion;
  private volatile @Nullable Instant lastChangeAt;
  private final AtomicInteger resyncs = new AtomicInteger();
  // The largest zxid of a watch event the applier has handled (applier thread only). After a reconnect, a server
  // that is behind the previous one tells again of changes this store already applied, and of a change before a
  // deletion already applied: those are skipped, so no state is applied twice or after a later one.
  private long eventsThrough;
  // For each upstream deleted since the last resync, the zxid it was deleted at or past (applier thread only): a
  // server that is behind after a reconnect may tell again of a state before the deletion, while this store's own
  // writes (applied from their replies, not from events) never moved eventsThrough. Cleared by a resync, which
  // reads after a sync: from then on the connected server is past every deletion applied.
  private final Map<String, Long> deletedAt = new HashMap<>();

  /** What the store knows of one upstream: what it applied, and the znode's data version (-1: not from ZooKeeper). */
  private record Known(StoredUpstream upstream, int dataVersion) {
    long version() {
      return upstream.version();
    }

    boolean fromZooKeeper() {
      return dataVersion >= 0;
    }
  }

  /** The work of the applier thread, in the order it arrived. */
  private sealed interface Item {
    long enqueuedNanos();
  }

  /** A change the watch told of. */
  private record Event(WatchedEvent event, long enqueuedNanos) implements Item {}

  /**
   * Read the whole root again: after a new connection, or when the root itself changed; {@code done} (if any) is
   * completed once it is applied.
   */
  private record Resync(long enqueuedNanos, @Nullable CompletableFuture<Void> done) implements Item {
    Resync(long enqueuedNanos) {
      this(enqueuedNanos, null);
    }
  }

  /**
   * This store's own write, accepted by ZooKeeper: applied at its place among the changes the watch told of (it
   * follows the watch event of the same write), then the writer is told.
   */
  private record Own(String key, @Nullable StoredUpstream written, int dataVersion, long deletedVersion,
      CompletableFuture<Result> done, long enqueuedNanos) implements Item {}

  private ZooKeeperStore(Builder builder) {
    this.ownsClient = builder.client == null;
    this.client = builder.client != null ? builder.client : newClient(builder);
    // Every path the store uses goes to ZooKeeper's own handle, which knows nothing of a Curator namespace.
    this.root = ZKPaths.fixForNamespace(client.getNamespace(), builder.root);
    this.lockPath = root + ".seeding";
    this.cacheFile = builder.cacheFile;
    this.maxRequestBytes = builder.maxRequestBytes;
    this.startTimeout = builder.startTimeout;
    this.writeTimeout = builder.writeTimeout;
    this.seed = builder.seed;
    this.applier = new Thread(this::applyLoop, "dyups-zookeeper " + root);
    this.applier.setDaemon(true);
  }

  private static CuratorFramework newClient(Builder builder) {
    ZKClientConfig config = new ZKClientConfig();
    // A per-client setting (never the JVM-wide system property): the list of a large root's children is one reply.
    config.setProperty(ZKClientConfig.JUTE_MAXBUFFER, Integer.toString(CLIENT_MAX_REPLY_BYTES));
    return CuratorFrameworkFactory.builder()
        .connectString(builder.connectString)
        .sessionTimeoutMs((int) builder.sessionTimeout.toMillis())
        .connectionTimeoutMs((int) builder.connectionTimeout.toMillis())
        .retryPolicy(new ExponentialBackoffRetry(100, 3, 2_000))
        .zkClientConfig(config)
        // The servers given are the ones used: Curator would otherwise replace them with the addresses in the
        // ensemble's own configuration, which are wrong behind a proxy, NAT or a name that moves.
        .ensembleTracker(false)
        .build();
  }

  /**
   * A builder for a store on the ensemble {@code connectString} ({@code host:port,host:port}), which the store
   * connects to and closes itself.
   */
  public static Builder builder(String connectString) {
    requireNonNull(connectString, "connectString");
    if (connectString.isBlank()) {
      throw new IllegalArgumentException("connectString must name at least one ZooKeeper server");
    }
    return new Builder(connectString, null);
  }

  /**
   * A builder for a store on a Curator client of the application's (with its own authentication, retry policy and
   * namespace). The store starts it if it is not started, and does not close it.
   */
  public static Builder builder(CuratorFramework client) {
    return new Builder(null, requireNonNull(client, "client"));
  }

  // ---- opening ----

  @Override
  public void open(StoreSink sink, Seed seed) throws IOException {
    requireNonNull(sink, "sink");
    requireNonNull(seed, "seed");
    if (this.sink != null) {
      throw new IllegalStateException("the store is open already");
    }
    List<StoredUpstream> local;
    if (cacheFile != null) {
      UpstreamFile opened = UpstreamFile.open(cacheFile, false, UpstreamFile.Options.DEFAULT);
      cache = opened;
      local = opened.isNew() ? numbered(seed.upstreams()) : opened.upstreams();
    } else {
      local = numbered(seed.upstreams());
    }
    this.sink = sink;
    // What this instance serves until ZooKeeper says otherwise.
    sink.replaceAll(local);
    for (StoredUpstream upstream : local) {
      known.put(key(upstream.name()), new Known(upstream, -1));
    }
    applier.start();
    client.getConnectionStateListenable().addListener(stateListener);
    if (client.getState() == org.apache.curator.framework.imps.CuratorFrameworkState.LATENT) {
      client.start();
    } else if (client.getZookeeperClient().isConnected()) {
      // A client of the application's, connected before the listener was added: its CONNECTED is past.
      watchRoot();
    }
    try {
      if (client.blockUntilConnected((int) startTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
        connected = true;
        if (!firstSync.await(startTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
          LOG.log(Level.WARNING, "ZooKeeper at " + describe() + " did not give its upstreams within " + startTimeout
              + "; serving " + local.size() + " upstreams from " + (cache != null ? cache.path() : "the configuration")
              + " until it does");
        }
      } else {
        LOG.log(Level.WARNING, "cannot reach ZooKeeper at " + describe() + " within " + startTimeout + "; serving "
            + local.size() + " upstreams from " + (cache != null ? cache.path() : "the configuration")
            + " and catching up when it comes");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while connecting to ZooKeeper", e);
    }
  }

  private static List<StoredUpstream> numbered(List<UpstreamBlock> blocks) {
    Map<String, StoredUpstream> byKey = new LinkedHashMap<>();
    long version = 0;
    for (UpstreamBlock block : blocks) {
      String key = UpstreamBlock.foldName(block.name());
      StoredUpstream old = byKey.get(key);
      UpstreamBlock named = old == null ? block : block.withName(old.name());
      version++;
      byKey.put(key, new StoredUpstream(named, version, old == null ? version : old.order()));
    }
    return new ArrayList<>(byKey.values());
  }

  private String describe() {
    return client.getZookeeperClient().getCurrentConnectionString() + " (root " + root + ")";
  }

  private void onState(ConnectionState newState) {
    state = newState.name().toLowerCase(java.util.Locale.ROOT);
    connected = newState == ConnectionState.CONNECTED || newState == ConnectionState.RECONNECTED;
    if (connected) {
      watchRoot();
    }
  }

  /**
   * Sets the watch on the root on the current ZooKeeper handle, then reads the whole root again: after the first
   * connection, and after every new one (a new session has no watch; in the same session ZooKeeper sets it again
   * itself, but changes made while disconnected were never told). Setting it twice is harmless.
   */
  private void watchRoot() {
    if (closed) {
      return;
    }
    try {
      zooKeeper().addWatch(root, rootWatch, AddWatchMode.PERSISTENT_RECURSIVE, (rc, path, ctx) -> {
        if (rc == Code.OK.intValue()) {
          enqueue(new Resync(System.nanoTime()));
        } else if (connected) {
          retryWatchRoot();
        }
        // Otherwise the next connection sets it.
      }, null);
    } catch (Exception e) {
      retryWatchRoot();
    }
  }

  private void retryWatchRoot() {
    if (!closed) {
      CompletableFuture.delayedExecutor(RESYNC_RETRY.toMillis(), TimeUnit.MILLISECONDS).execute(this::watchRoot);
    }
  }

  private void onEvent(WatchedEvent event) {
    if (event.getType() != Watcher.Event.EventType.None) {
      enqueue(new Event(event, System.nanoTime()));
    }
  }

  private void enqueue(Item item) {
    if (!closed) {
      queue.add(item);
    }
  }

  // ---- the applier thread ----

  private void applyLoop() {
    while (!closed) {
      Item item;
      try {
        item = queue.take();
      } catch (InterruptedException e) {
        return;
      }
      try {
        if (item instanceof Event event) {
          applyEvent(event.event());
        } else if (item instanceof Own own) {
          applyOwn(own);
        } else if (item instanceof Resync resync) {
          resync();
          CompletableFuture<Void> done = resync.done();
          if (done != null) {
            done.complete(null);
          }
        }
      } catch (InterruptedException e) {
        return;
      } catch (KeeperException e) {
        // The connection went, or the ensemble did not answer, while reading: what this read was for may be
        // missed, so read everything again soon (and again after every new connection).
        LOG.log(Level.DEBUG, "reading ZooKeeper failed (" + e.code() + "); reading the whole root again");
        resyncLater();
        if (item instanceof Own own) {
          applyOwn(own);
        }
      } catch (RuntimeException | Error e) {
        LOG.log(Level.ERROR, "applying " + item + " failed", e);
        if (item instanceof Own own) {
          own.done().complete(new Result(Result.Kind.FAILED, "applying the change failed: " + e, 0));
        }
      } catch (Exception e) {
        LOG.log(Level.WARNING, "applying " + item + " failed: " + e);
        resyncLater();
      }
    }
  }

  // One resync at a time waits to be queued: a flapping connection does not pile them up.
  private final java.util.concurrent.atomic.AtomicBoolean resyncScheduled =
      new java.util.concurrent.atomic.AtomicBoolean();

  private void resyncLater() {
    if (closed || !resyncScheduled.compareAndSet(false, true)) {
      return;
    }
    CompletableFuture.delayedExecutor(RESYNC_RETRY.toMillis(), TimeUnit.MILLISECONDS).execute(() -> {
      resyncScheduled.set(false);
      enqueue(new Resync(System.nanoTime()));
    });
  }

  private ZooKeeper zooKeeper() throws Exception {
    return client.getZookeeperClient().getZooKeeper();
  }

  private void applyEvent(WatchedEvent event) throws Exception {
    String path = event.getPath();
    long eventZxid = event.getZxid();
    // Strictly before: the changes of one transaction (a seed's creates) share its zxid, each told in turn; one
    // told again at the zxid already reached is applied as the same state, which changes nothing.
    if (path == null || (eventZxid > 0 && eventZxid < eventsThrough)) {
      return;
    }
    try {
      applyNewEvent(event, path);
    } finally {
      eventsThrough = Math.max(eventsThrough, eventZxid);
    }
  }

  private void applyNewEvent(WatchedEvent event, String path) throws Exception {
    if (path.equals(root)) {
      // The root was created, seeded, or deleted: read it all again.
      resync();
      return;
    }
    if (!path.startsWith(root + "/") || path.indexOf('/', root.length() + 1) >= 0) {
      return;
    }
    String znode = path.substring(root.length() + 1);
    long zxid = event.getZxid();
    Known current = knownByZnode(znode);
    String key = ZnodeNames.key(znode);
    long deleted = key == null ? 0 : deletedAt.getOrDefault(key, 0L);
    boolean ordered = zxid > 0;
    switch (event.getType()) {
      case NodeDeleted -> {
        if (ordered) {
          if (current != null && current.version() < zxid) {
            remove(current, zxid);
          }
        } else if (current != null) {
          // Without the zxid of the deletion (a server before ZooKeeper 3.9 sends none), the event may be older
          // than the state applied: a re-creation read at an earlier event. Look at the znode as it is now.
          readAndApply(path, znode, current, deleted, false);
        }
      }
      case NodeCreated, NodeDataChanged -> {
        if (current != null && current.fromZooKeeper() && zxid > 0 && current.version() >= zxid) {
          return;
        }
        if (current == null && zxid > 0 && zxid <= deleted) {
          // A state from before a deletion this store applied, told again by a server that is behind.
          return;
        }
        Own own = zxid > 0 ? ownWriteQueued(ZnodeNames.key(znode), zxid) : null;
        if (own != null) {
          // This store's own write, right behind in the queue with its data: apply that, no need to read it back.
          StoredUpstream written = requireNonNull(own.written(), "written");
          if (current == null || !current.fromZooKeeper() || current.version() < written.version()) {
            put(written, own.dataVersion());
          }
          return;
        }
        readAndApply(path, znode, current, deleted, ordered);
      }
      default -> { }
    }
  }

  /**
   * Reads the znode of an upstream that an event named and applies what it holds when that is newer than what was
   * applied. With the event's zxid ({@code ordered}) the read is at least as new as the event, on the connection
   * that told it (or a resync follows a new one), and a znode gone means its deletion event is on its way. Without
   * it, the read follows a sync, so it is newer than every state applied so far: a znode gone is a deletion.
   */
  private void readAndApply(String path, String znode, @Nullable Known current, long deleted, boolean ordered)
      throws Exception {
    ZooKeeper zk = zooKeeper();
    if (!ordered) {
      sync(zk);
    }
    Stat stat = new Stat();
    byte[] data;
    try {
      data = zk.getData(path, false, stat);
    } catch (KeeperException.NoNodeException gone) {
      if (!ordered && current != null) {
        remove(current, -1);
      }
      return;
    }
    StoredUpstream upstream = parse(znode, data, stat);
    boolean newer = current == null ? stat.getMzxid() > deleted : current.version() < stat.getMzxid();
    if (upstream != null && newer) {
      put(upstream, stat.getVersion());
    }
  }

  private @Nullable Own ownWriteQueued(@Nullable String key, long zxid) {
    if (key == null) {
      return null;
    }
    for (Item item : queue) {
      if (item instanceof Own own && own.key().equals(key)) {
        StoredUpstream written = own.written();
        if (written != null && written.version() == zxid) {
          return own;
        }
      }
    }
    return null;
  }

  private @Nullable Known knownByZnode(String znode) {
    String key = ZnodeNames.key(znode);
    return key == null ? null : known.get(key);
  }

  private @Nullable StoredUpstream parse(String znode, byte[] data, Stat stat) {
    String source = root + "/" + znode;
    try {
      List<UpstreamBlock> blocks = NginxConfig.parse(data, source).upstreams();
      if (blocks.size() != 1) {
        LOG.log(Level.WARNING, source + " holds " + blocks.size() + " upstream blocks, not one; left out");
        return null;
      }
      UpstreamBlock block = blocks.get(0);
      if (!ZnodeNames.znode(block.name()).equals(znode)) {
        LOG.log(Level.WARNING, source + " holds upstream \"" + block.name() + "\", whose znode would be "
            + ZnodeNames.znode(block.name()) + "; left out");
        return null;
      }
      return new StoredUpstream(block, stat.getMzxid(), stat.getCzxid());
    } catch (ConfigSyntaxException e) {
      LOG.log(Level.WARNING, "left out: " + e.getMessage());
      return null;
    }
  }

  private void put(StoredUpstream upstream, int dataVersion) {
    known.put(key(upstream.name()), new Known(upstream, dataVersion));
    sink().put(upstream);
    applied(upstream.version());
    UpstreamFile file = cache;
    if (file != null) {
      try {
        file.put(upstream);
      } catch (IOException e) {
        LOG.log(Level.WARNING, "cannot write the cache file " + file.path() + ": " + e);
      }
    }
  }

  private void remove(Known current, long zxid) {
    String name = current.upstream().name();
    known.remove(key(name));
    deletedAt.merge(key(name), Math.max(zxid, current.version()), Math::max);
    sink().remove(name);
    applied(current.version());
    UpstreamFile file = cache;
    if (file != null) {
      try {
        file.remove(name);
      } catch (IOException e) {
        LOG.log(Level.WARNING, "cannot write the cache file " + file.path() + ": " + e);
      }
    }
  }

  private void applied(long version) {
    lastVersion = Math.max(lastVersion, version);
    lastChangeAt = Instant.now();
  }

  private StoreSink sink() {
    StoreSink target = sink;
    if (target == null) {
      throw new IllegalStateException("the store is not open");
    }
    return target;
  }

  // Applies this store's own write at its place in ZooKeeper's order: unless a later state was applied already.
  private void applyOwn(Own own) {
    Known current = known.get(own.key());
    StoredUpstream written = own.written();
    if (written != null) {
      // Absent with the watch past this write: deleted after it (its own event came first, in order).
      boolean deletedSince = current == null && (written.version() <= eventsThrough
          || written.version() <= deletedAt.getOrDefault(own.key(), 0L));
      if (!deletedSince && (current == null || !current.fromZooKeeper() || current.version() < written.version())) {
        put(written, own.dataVersion());
      }
      own.done().complete(new Result(Result.Kind.SUCCESS, "success", written.version()));
    } else {
      if (current != null && (!current.fromZooKeeper() || current.version() <= own.deletedVersion())) {
        remove(current, own.deletedVersion());
      }
      own.done().complete(new Result(Result.Kind.SUCCESS, "success", UpstreamRegistry.ABSENT));
    }
  }

  /** Reads the whole root and applies the differences; seeds the root when it does not exist. */
  private void resync() throws Exception {
    resyncs.incrementAndGet();
    ZooKeeper zk = zooKeeper();
    // After a new connection the server may be behind what the watch already told of (a client's guarantee is
    // only against the last reply it had, and watch notifications carry none): sync first, so this read is at
    // least as new as every change applied before it.
    sync(zk);
    Stat rootStat = zk.exists(root, false);
    if (rootStat == null) {
      if (!seed) {
        replaceAll(List.of());
        firstSync.countDown();
        return;
      }
      bootstrap(zk);
      rootStat = zk.exists(root, false);
      if (rootStat == null) {
        return;
      }
    }
    byte[] marker = zk.getData(root, false, null);
    if (marker != null && new String(marker, UTF_8).startsWith(SEEDING)) {
      if (zk.exists(lockPath, false) != null) {
        // Another instance is writing the first state; its last step changes the root's data, which the watch
        // tells of. Until then, this instance serves what it has and refuses writes.
        seedingElsewhere = true;
        LOG.log(Level.INFO, "another instance is seeding " + root + "; waiting for it");
        zk.exists(lockPath, event -> enqueue(new Resync(System.nanoTime())));
        return;
      }
      // Its writer died before finishing: start again.
      takeOverSeeding(zk);
      resync();
      return;
    }
    seedingElsewhere = false;
    replaceAll(readAll(zk, zk.getChildren(root, false)));
    firstSync.countDown();
  }

  private void sync(ZooKeeper zk) throws Exception {
    CompletableFuture<Integer> synced = new CompletableFuture<>();
    zk.sync("/", (rc, path, ctx) -> synced.complete(rc), null);
    int rc;
    try {
      rc = synced.get(writeTimeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw KeeperException.create(Code.OPERATIONTIMEOUT);
    }
    if (rc != Code.OK.intValue()) {
      throw KeeperException.create(Code.get(rc));
    }
  }

  /** An upstream read from its znode, with the znode's data version. */
  private record Read(StoredUpstream upstream, int dataVersion) {}

  /**
   * Reads every child: many children per request (a ZooKeeper multi of reads: one reply holds their data and
   * stats), several requests in flight, each reply parsed on a pool of threads while the next ones arrive. One
   * getData request per child cost ZooKeeper's server and this client more than everything else a cold start
   * does (100,000 upstreams: 6 of 7.5 s), and parsing on ZooKeeper's one event thread then held up the replies.
   * The upstreams come back in creation order, the first created when two znodes' names fold the same.
   */
  private List<Read> readAll(ZooKeeper zk, List<String> children) throws Exception {
    int batch = readBatch(zk);
    Semaphore inFlight = new Semaphore(Math.max(2, READS_IN_FLIGHT / batch));
    int threads = Math.max(1, Math.min(MAX_PARSERS, Runtime.getRuntime().availableProcessors()));
    AtomicInteger parserNumber = new AtomicInteger();
    // A reply that comes after this read gave up (the connection went) is dropped, not parsed.
    ThreadPoolExecutor parsers = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS,
        new LinkedBlockingQueue<>(), task -> {
          Thread thread = new Thread(task, "dyups-zookeeper parse " + parserNumber.incrementAndGet() + " " + root);
          thread.setDaemon(true);
          return thread;
        }, new ThreadPoolExecutor.DiscardPolicy());
    try {
      List<CompletableFuture<List<Read>>> reads = new ArrayList<>((children.size() + batch - 1) / batch);
      for (int from = 0; from < children.size(); from += batch) {
        List<String> names = children.subList(from, Math.min(children.size(), from + batch));
        List<Op> ops = new ArrayList<>(names.size());
        for (String child : names) {
          ops.add(Op.getData(root + "/" + child));
        }
        CompletableFuture<List<OpResult>> replied = new CompletableFuture<>();
        inFlight.acquire();
        zk.multi(ops, (rc, path, ctx, results) -> {
          inFlight.release();
          if (rc == Code.OK.intValue() && results != null) {
            replied.complete(results);
          } else {
            replied.completeExceptionally(KeeperException.create(Code.get(rc), root));
          }
        }, null);
        reads.add(replied.thenApplyAsync(results -> parseAll(names, results), parsers));
      }
      List<Read> upstreams = new ArrayList<>(children.size());
      for (CompletableFuture<List<Read>> read : reads) {
        try {
          upstreams.addAll(read.get());
        } catch (ExecutionException e) {
          if (e.getCause() instanceof KeeperException keeper) {
            throw keeper;
          }
          throw e;
        }
      }
      upstreams.sort(Comparator.comparingLong(read -> read.upstream().order()));
      Map<String, Read> unique = new LinkedHashMap<>();
      for (Read read : upstreams) {
        if (unique.putIfAbsent(key(read.upstream().name()), read) != null) {
          LOG.log(Level.WARNING, "two znodes hold upstream \"" + read.upstream().name()
              + "\"; the first created is used");
        }
      }
      return new ArrayList<>(unique.values());
    } finally {
      parsers.shutdownNow();
    }
  }

  /** The upstreams of one read reply; a child gone since the list was read is left out (the watch tells of it). */
  private List<Read> parseAll(List<String> names, List<OpResult> results) {
    List<Read> parsed = new ArrayList<>(results.size());
    for (int i = 0; i < results.size(); i++) {
      OpResult result = results.get(i);
      if (result instanceof OpResult.GetDataResult data) {
        StoredUpstream upstream = parse(names.get(i), data.getData(), data.getStat());
        if (upstream != null) {
          parsed.add(new Read(upstream, data.getStat().getVersion()));
        }
      } else if (result instanceof OpResult.ErrorResult error && error.getErr() != Code.NONODE.intValue()) {
        throw new CompletionException(
            KeeperException.create(Code.get(error.getErr()), root + "/" + names.get(i)));
      }
    }
    return parsed;
  }

  /**
   * How many children one read request asks for: as many as keep its reply within what the client reads
   * ({@code jute.maxbuffer} of the client) when each holds as much as a znode may ({@link Builder#maxRequestBytes}).
   * A client of the application's with ZooKeeper's default limit reads one child per request.
   */
  private int readBatch(ZooKeeper zk) {
    int clientMax = zk.getClientConfig().getInt(ZKClientConfig.JUTE_MAXBUFFER,
        ZKClientConfig.CLIENT_MAX_PACKET_LENGTH_DEFAULT);
    return (int) Math.max(1, Math.min(MAX_READ_BATCH, (long) clientMax / maxRequestBytes - 1));
  }

  private void replaceAll(List<Read> reads) {
    List<StoredUpstream> upstreams = new ArrayList<>(reads.size());
    for (Read read : reads) {
      upstreams.add(read.upstream());
    }
    sink().replaceAll(upstreams);
    known.clear();
    deletedAt.clear();
    long max = 0;
    for (Read read : reads) {
      known.put(key(read.upstream().name()), new Known(read.upstream(), read.dataVersion()));
      max = Math.max(max, read.upstream().version());
    }
    lastVersion = Math.max(lastVersion, max);
    lastChangeAt = Instant.now();
    UpstreamFile file = cache;
    if (file != null) {
      try {
        file.replaceAll(upstreams);
      } catch (IOException e) {
        LOG.log(Level.WARNING, "cannot write the cache file " + file.path() + ": " + e);
      }
    }
  }

  // ---- bootstrap ----

  /** Creates the root holding what this instance serves: in one transaction when it fits in one request. */
  private void bootstrap(ZooKeeper zk) throws Exception {
    List<StoredUpstream> mine = new ArrayList<>();
    for (Known k : known.values()) {
      mine.add(k.upstream());
    }
    mine.sort(Comparator.comparingLong(StoredUpstream::order));
    List<Op> parents = new ArrayList<>();
    String[] parts = root.substring(1).split("/", -1);
    StringBuilder path = new StringBuilder();
    for (int i = 0; i < parts.length - 1; i++) {
      path.append('/').append(parts[i]);
      if (zk.exists(path.toString(), false) == null) {
        parents.add(Op.create(path.toString(), new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT));
      }
    }
    String seededBy = "dyups: seeded by " + host() + " at " + Instant.now() + " with " + mine.size() + " upstreams";
    List<SizedOp> creates = creates(mine);
    long bytes = 0;
    for (SizedOp create : creates) {
      bytes += create.bytes();
    }
    try {
      if (bytes + (long) REQUEST_OVERHEAD * (parents.size() + 1) <= maxRequestBytes) {
        List<Op> ops = new ArrayList<>(parents);
        ops.add(Op.create(root, seededBy.getBytes(UTF_8), ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT));
        for (SizedOp create : creates) {
          ops.add(create.op());
        }
        zk.multi(ops);
        LOG.log(Level.INFO, "seeded " + root + " with " + mine.size() + " upstreams in one transaction");
        return;
      }
      List<Op> first = new ArrayList<>(parents);
      first.add(Op.create(root, (SEEDING + " by " + host()).getBytes(UTF_8), ZooDefs.Ids.OPEN_ACL_UNSAFE,
          CreateMode.PERSISTENT));
      first.add(Op.create(lockPath, new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL));
      zk.multi(first);
    } catch (KeeperException.NodeExistsException e) {
      // Another instance created the root (or a parent) first: its state wins, read at the resync.
      return;
    }
    writeSeedInParts(zk, creates, seededBy);
  }

  /** A create of one upstream's znode, with what it adds to a request. */
  private record SizedOp(Op op, long bytes) {}

  private List<SizedOp> creates(List<StoredUpstream> upstreams) {
    List<SizedOp> creates = new ArrayList<>(upstreams.size());
    for (StoredUpstream upstream : upstreams) {
      byte[] data = NginxConfig.toBytes(upstream.definition().toConfig());
      String child = root + "/" + ZnodeNames.znode(upstream.name());
      creates.add(new SizedOp(Op.create(child, data, ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT),
          data.length + child.getBytes(UTF_8).length + REQUEST_OVERHEAD));
    }
    return creates;
  }

  private void writeSeedInParts(ZooKeeper zk, List<SizedOp> creates, String seededBy) throws Exception {
    List<Op> batch = new ArrayList<>();
    long bytes = 0;
    for (SizedOp create : creates) {
      if (!batch.isEmpty() && bytes + create.bytes() > maxRequestBytes - REQUEST_OVERHEAD) {
        zk.multi(batch);
        batch = new ArrayList<>();
        bytes = 0;
      }
      batch.add(create.op());
      bytes += create.bytes();
    }
    if (!batch.isEmpty()) {
      zk.multi(batch);
    }
    zk.multi(List.of(Op.setData(root, seededBy.getBytes(UTF_8), -1), Op.delete(lockPath, -1)));
    LOG.log(Level.INFO, "seeded " + root + " with " + creates.size() + " upstreams in several transactions");
  }

  private void takeOverSeeding(ZooKeeper zk) throws Exception {
    try {
      zk.create(lockPath, new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL);
    } catch (KeeperException.NodeExistsException e) {
      return;
    }
    LOG.log(Level.WARNING, "the instance seeding " + root + " stopped before it finished; seeding it again");
    for (String child : zk.getChildren(root, false)) {
      try {
        zk.delete(root + "/" + child, -1);
      } catch (KeeperException.NoNodeException e) {
        // Gone already.
      }
    }
    List<StoredUpstream> mine = new ArrayList<>();
    for (Known k : known.values()) {
      mine.add(k.upstream());
    }
    mine.sort(Comparator.comparingLong(StoredUpstream::order));
    writeSeedInParts(zk, creates(mine),
        "dyups: seeded by " + host() + " at " + Instant.now() + " with " + mine.size() + " upstreams");
  }

  private static String host() {
    try {
      return InetAddress.getLocalHost().getHostName() + " pid " + ProcessHandle.current().pid();
    } catch (IOException e) {
      return "pid " + ProcessHandle.current().pid();
    }
  }

  // ---- writing ----

  @Override
  public Result commit(StoreChange change) {
    requireNonNull(change, "change");
    if (closed) {
      return new Result(Result.Kind.CLOSED, "the registry is closed; nothing changed", 0);
    }
    if (!connected) {
      return unavailable("ZooKeeper cannot be reached (" + describe() + ", connection " + state + ")");
    }
    if (seedingElsewhere) {
      return unavailable("another instance is writing the first state of " + root + " to ZooKeeper");
    }
    String key = change.key();
    UpstreamBlock definition = change.definition();
    String path;
    byte[] data = null;
    if (definition != null) {
      data = NginxConfig.toBytes(definition.toConfig());
      path = root + "/" + ZnodeNames.znode(change.name());
      long request = (long) data.length + path.getBytes(UTF_8).length + REQUEST_OVERHEAD;
      if (request > maxRequestBytes) {
        return new Result(Result.Kind.TOO_LARGE, "upstream \"" + change.name() + "\" is " + data.length
            + " bytes as nginx configuration, too large for ZooKeeper: one ZooKeeper request carries at most "
            + maxRequestBytes + " bytes (jute.maxbuffer of its servers and clients), which leaves "
            + (maxRequestBytes - path.getBytes(UTF_8).length - REQUEST_OVERHEAD) + " bytes for this upstream; the"
            + " registry alone would accept commands up to its own limit (dyups_shm_zone_size)", 0);
      }
    } else {
      path = root + "/" + ZnodeNames.znode(change.name());
    }
    try {
      return write(change, key, path, data);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return unavailable("interrupted while waiting for ZooKeeper");
    }
  }

  private Result write(StoreChange change, String key, String path, byte @Nullable [] data)
      throws InterruptedException {
    for (int attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
      ZooKeeper zk;
      try {
        zk = zooKeeper();
      } catch (Exception e) {
        return unavailable("ZooKeeper cannot be reached (" + e + ")");
      }
      Known current = known.get(key);
      // The znode as this write must find it: from what was applied, or read now when that is not certain.
      Current found;
      if (current != null && current.fromZooKeeper()) {
        found = new Current(current.upstream().name(), current.version(), current.dataVersion());
      } else {
        Outcome<Current> read = readCurrent(zk, path);
        if (read.failure() != null) {
          return read.failure();
        }
        found = read.value();
      }
      if (change.isConditional()) {
        long expected = change.expectedVersion();
        long actual = found == null ? UpstreamRegistry.ABSENT : found.version();
        if (expected != actual && current != null && current.fromZooKeeper()) {
          // This instance may be behind: ask ZooKeeper before calling it a conflict.
          Outcome<Current> read = readCurrent(zk, path);
          if (read.failure() != null) {
            return read.failure();
          }
          found = read.value();
          actual = found == null ? UpstreamRegistry.ABSENT : found.version();
        }
        if (expected != actual) {
          return conflict(change, actual);
        }
      }
      if (data == null && found == null) {
        return new Result(Result.Kind.NOT_FOUND, "upstream \"" + change.name() + "\" not found", 0);
      }
      Attempt attemptResult = mutate(zk, change, key, path, data, found);
      if (attemptResult.result() != null) {
        return attemptResult.result();
      }
      // The znode moved between the read and the write: for an unconditional change, read again and retry; for a
      // conditional one, that is a conflict.
      if (change.isConditional()) {
        Outcome<Current> read = readCurrent(zk, path);
        Current now = read.value();
        return read.failure() != null ? read.failure()
            : conflict(change, now == null ? UpstreamRegistry.ABSENT : now.version());
      }
      known.computeIfPresent(key, (k, v) -> new Known(v.upstream(), -1));
    }
    return unavailable("the upstream kept changing under " + WRITE_ATTEMPTS + " attempts to write it");
  }

  /** The znode of an upstream as read from ZooKeeper: the name it holds, its mzxid and data version. */
  private record Current(String name, long version, int dataVersion) {}

  private record Outcome<T>(@Nullable T value, @Nullable Result failure) {}

  /** The result of one conditional operation: a result to return, or none when the znode moved (retry). */
  private record Attempt(@Nullable Result result) {}

  private Outcome<Current> readCurrent(ZooKeeper zk, String path) throws InterruptedException {
    Stat stat = new Stat();
    try {
      byte[] bytes = zk.getData(path, false, stat);
      String name = nameIn(bytes, path);
      return new Outcome<>(new Current(name, stat.getMzxid(), stat.getVersion()), null);
    } catch (KeeperException.NoNodeException e) {
      return new Outcome<>(null, null);
    } catch (KeeperException e) {
      return new Outcome<>(null, unavailable("ZooKeeper cannot be reached (" + e.code() + ")"));
    }
  }

  private static String nameIn(byte[] data, String path) {
    try {
      List<UpstreamBlock> blocks = NginxConfig.parse(data, path).upstreams();
      if (blocks.size() == 1) {
        return blocks.get(0).name();
      }
    } catch (ConfigSyntaxException e) {
      // Replaced by the write.
    }
    return path.substring(path.lastIndexOf('/') + 1);
  }

  private Attempt mutate(ZooKeeper zk, StoreChange change, String key, String path, byte @Nullable [] data,
      @Nullable Current found) throws InterruptedException {
    CompletableFuture<Result> done = new CompletableFuture<>();
    CompletableFuture<Code> sent = new CompletableFuture<>();
    UpstreamBlock definition = change.definition();
    if (definition == null) {
      requireNonNull(found, "found");
      long deleted = found.version();
      zk.delete(path, found.dataVersion(), (rc, p, ctx) -> {
        if (rc == Code.OK.intValue()) {
          // On ZooKeeper's event thread, after the watch event of this delete: queued behind it.
          enqueue(new Own(key, null, -1, deleted, done, System.nanoTime()));
        }
        sent.complete(Code.get(rc));
      }, null);
    } else {
      String name = found == null ? change.name() : found.name();
      byte[] bytes = found == null || found.name().equals(change.name()) ? requireNonNull(data, "data")
          : NginxConfig.toBytes(definition.withName(name).toConfig());
      UpstreamBlock named = definition.withName(name);
      if (found == null) {
        zk.create(path, bytes, ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT, (rc, p, ctx, n, stat) -> {
          if (rc == Code.OK.intValue()) {
            enqueue(new Own(key, new StoredUpstream(named, stat.getMzxid(), stat.getCzxid()), stat.getVersion(), 0,
                done, System.nanoTime()));
          }
          sent.complete(Code.get(rc));
        }, null);
      } else {
        zk.setData(path, bytes, found.dataVersion(), (rc, p, ctx, stat) -> {
          if (rc == Code.OK.intValue()) {
            enqueue(new Own(key, new StoredUpstream(named, stat.getMzxid(), stat.getCzxid()), stat.getVersion(), 0,
                done, System.nanoTime()));
          }
          sent.complete(Code.get(rc));
        }, null);
      }
    }
    Code code;
    try {
      code = sent.get(writeTimeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      return new Attempt(unavailable("ZooKeeper failed: " + e.getCause()));
    } catch (TimeoutException e) {
      return new Attempt(new Result(Result.Kind.UNAVAILABLE, "ZooKeeper did not answer within " + writeTimeout
          + "; whether it made the change is not known yet (every instance applies it if it did)", 0));
    }
    return switch (code) {
      case OK -> accepted(change, done);
      // The znode moved between the read and the write: read again (a conflict for a conditional change).
      case BADVERSION, NODEEXISTS -> new Attempt(null);
      case NONODE -> noNode(zk, change, found);
      case CONNECTIONLOSS, SESSIONEXPIRED, SESSIONMOVED -> new Attempt(lostWhileSent(change, path, data));
      default -> new Attempt(new Result(Result.Kind.FAILED, "ZooKeeper refused the change: " + code
          + "; nothing changed", 0));
    };
  }

  private Attempt accepted(StoreChange change, CompletableFuture<Result> done) throws InterruptedException {
    try {
      return new Attempt(done.get(writeTimeout.toMillis(), TimeUnit.MILLISECONDS));
    } catch (ExecutionException | TimeoutException e) {
      // Accepted by ZooKeeper: it is made, and applied here as soon as this instance catches up.
      LOG.log(Level.WARNING, "change to \"" + change.name() + "\" accepted by ZooKeeper but not yet applied"
          + " here after " + writeTimeout);
      return new Attempt(new Result(Result.Kind.SUCCESS, "success", 0));
    }
  }

  private Attempt noNode(ZooKeeper zk, StoreChange change, @Nullable Current found) throws InterruptedException {
    if (change.definition() != null && found == null) {
      // The root is missing: create it (and its parents), then try again.
      try {
        createRoot(zk);
      } catch (KeeperException e) {
        return new Attempt(unavailable("cannot create " + root + ": " + e.code()));
      }
      return new Attempt(null);
    }
    if (change.definition() == null && !change.isConditional()) {
      return new Attempt(new Result(Result.Kind.NOT_FOUND, "upstream \"" + change.name() + "\" not found", 0));
    }
    return new Attempt(null);
  }

  private void createRoot(ZooKeeper zk) throws KeeperException, InterruptedException {
    String[] parts = root.substring(1).split("/", -1);
    StringBuilder path = new StringBuilder();
    for (String part : parts) {
      path.append('/').append(part);
      try {
        zk.create(path.toString(), new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
      } catch (KeeperException.NodeExistsException e) {
        // Made by another instance.
      }
    }
  }

  /**
   * The connection went while the change was on its way: ZooKeeper may or may not have made it. Waits for the next
   * connection and looks.
   */
  private Result lostWhileSent(StoreChange change, String path, byte @Nullable [] data) throws InterruptedException {
    long deadline = System.nanoTime() + writeTimeout.toNanos();
    while (!connected && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    if (!connected) {
      return unavailable("the connection to ZooKeeper was lost while the change was sent, and is not back after "
          + writeTimeout + "; whether ZooKeeper made it is not known yet (every instance applies it if it did)");
    }
    try {
      ZooKeeper zk = zooKeeper();
      zk.sync(path);
      Stat stat = new Stat();
      byte[] now;
      try {
        now = zk.getData(path, false, stat);
      } catch (KeeperException.NoNodeException e) {
        now = null;
      }
      boolean made = data == null ? now == null : now != null && java.util.Arrays.equals(now, data);
      if (!made) {
        return unavailable("the connection to ZooKeeper was lost while the change was sent (" + describe() + ")");
      }
      // Made: read everything again, so this instance holds it (or a later state) before the call returns.
      CompletableFuture<Void> applied = new CompletableFuture<>();
      enqueue(new Resync(System.nanoTime(), applied));
      try {
        applied.get(writeTimeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (ExecutionException | TimeoutException e) {
        LOG.log(Level.WARNING, "change to \"" + change.name() + "\" made in ZooKeeper but not yet applied here");
      }
      return new Result(Result.Kind.SUCCESS, "success", data == null ? UpstreamRegistry.ABSENT : stat.getMzxid());
    } catch (Exception e) {
      return unavailable("the connection to ZooKeeper was lost while the change was sent, and it cannot be read"
          + " back (" + e + "); whether ZooKeeper made it is not known yet");
    }
  }

  private static Result conflict(StoreChange change, long actual) {
    long expected = change.expectedVersion();
    String found = actual == UpstreamRegistry.ABSENT ? "it does not exist" : "it is at version " + actual;
    String wanted = expected == UpstreamRegistry.ABSENT ? "expected it not to exist" : "expected version " + expected;
    return new Result(Result.Kind.VERSION_CONFLICT,
        "version conflict on upstream \"" + change.name() + "\": " + wanted + ", " + found, actual);
  }

  private static Result unavailable(String why) {
    return new Result(Result.Kind.UNAVAILABLE, why + "; nothing changed", 0);
  }

  private static String key(String name) {
    return UpstreamBlock.foldName(name);
  }

  // ---- status and closing ----

  @Override
  public StoreStatus status() {
    Item head = queue.peek();
    long behind = head == null ? 0 : TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - head.enqueuedNanos());
    String word = closed ? "closed" : seedingElsewhere ? "waiting for seeding" : state;
    return new StoreStatus("zookeeper", !closed && connected && !seedingElsewhere, word, describe(), lastVersion,
        lastChangeAt, queue.size(), behind);
  }

  /** The Curator client, for tests that expire its session. */
  CuratorFramework client() {
    return client;
  }

  /** Tells the store of {@code event} as its watch would, for tests of events told late or without a zxid. */
  void told(WatchedEvent event) {
    onEvent(event);
  }

  /** How many times the store has read its whole root (at the start and after every new connection). */
  int resyncCount() {
    return resyncs.get();
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      zooKeeper().removeWatches(root, rootWatch, Watcher.WatcherType.Any, true);
    } catch (Exception e) {
      // Not set, or the client is gone: nothing to remove.
    }
    client.getConnectionStateListenable().removeListener(stateListener);
    applier.interrupt();
    try {
      applier.join(TimeUnit.SECONDS.toMillis(10));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (Item item : queue) {
      if (item instanceof Own own) {
        own.done().complete(new Result(Result.Kind.CLOSED, "the registry is closed", 0));
      }
    }
    queue.clear();
    UpstreamFile file = cache;
    if (file != null) {
      file.close();
    }
    if (ownsClient) {
      client.close();
    }
  }

  @Override
  public String toString() {
    return "ZooKeeperStore[" + root + "]";
  }

  /** Configures a {@link ZooKeeperStore}. Not thread-safe. */
  public static final class Builder {
    private final @Nullable String connectString;
    private final @Nullable CuratorFramework client;
    private String root = DEFAULT_ROOT;
    private @Nullable Path cacheFile;
    private int maxRequestBytes = DEFAULT_MAX_REQUEST_BYTES;
    private Duration sessionTimeout = Duration.ofSeconds(30);
    private Duration connectionTimeout = Duration.ofSeconds(5);
    private Duration startTimeout = Duration.ofSeconds(5);
    private Duration writeTimeout = Duration.ofSeconds(10);
    private boolean seed = true;

    private Builder(@Nullable String connectString, @Nullable CuratorFramework client) {
      this.connectString = connectString;
      this.client = client;
    }

    /**
     * The znode whose children are the upstreams; default {@value #DEFAULT_ROOT}. Created (with its parents) when
     * it does not exist.
     *
     * @throws IllegalArgumentException if it is not an absolute ZooKeeper path other than {@code /}
     */
    public Builder root(String path) {
      requireNonNull(path, "path");
      if (!path.startsWith("/") || path.endsWith("/") || path.contains("//") || path.length() < 2) {
        throw new IllegalArgumentException("root must be an absolute ZooKeeper path such as /dyups/upstreams: "
            + path);
      }
      org.apache.zookeeper.common.PathUtils.validatePath(path);
      this.root = path;
      return this;
    }

    /**
     * The local copy of the upstreams ({@code dyups_upstream_conf}): written from every change applied, served
     * when the store starts while ZooKeeper cannot be reached, and the state this instance seeds an empty
     * ZooKeeper with. None by default.
     */
    public Builder cacheFile(Path file) {
      this.cacheFile = requireNonNull(file, "file");
      return this;
    }

    /**
     * The largest request ZooKeeper takes: its servers' {@code jute.maxbuffer} (1 MiB - 1 byte unless they set
     * more). A change whose znode would not fit is refused with {@link Result.Kind#TOO_LARGE} before it is sent.
     */
    public Builder maxRequestBytes(int bytes) {
      if (bytes < 4096) {
        throw new IllegalArgumentException("maxRequestBytes must be >= 4096: " + bytes);
      }
      this.maxRequestBytes = bytes;
      return this;
    }

    /** The ZooKeeper session timeout; default 30 s. Only for a store that makes its own client. */
    public Builder sessionTimeout(Duration timeout) {
      this.sessionTimeout = positive(timeout, "sessionTimeout");
      return this;
    }

    /** How long one connection attempt may take; default 5 s. Only for a store that makes its own client. */
    public Builder connectionTimeout(Duration timeout) {
      this.connectionTimeout = positive(timeout, "connectionTimeout");
      return this;
    }

    /**
     * How long {@code build()} of the registry waits for ZooKeeper's state before it serves the cache file; default
     * 5 s.
     */
    public Builder startTimeout(Duration timeout) {
      this.startTimeout = positive(timeout, "startTimeout");
      return this;
    }

    /** How long a change waits for ZooKeeper's answer; default 10 s. */
    public Builder writeTimeout(Duration timeout) {
      this.writeTimeout = positive(timeout, "writeTimeout");
      return this;
    }

    /**
     * Whether this instance creates a missing root holding the upstreams it serves; default true. When false, a
     * missing root is an empty state.
     */
    public Builder seed(boolean on) {
      this.seed = on;
      return this;
    }

    private static Duration positive(Duration timeout, String what) {
      requireNonNull(timeout, what);
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException(what + " must be positive: " + timeout);
      }
      return timeout;
    }

    /** The store; it connects when the registry opens it. */
    public ZooKeeperStore build() {
      return new ZooKeeperStore(this);
    }
  }

}
