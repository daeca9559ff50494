package io.dyups.core;

import java.net.InetAddress;
import org.jspecify.annotations.Nullable;

/**
 * {@code hash KEY}, as ngx_http_upstream_get_hash_peer (compatible with Cache::Memcached): the key's CRC-32,
 * prefixed by the retry number from the second draw on, picks a primary by weight; with an empty key, round
 * robin.
 */
final class HashStrategy extends Strategy.Drawing {
  // Each draw adds (crc32([REHASH] KEY) >> 16) & 0x7fff to the hash so far (ngx_http_upstream_get_hash_peer).
  private static final int CRC_SHIFT = 16;
  private static final int CRC_MASK = 0x7FFF;

  @Override
  void start(PeerSelection selection, @Nullable InetAddress client) {
    // The first draw's CRC-32 is made before the lock is taken.
    selection.keyCrc = selection.keyLength == 0 ? 0 : selection.keyHash();
  }

  @Override
  boolean draws(PeerSelection selection) {
    return selection.keyLength != 0;
  }

  @Override
  int draw(PeerSelection selection, WorkerPeerCounters[] peers, long now) {
    int crc = selection.rehash == 0 ? selection.keyCrc
        : Crc32.finish(selection.updateKey(updateDecimal(Crc32.INIT, selection.rehash)));
    // A sum of at most 21 values below 2^15: never negative, and an int.
    selection.hash += (crc >>> CRC_SHIFT) & CRC_MASK;
    selection.rehash++;
    PeerGroup group = selection.group;
    int index = byWeight(group, group.weightUnit((int) selection.hash));
    return eligible(peers[index], index, selection, now) ? take(selection, peers, index, now) : -1;
  }

  // The retry number as decimal digits, without building a String.
  private static int updateDecimal(int crc, int value) {
    int divisor = 1;
    while (value / divisor >= 10) {
      divisor *= 10;
    }
    for (; divisor > 0; divisor /= 10) {
      crc = Crc32.update(crc, '0' + (value / divisor) % 10);
    }
    return crc;
  }
}
