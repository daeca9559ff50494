package io.dyups.core;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * {@code hash KEY consistent}, as ngx_http_upstream_hash_module (compatible with Cache::Memcached::Fast): a ring
 * of 160 points per unit of weight for each server, each point the CRC-32 of "HOST\0PORT" and the point before
 * it; a key goes to the first point at or after its CRC-32, and on to the next point while that server cannot
 * serve; after 20 tries, round robin.
 */
final class ConsistentHashStrategy extends Strategy {
  private final long[] pointHashes;
  private final int[] pointServers;
  private final int[] serverIds;

  ConsistentHashStrategy(PeerGroup group) {
    Peer[] peers = group.primaries;
    serverIds = new int[peers.length];
    Map<String, Integer> ids = new HashMap<>();
    int points = 0;
    for (int i = 0; i < peers.length; i++) {
      serverIds[i] = ids.computeIfAbsent(peers[i].hashName, name -> ids.size());
      points += peers[i].weight * 160;
    }
    long[] hashes = new long[points];
    int n = 0;
    for (int i = 0; i < peers.length; i++) {
      int base = baseHash(peers[i].hashName);
      int previous = 0;
      for (int j = 0; j < peers[i].weight * 160; j++) {
        int crc = base;
        // The previous point's hash, in the little-endian byte order nginx reads it in on x86.
        crc = Crc32.update(crc, previous & 0xFF);
        crc = Crc32.update(crc, (previous >>> 8) & 0xFF);
        crc = Crc32.update(crc, (previous >>> 16) & 0xFF);
        crc = Crc32.update(crc, (previous >>> 24) & 0xFF);
        int hash = Crc32.finish(crc);
        // Sort by hash, then by server so that equal hashes keep a fixed order.
        hashes[n] = ((hash & 0xFFFFFFFFL) << 20) | serverIds[i];
        n++;
        previous = hash;
      }
    }
    Arrays.sort(hashes);
    long[] unique = new long[n];
    int[] uniqueServers = new int[n];
    int u = 0;
    for (int i = 0; i < n; i++) {
      long hash = hashes[i] >>> 20;
      if (u > 0 && unique[u - 1] == hash) {
        continue;
      }
      unique[u] = hash;
      uniqueServers[u] = (int) (hashes[i] & 0xFFFFF);
      u++;
    }
    pointHashes = Arrays.copyOf(unique, u);
    pointServers = Arrays.copyOf(uniqueServers, u);
  }

  /** CRC-32 (not finished) of "HOST\0PORT", splitting the server's name as written where nginx does. */
  private static int baseHash(String server) {
    String host;
    String port;
    if (server.regionMatches(true, 0, "unix:", 0, 5)) {
      host = server.substring(5);
      port = "";
    } else {
      int split = server.length();
      int j = server.length() - 1;
      while (j >= 0 && server.charAt(j) >= '0' && server.charAt(j) <= '9') {
        j--;
      }
      if (j >= 0 && server.charAt(j) == ':') {
        split = j;
      }
      host = server.substring(0, split);
      port = split < server.length() ? server.substring(split + 1) : "";
    }
    int crc = Crc32.INIT;
    for (byte b : host.getBytes(StandardCharsets.UTF_8)) {
      crc = Crc32.update(crc, b);
    }
    crc = Crc32.update(crc, 0);
    for (byte b : port.getBytes(StandardCharsets.UTF_8)) {
      crc = Crc32.update(crc, b);
    }
    return crc;
  }

  @Override
  void start(PeerSelection selection) {
    long hash = Crc32.of(selection.key) & 0xFFFFFFFFL;
    // The first point at or after the key's hash; past the last point wraps to the first.
    int low = 0;
    int high = pointHashes.length;
    while (low < high) {
      int mid = (low + high) >>> 1;
      if (pointHashes[mid] < hash) {
        low = mid + 1;
      } else {
        high = mid;
      }
    }
    selection.hash = low;
  }

  @Override
  Peer pick(PeerSelection selection, long now) {
    PeerGroup group = selection.group;
    if (selection.hashTries > 20 || group.primaries.length < 2 || selection.key.length() == 0) {
      return RoundRobinStrategy.INSTANCE.pick(selection, now);
    }
    for (;;) {
      int server = pointServers[(int) (selection.hash % pointServers.length)];
      int index = smooth(group.primaries, selection, now, serverIds, server);
      if (index >= 0) {
        selection.markTried(index);
        return group.primaries[index];
      }
      selection.hash++;
      if (++selection.hashTries > 20) {
        return RoundRobinStrategy.INSTANCE.pick(selection, now);
      }
    }
  }
}
