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
  // The index of the first point at or after the start of each of 2^sliceBits equal slices of the hash space (and
  // the ring's length at the end), so that a key's point is found by a jump to its slice and a scan of the few
  // points there, instead of nginx's binary search over the whole ring (ngx_http_upstream_find_chash_point): at
  // 10 000 servers the ring holds millions of points, far beyond the caches, and each step of that search is a
  // miss. 4 to 8 points a slice (one or two cache lines of the ring) keep this table an eighth to a sixteenth of
  // the ring's bytes.
  private final int[] slices;
  private final int sliceShift;
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
    // floor(log2(points)) - 2 bits, so that points ÷ 2^bits is 4 to 8 (more from 2^25 points on, past
    // MAX_SLICE_BITS).
    int sliceBits = Math.max(1, Math.min(MAX_SLICE_BITS, 29 - Integer.numberOfLeadingZeros(Math.max(1, u))));
    sliceShift = 32 - sliceBits;
    slices = new int[(1 << sliceBits) + 1];
    int point = 0;
    for (int slice = 0; slice < slices.length; slice++) {
      long start = (long) slice << sliceShift;
      while (point < u && points[point] >>> SERVER_BITS < start) {
        point++;
      }
      slices[slice] = point;
    }
  }

  private static final int SERVER_BITS = 20;
  // Points on the ring for each unit of a server's weight (ngx_http_upstream_init_chash).
  private static final int POINTS_PER_WEIGHT = 160;
  // At most 2^22 slices (a 16 MB table), reached from 2^24 points on (about 35 000 servers of weight 3).
  private static final int MAX_SLICE_BITS = 22;
  // A slice of more points than this (a ring beyond MAX_SLICE_BITS' reach, or points that happen to crowd into
  // one slice) is narrowed by halving first, so no lookup scans more than this many.
  private static final int SCAN = 8;

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
    selection.hash = firstPointAtOrAfter(selection.keyHash() & 0xFFFFFFFFL);
  }

  /**
   * The index of the first point whose hash is at or after {@code hash} (0 to 2^32 - 1), or the ring's length when
   * every point is before it (the caller wraps to the first): what ngx_http_upstream_find_chash_point finds by a
   * binary search over the whole ring, whose hashes are distinct as here.
   */
  int firstPointAtOrAfter(long hash) {
    int slice = (int) (hash >>> sliceShift);
    // Every point before low is before hash; the point at high, if any, is at or after it (high starts at the
    // next slice's first point, whose hash is at least that slice's start, which is after hash).
    int low = slices[slice];
    int high = slices[slice + 1];
    while (high - low > SCAN) {
      int mid = (low + high) >>> 1;
      if (points[mid] >>> SERVER_BITS < hash) {
        low = mid + 1;
      } else {
        high = mid;
      }
    }
    while (low < high && points[low] >>> SERVER_BITS < hash) {
      low++;
    }
    return low;
  }

  /** The number of points on the ring (for tests). */
  int pointCount() {
    return points.length;
  }

  /** The hash of point {@code index}, 0 to 2^32 - 1 (for tests). */
  long pointHash(int index) {
    return points[index] >>> SERVER_BITS;
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
