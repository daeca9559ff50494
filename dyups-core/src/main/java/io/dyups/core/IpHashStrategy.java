package io.dyups.core;

import java.net.InetAddress;
import org.jspecify.annotations.Nullable;

/**
 * {@code ip_hash}, as ngx_http_upstream_ip_hash_module: the first three octets of an IPv4 client (all sixteen of
 * IPv6) hashed with nginx's constants pick a primary by weight; a peer that cannot serve moves the hash on.
 */
final class IpHashStrategy extends Strategy.Drawing {
  // The hash of a request starts at 89 (ngx_http_upstream_init_ip_hash_peer) and takes each octet in as
  // hash = (hash * 113 + octet) % 6271 (ngx_http_upstream_get_ip_hash_peer).
  private static final int START = 89;
  private static final int MULTIPLIER = 113;
  private static final int MODULUS = 6271;
  // MULTIPLIER^3 and MULTIPLIER^2, modulo MODULUS: three steps in one.
  private static final int MULTIPLIER_3 = MULTIPLIER * MULTIPLIER * MULTIPLIER % MODULUS;
  private static final int MULTIPLIER_2 = MULTIPLIER * MULTIPLIER % MODULUS;

  @Override
  void start(PeerSelection selection, @Nullable InetAddress client) {
    selection.hash = START;
    selection.loadClientAddress(client);
  }

  @Override
  int draw(PeerSelection selection, WorkerPeerCounters[] peers, long now) {
    // Below MODULUS, so hash * MULTIPLIER + 255 stays an int.
    int hash = (int) selection.hash;
    if (selection.addressLength == 3) {
      // nginx's three steps with one remainder instead of three: the remainder of a sum is the remainder of the
      // sum of remainders.
      hash = (hash * MULTIPLIER_3 + selection.addressByte(0) * MULTIPLIER_2 + selection.addressByte(1) * MULTIPLIER
          + selection.addressByte(2)) % MODULUS;
    } else {
      for (int i = 0; i < selection.addressLength; i++) {
        hash = (hash * MULTIPLIER + selection.addressByte(i)) % MODULUS;
      }
    }
    selection.hash = hash;
    PeerGroup group = selection.group;
    int index = byWeight(group, group.weightUnit(hash));
    return eligible(peers[index], index, selection, now) ? take(selection, peers, index, now) : -1;
  }
}
