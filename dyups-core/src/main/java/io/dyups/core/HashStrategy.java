package io.dyups.core;

/**
 * {@code hash KEY}, as ngx_http_upstream_hash_module (compatible with Cache::Memcached): the key's CRC-32,
 * prefixed by the retry number from the second try on, picks a primary by weight; after 20 tries, or with an
 * empty key, round robin.
 */
final class HashStrategy extends Strategy {
  @Override
  Peer pick(PeerSelection selection, long now) {
    PeerGroup group = selection.group;
    if (selection.hashTries > 20 || group.primaries.length < 2 || selection.key.length() == 0) {
      return RoundRobinStrategy.INSTANCE.pick(selection, now);
    }
    Peer[] peers = group.primaries;
    for (;;) {
      int crc = Crc32.INIT;
      if (selection.rehash > 0) {
        crc = updateDecimal(crc, selection.rehash);
      }
      crc = Crc32.finish(Crc32.update(crc, selection.key));
      selection.hash += (crc >>> 16) & 0x7FFF;
      selection.rehash++;
      int index = IpHashStrategy.byWeight(peers, Long.remainderUnsigned(selection.hash, group.totalWeight));
      if (eligible(peers[index], index, selection, now)) {
        selection.markTried(index);
        touch(peers[index], now);
        return peers[index];
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
