package io.dyups.core;

import java.net.InetAddress;
import org.jspecify.annotations.Nullable;

/**
 * {@code ip_hash}, as ngx_http_upstream_ip_hash_module: the first three octets of an IPv4 client (all sixteen of
 * IPv6) hashed with nginx's constants pick a primary by weight; a peer that cannot serve moves the hash on; after
 * 20 tries, round robin.
 */
final class IpHashStrategy extends Strategy {
  // 113^3 and 113^2, modulo 6271.
  private static final int K3 = 113 * 113 * 113 % 6271;
  private static final int K2 = 113 * 113 % 6271;

  @Override
  void start(PeerSelection selection, @Nullable InetAddress client) {
    selection.hash = 89;
    selection.loadClientAddress(client);
  }

  @Override
  int pick(PeerSelection selection, long now) {
    PeerGroup group = selection.group;
    if (selection.hashTries > 20 || group.primaries.length < 2) {
      return RoundRobinStrategy.INSTANCE.pick(selection, now);
    }
    PeerCounters[] peers = selection.worker.primaries;
    // Below 6271, so hash * 113 + 255 stays an int.
    int hash = (int) selection.hash;
    for (;;) {
      if (selection.addressLength == 3) {
        // nginx's three steps of hash = (hash * 113 + octet) % 6271, with one remainder instead of three: the
        // remainder of a sum is the remainder of the sum of remainders.
        hash = (hash * K3 + selection.addressByte(0) * K2 + selection.addressByte(1) * 113
            + selection.addressByte(2)) % 6271;
      } else {
        for (int i = 0; i < selection.addressLength; i++) {
          hash = (hash * 113 + selection.addressByte(i)) % 6271;
        }
      }
      int index = byWeight(group, group.weightUnit(hash));
      if (eligible(peers[index], index, selection, now)) {
        selection.hash = hash;
        selection.markTried(index);
        touch(peers[index], selection, now);
        return index;
      }
      if (++selection.hashTries > 20) {
        return RoundRobinStrategy.INSTANCE.pick(selection, now);
      }
    }
  }
}
