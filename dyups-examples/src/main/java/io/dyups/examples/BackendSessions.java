package io.dyups.examples;

import io.dyups.core.Peer;
import io.dyups.core.Upstream;
import io.dyups.core.UpstreamChange;
import io.dyups.core.UpstreamListener;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Frees the saved TLS sessions of peers that left their upstream, as nginx frees a peer's saved session with the
 * peer ({@code ngx_http_upstream_free_round_robin_peer}'s pool going away after a dyups update): after an update,
 * the sessions of the peers (addresses) the new upstream no longer has; after a delete, all of the upstream's. Peers an
 * update keeps keep their sessions. Runs on the registry's notification thread.
 */
final class BackendSessions implements UpstreamListener {
  private final List<BackendTls> contexts;

  BackendSessions(List<BackendTls> contexts) {
    this.contexts = List.copyOf(contexts);
  }

  @Override
  public void onChange(UpstreamChange change) {
    Upstream previous = change.previous();
    if (previous == null || contexts.isEmpty()) {
      return;
    }
    Set<String> kept = new HashSet<>();
    if (change.current() != null) {
      for (Peer peer : change.current().peers().asList()) {
        kept.add(BackendTls.peerKey(peer.socketAddress()));
      }
    }
    for (BackendTls context : contexts) {
      context.forget(previous.name(), kept);
    }
  }
}
