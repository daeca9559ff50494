package io.dyups.core;

import java.net.InetAddress;
import org.jspecify.annotations.Nullable;

/**
 * {@code hash KEY}, as ngx_http_upstream_hash_module (compatible with Cache::Memcached): the key's CRC-32,
 * prefixed by the retry number from the second try on, picks a primary by weight; after 20 tries, or with an
 * empty key, round robin.
 */
final class HashStrategy extends Strategy {
  @Override
  void start(PeerSelection selection, @Nullable InetAddress client) {
    // The first try's CRC-32 is made before the lock is taken.
    selection.keyCrc = selection.keyLength == 0 ? 0 : selection.keyHash();
  }

  @Override
  int pick(PeerSelection selection, long now) {
    PeerGroup group = selection.group;
    if (selection.hashTries > 20 || group.primaries.length < 2 || selection.keyLength == 0) {
      return RoundRobinStrategy.INSTANCE.pick(selection, now);
    }
    PeerCounters[] peers = selection.worker.primaries;
    for (;;) {
      int crc = selection.rehash == 0 ? selection.keyCrc
          : Crc32.finish(selection.updateKey(updateDecimal(Crc32.INIT, selection.rehash)));
      // A sum of at most 21 values below 2^15: never negative, and an int.
      selection.hash += (crc >>> 16) & 0x7FFF;
      selection.rehash++;
      int index = byWeight(group, group.weightUnit((int) selection.hash));
      if (eligible(peers[index], index, selection, now)) {
        selection.markTried(index);
        touch(peers[index], selection, now);
        return index;
      }
      if (++selection.hashTries > 20) {
        return RoundRobinStrategy.INSTANCE.pick(selection, now);
      }
    }
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
