package io.dyups.core;

import static java.util.Objects.requireNonNull;

import io.dyups.parser.UpstreamBlock;
import java.util.List;

/**
 * One upstream as the registry published it: its name, the version of this definition, the definition and the
 * live peers built from it. The definition never changes; an update publishes a new {@code Upstream}, so a
 * request that found this one can finish on it while later requests find the new one. Safe to share.
 */
public final class Upstream {
  private final String name;
  private final long version;
  private final UpstreamBlock definition;
  private final PeerGroup peers;
  // Place in the listing: given at first appearance, kept when replaced.
  final long order;
  Upstream(String name, long version, UpstreamBlock definition, PeerGroup peers, long order) {
    this.name = requireNonNull(name, "name");
    this.version = version;
    this.definition = requireNonNull(definition, "definition");
    this.peers = requireNonNull(peers, "peers");
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

  /** The live peers: pick from them with a {@link PeerSelection}. */
  public PeerGroup peers() {
    return peers;
  }

  /**
   * The servers written with a host name, in the order written, each with what its name resolves to now and the
   * addresses its peers have. Empty when every server is an address or a unix socket.
   */
  public List<HostStatus> hosts() {
    return peers.hosts();
  }

  @Override
  public String toString() {
    return "Upstream[" + name + " v" + version + ", " + definition.servers().size() + " servers]";
  }
}
