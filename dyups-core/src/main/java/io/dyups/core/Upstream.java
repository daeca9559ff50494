package io.dyups.core;

import static java.util.Objects.requireNonNull;

import com.google.common.base.Ticker;
import io.dyups.parser.ServerSpec;
import io.dyups.parser.UpstreamBlock;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One upstream as the registry published it: its name, the version of this definition, the definition and the
 * live peers built from it. The definition never changes; an update publishes a new {@code Upstream}, so a
 * request that found this one can finish on it while later requests find the new one. Safe to share.
 *
 * <p>The peers of an upstream whose servers are all addresses or unix sockets may be made at the first call of
 * {@link #peers()} rather than when it is published: an upstream loaded but never picked from (most of a large
 * file's, at a start) holds no peer objects.
 */
public final class Upstream {
  private final String name;
  private final long version;
  private final UpstreamBlock definition;
  // The peers, or null until the first peers() of an upstream published without them (made from the definition
  // with the clock and workers below; one group kept, see makePeers).
  private volatile @Nullable PeerGroup peers;
  private final @Nullable Ticker clock;
  private final int workers;
  // Place in the listing: given at first appearance, kept when replaced.
  final long order;
  // The servers with their ids, made by the first caller that asks (racy but idempotent: every thread computes
  // the same list from the immutable definition).
  private volatile @Nullable List<UpstreamServer> servers;

  private static final VarHandle PEERS;

  static {
    try {
      PEERS = MethodHandles.lookup().findVarHandle(Upstream.class, "peers", PeerGroup.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** An upstream with its peers made. */
  Upstream(String name, long version, UpstreamBlock definition, PeerGroup peers, long order) {
    this.name = requireNonNull(name, "name");
    this.version = version;
    this.definition = requireNonNull(definition, "definition");
    this.peers = requireNonNull(peers, "peers");
    this.clock = null;
    this.workers = 0;
    this.order = order;
  }

  /**
   * An upstream whose peers are made at the first {@link #peers()}, as a first generation ({@link
   * HostTable.Plan#WRITTEN}: {@code definition} has no host name) with {@code workers} balancing states.
   */
  Upstream(String name, long version, UpstreamBlock definition, Ticker clock, int workers, long order) {
    this.name = requireNonNull(name, "name");
    this.version = version;
    this.definition = requireNonNull(definition, "definition");
    this.clock = requireNonNull(clock, "clock");
    this.workers = workers;
    this.order = order;
  }

  /** The name as first written (names compare ignoring ASCII case). */
  public String name() {
    return name;
  }

  /**
   * The version of this definition: unique in the registry and larger than every version published before it,
   * so a name deleted and created again never repeats one.
   */
  public long version() {
    return version;
  }

  /** The upstream block this upstream was built from. */
  public UpstreamBlock definition() {
    return definition;
  }

  /**
   * The live peers: pick from them with a {@link PeerSelection}. The same group at every call; made at the first
   * call for an upstream published without them. Thread-safe.
   */
  public PeerGroup peers() {
    PeerGroup group = peers;
    return group != null ? group : makePeers();
  }

  /** The peers if they are made: null for an upstream whose {@link #peers()} nobody called yet. */
  @Nullable PeerGroup peersIfMade() {
    return peers;
  }

  private PeerGroup makePeers() {
    PeerGroup made = PeerGroup.create(definition, HostTable.Plan.WRITTEN, null, requireNonNull(clock, "clock"),
        workers);
    // Two threads may both make a group: the first one stored is the only one ever used (a pick's state lives in
    // its group), the other is dropped before anyone picked from it. A group's making touches nothing outside it.
    PeerGroup witness = (PeerGroup) PEERS.compareAndExchange(this, (PeerGroup) null, made);
    return witness != null ? witness : made;
  }

  /**
   * The servers written with a host name, in the order written, each with what its name resolves to now and the
   * addresses its peers have. Empty when every server is an address or a unix socket.
   */
  public List<HostStatus> hosts() {
    // Only an upstream without host names is published without its peers: it has none.
    PeerGroup group = peers;
    return group == null ? List.of() : group.hosts();
  }

  /**
   * The servers as written, in order, each with its id ({@link UpstreamServer}): the ids NGINX Plus's API names
   * servers by. Made once per upstream; an upstream with many servers pays for it only when asked.
   */
  public List<UpstreamServer> servers() {
    List<UpstreamServer> list = servers;
    if (list == null) {
      List<ServerSpec> specs = definition.servers();
      int[] ids = ServerIds.of(specs);
      UpstreamServer[] made = new UpstreamServer[ids.length];
      for (int i = 0; i < ids.length; i++) {
        made[i] = new UpstreamServer(ids[i], specs.get(i));
      }
      list = List.of(made);
      servers = list;
    }
    return list;
  }

  /** The server with id {@code id}, or null when there is none. */
  public @Nullable UpstreamServer server(int id) {
    for (UpstreamServer server : servers()) {
      if (server.id() == id) {
        return server;
      }
    }
    return null;
  }

  /**
   * The id of the server {@code peer} (one of this upstream's) was built from: the server with the peer's address
   * and the same line, else the first with its address (a server with {@code service=} gives its peers SRV
   * weights); -1 for a peer of another upstream. The peers of a host name share their server's id.
   */
  public int serverId(Peer peer) {
    int byAddress = -1;
    for (UpstreamServer server : servers()) {
      if (server.spec().address().equals(peer.address())) {
        if (server.spec().equals(peer.spec())) {
          return server.id();
        }
        if (byAddress < 0) {
          byAddress = server.id();
        }
      }
    }
    return byAddress;
  }

  @Override
  public String toString() {
    return "Upstream[" + name + " v" + version + ", " + definition.servers().size() + " servers]";
  }
}
