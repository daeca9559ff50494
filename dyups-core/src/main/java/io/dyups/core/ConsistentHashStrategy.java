package io.dyups.core;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * {@code hash KEY consistent}, as ngx_http_upstream_hash_module (compatible with Cache::Memcached::Fast): a ring
 * of 160 points per unit of weight for each server, each point the CRC-32 of "HOST\0PORT" and the point before
 * it; a key goes to the first point at or after its CRC-32, and on to the next point while that server cannot
 * serve (ngx_http_upstream_get_chash_peer).
 */
final class ConsistentHashStrategy extends Strategy.Drawing {
  // The ring: each point's hash above its server's id (SERVER_BITS), in the order of the hashes. One array, so
  // that finding a key's point and its server reads one or two cache lines.
  private final long[] points;
  // The index of the first point at or after the start of each of 2^bucketBits equal slices of the ring, so that a
  // key's point is found among the few points of its slice instead of by a search of the whole ring. About four
  // points a slice keeps this table a quarter of the ring's size.
  private final int[] buckets;
  private final int bucketShift;
  private final int[] serverIds;
  // The primary of each server id when no two primaries share a name, else null.
  private final int @Nullable [] onlyPeer;

  ConsistentHashStrategy(PeerGroup group) {
    Peer[] peers = group.primaries;
    serverIds = new int[peers.length];
    Map<String, Integer> ids = new HashMap<>();
    int pointCount = 0;
    for (int i = 0; i < peers.length; i++) {
      serverIds[i] = ids.computeIfAbsent(peers[i].hashName(), name -> ids.size());
      pointCount += peers[i].weight * POINTS_PER_WEIGHT;
    }
    long[] hashes = new long[pointCount];
    int n = 0;
    for (int i = 0; i < peers.length; i++) {
      int base = baseHash(peers[i].hashName());
      int previous = 0;
      for (int j = 0; j < peers[i].weight * POINTS_PER_WEIGHT; j++) {
        int crc = base;
        // The previous point's hash, in the little-endian byte order nginx reads it in on x86.
        crc = Crc32.update(crc, previous & 0xFF);
        crc = Crc32.update(crc, (previous >>> 8) & 0xFF);
        crc = Crc32.update(crc, (previous >>> 16) & 0xFF);
        crc = Crc32.update(crc, (previous >>> 24) & 0xFF);
        int hash = Crc32.finish(crc);
        // Sort by hash, then by server so that equal hashes keep a fixed order.
        hashes[n] = ((hash & 0xFFFFFFFFL) << SERVER_BITS) | serverIds[i];
        n++;
        previous = hash;
      }
    }
    Arrays.sort(hashes);
    long[] unique = new long[n];
    int u = 0;
    for (int i = 0; i < n; i++) {
      if (u > 0 && unique[u - 1] >>> SERVER_BITS == hashes[i] >>> SERVER_BITS) {
        continue;
      }
      unique[u++] = hashes[i];
    }
    onlyPeer = ids.size() == peers.length ? serverIds.clone() : null;
    points = Arrays.copyOf(unique, u);
    int bucketBits = Math.max(1, Math.min(16, 29 - Integer.numberOfLeadingZeros(Math.max(1, u))));
    bucketShift = 32 - bucketBits;
    buckets = new int[(1 << bucketBits) + 1];
    int point = 0;
    for (int b = 0; b < buckets.length; b++) {
      long start = (long) b << bucketShift;
      while (point < u && points[point] >>> SERVER_BITS < start) {
        point++;
      }
      buckets[b] = point;
    }
  }

  private static final int SERVER_BITS = 20;
  // Points on the ring for each unit of a server's weight (ngx_http_upstream_init_chash).
  private static final int POINTS_PER_WEIGHT = 160;

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
  void start(PeerSelection selection, @Nullable InetAddress client) {
    long hash = selection.keyHash() & 0xFFFFFFFFL;
    // The first point at or after the key's hash; past the last point wraps to the first.
    int bucket = (int) (hash >>> bucketShift);
    int low = buckets[bucket];
    int high = buckets[bucket + 1];
    while (low < high) {
      int mid = (low + high) >>> 1;
      if (points[mid] >>> SERVER_BITS < hash) {
        low = mid + 1;
      } else {
        high = mid;
      }
    }
    selection.hash = low;
  }

  @Override
  boolean draws(PeerSelection selection) {
    return selection.keyLength != 0;
  }

  @Override
  int draw(PeerSelection selection, WorkerPeerCounters[] peers, long now) {
    int point = (int) selection.hash;
    while (point >= points.length) {
      point -= points.length;
    }
    int server = (int) (points[point] & ((1 << SERVER_BITS) - 1));
    Worker worker = selection.worker;
    int index = onlyPeer != null ? worker.roundRobinAmongOne(peers, selection, now, onlyPeer[server])
        : worker.roundRobinAmongServer(peers, selection, now, serverIds, server);
    if (index >= 0) {
      selection.markTried(index);
      return index;
    }
    selection.hash++;
    return -1;
  }
}
