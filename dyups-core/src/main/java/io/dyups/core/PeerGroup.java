package io.dyups.core;

import static java.util.Objects.requireNonNull;

import com.google.common.base.Ticker;
import com.google.common.collect.ImmutableList;
import io.dyups.parser.ServerSpec;
import io.dyups.parser.UpstreamBlock;
import java.util.List;
import javax.annotation.CheckForNull;

/**
 * The live peers of one upstream definition. A new group is built for every new definition; peers whose server
 * line did not change carry their state over from the group they replace.
 */
public final class PeerGroup {
  private final UpstreamBlock definition;
  private final ImmutableList<Peer> peers;
  private final Ticker ticker;

  private PeerGroup(UpstreamBlock definition, ImmutableList<Peer> peers, Ticker ticker) {
    this.definition = definition;
    this.peers = peers;
    this.ticker = ticker;
  }

  /**
   * Builds the peers of {@code definition}.
   *
   * @param previous the group this one replaces, whose unchanged servers keep their state, or {@code null}
   * @param ticker the time source for failure windows
   */
  public static PeerGroup create(UpstreamBlock definition, @CheckForNull PeerGroup previous, Ticker ticker) {
    requireNonNull(definition, "definition");
    requireNonNull(ticker, "ticker");
    ImmutableList.Builder<Peer> peers = ImmutableList.builder();
    for (ServerSpec server : definition.servers()) {
      peers.add(new Peer(server));
    }
    return new PeerGroup(definition, peers.build(), ticker);
  }

  /** The definition these peers were built from. */
  public UpstreamBlock definition() {
    return definition;
  }

  /** Every peer, in the order the servers were written. */
  public List<Peer> peers() {
    return peers;
  }

  Ticker ticker() {
    return ticker;
  }
}
