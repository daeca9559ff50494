package io.dyups.core;

/**
 * {@code ip_hash}, as ngx_http_upstream_ip_hash_module: the first three octets of an IPv4 client (all sixteen of
 * IPv6) hashed with nginx's constants pick a primary by weight; a peer that cannot serve moves the hash on; after
 * 20 tries, round robin.
 */
final class IpHashStrategy extends Strategy {
  @Override
  void start(PeerSelection selection) {
    selection.hash = 89;
    selection.loadClientAddress();
  }

  @Override
  Peer pick(PeerSelection selection, long now) {
    PeerGroup group = selection.group;
    if (selection.hashTries > 20 || group.primaries.length < 2) {
      return RoundRobinStrategy.INSTANCE.pick(selection, now);
    }
    Peer[] peers = group.primaries;
    long hash = selection.hash;
    for (;;) {
      for (int i = 0; i < selection.addressLength; i++) {
        hash = (hash * 113 + (selection.address[i] & 0xFF)) % 6271;
      }
      int index = byWeight(peers, hash % group.totalWeight);
      if (eligible(peers[index], index, selection, now)) {
        selection.hash = hash;
        selection.markTried(index);
        touch(peers[index], now);
        return peers[index];
      }
      if (++selection.hashTries > 20) {
        return RoundRobinStrategy.INSTANCE.pick(selection, now);
      }
    }
  }

  /** The peer whose share of the total weight holds {@code w}. */
  static int byWeight(Peer[] peers, long w) {
    int index = 0;
    while (w >= peers[index].weight) {
      w -= peers[index].weight;
      index++;
    }
    return index;
  }
}
