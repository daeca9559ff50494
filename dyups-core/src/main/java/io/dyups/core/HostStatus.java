package io.dyups.core;

import static java.util.Objects.requireNonNull;

import io.dyups.parser.ServerSpec;
import java.net.SocketAddress;
import java.time.Instant;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A server written with a host name, and the addresses its peers have now. Part of the immutable snapshot of an
 * {@link Upstream} ({@link Upstream#hosts()}).
 *
 * @param server the server line as written
 * @param state what the last lookup of the name found
 * @param addresses where the server's peers connect, in the order of the peers; empty when the name has no
 *     address now
 * @param error what went wrong in the last lookup, in nginx's words (such as {@code Host not found} or {@code
 *     Operation timed out}); empty when it found the name
 * @param checked when the name was last looked up, or {@code null} when it was not yet
 */
public record HostStatus(
    ServerSpec server, State state, List<SocketAddress> addresses, String error, @Nullable Instant checked) {
  public HostStatus {
    requireNonNull(server, "server");
    requireNonNull(state, "state");
    addresses = List.copyOf(addresses);
    requireNonNull(error, "error");
  }

  /** {@link #addresses()} as nginx names peers: {@code 10.0.0.1:8080}, {@code [2001:db8::1]:8080}. */
  public List<String> addressNames() {
    return addresses.stream().map(Peer::addressText).toList();
  }

  /** What the last lookup of a name found. */
  public enum State {
    /** The name was found: its addresses are the current answer. */
    RESOLVED,
    /**
     * The last lookup got no answer (a timeout, a failed server): the addresses of the last answer are kept, as
     * nginx keeps them, until an answer comes.
     */
    STALE,
    /** The name does not exist or has no address: it has no peers (nginx removes them). */
    NOT_FOUND,
    /** No lookup of the name has found it yet: it has no peers. */
    FAILED
  }
}
