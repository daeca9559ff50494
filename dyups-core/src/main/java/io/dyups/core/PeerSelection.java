package io.dyups.core;

import static java.util.Objects.requireNonNull;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Objects;
import java.util.zip.CRC32;
import org.jspecify.annotations.Nullable;

/**
 * The picking of peers for one request, as nginx's per-request peer data: which peers were tried, where a hash
 * left off. {@link #start} it on the group the request found, call {@link #next()} for a peer, and report how
 * the request went with {@link #succeeded()} or {@link #failed()} before asking for the next one (a retry never
 * gets a peer this selection already tried). Each peer {@code next()} returns must be reported exactly once; with
 * what it answered, for its statistics, by {@link #succeeded(int, long, long, long, long)} or
 * {@link #failed(int, long, long, long, long)}.
 *
 * <pre>{@code
 * PeerSelection selection = new PeerSelection();   // reuse it: one per thread or connection
 * selection.start(upstream.peers(), clientAddress, null);
 * for (Peer peer = selection.next(); peer != null; peer = selection.next()) {
 *   if (send(peer)) { selection.succeeded(); return; }
 *   selection.failed();
 * }
 * // no peer left: answer 502
 * }</pre>
 *
 * <p>Not thread-safe: one request at a time. Reusable without allocating; a selection may move from thread to
 * thread between requests (it picks through the worker of the thread that starts it). Padded (64 bytes before its
 * fields and 64 after) to keep the fields it writes on every pick off the cache lines of objects beside it, such
 * as another thread's selection.
 */
public final class PeerSelection extends PeerSelectionFields {
  // The trailing pad; see Padded.
  byte q000, q001, q002, q003, q004, q005, q006, q007, q008, q009, q010, q011, q012, q013, q014, q015;
  byte q016, q017, q018, q019, q020, q021, q022, q023, q024, q025, q026, q027, q028, q029, q030, q031;
  byte q032, q033, q034, q035, q036, q037, q038, q039, q040, q041, q042, q043, q044, q045, q046, q047;
  byte q048, q049, q050, q051, q052, q053, q054, q055, q056, q057, q058, q059, q060, q061, q062, q063;

  /** A selection not yet started. */
  public PeerSelection() {}

  /**
   * Starts picking for a new request.
   *
   * @param client the client's address, which {@code ip_hash} hashes (null: hashed as nginx hashes a client
   *     that has no IP address)
   * @param hashKey the evaluated key of {@code hash KEY} (null or empty: round robin, as nginx); hashed as its
   *     UTF-8 bytes
   * @throws IllegalStateException when the last peer of the previous request was not reported
   */
  public PeerSelection start(PeerGroup group, @Nullable InetAddress client, @Nullable CharSequence hashKey) {
    prepare(group);
    CharSequence key = hashKey == null ? "" : hashKey;
    if (this.key != key) {
      this.key = key;
    }
    if (this.keyBytes != null) {
      this.keyBytes = null;
    }
    this.keyLength = key.length();
    group.strategy.start(this, client);
    return this;
  }

  /**
   * Starts picking for a new request whose {@code hash KEY} is given as bytes, {@code length} of them from
   * {@code offset}: as nginx hashes a variable's value, and faster than a String key, whose characters must be
   * encoded as they are hashed (the key's CRC-32 is then the JDK's, from the bytes). The UTF-8 bytes of a String
   * key pick the same peers as the String. The bytes are read during {@code start} and each {@link #next()}; they
   * must not change before the request is reported.
   *
   * @param client the client's address, which {@code ip_hash} hashes (null: hashed as nginx hashes a client
   *     that has no IP address)
   * @throws IllegalStateException when the last peer of the previous request was not reported
   * @throws IndexOutOfBoundsException when {@code offset} and {@code length} are not within {@code hashKey}
   */
  public PeerSelection start(PeerGroup group, @Nullable InetAddress client, byte[] hashKey, int offset,
      int length) {
    requireNonNull(hashKey, "hashKey");
    Objects.checkFromIndexSize(offset, length, hashKey.length);
    prepare(group);
    if (this.keyBytes != hashKey) {
      this.keyBytes = hashKey;
    }
    this.keyOffset = offset;
    this.keyLength = length;
    group.strategy.start(this, client);
    return this;
  }

  private void prepare(PeerGroup group) {
    if (current >= 0) {
      throw new IllegalStateException("the last peer (" + tier[current] + ") was not reported");
    }
    requireNonNull(group, "group");
    // Fields are written only when they change: under G1, storing a reference costs a barrier, and a selection is
    // usually reused for request after request on the same upstream.
    if (this.group != group) {
      this.group = group;
    }
    // The worker comes from the thread that picks, which need not be the one that made this selection (a proxy may
    // make every connection's selection on its accepting thread).
    Thread thread = Thread.currentThread();
    if (thread != probeThread) {
      probeThread = thread;
      probe = probeOf(thread.getId());
    }
    Worker worker = group.worker(probe & group.workerMask);
    if (this.worker != worker) {
      this.worker = worker;
    }
    if (this.tier != group.primaries) {
      this.tier = group.primaries;
    }
    if (this.counters != worker.primaries) {
      this.counters = worker.primaries;
    }
    clearTried();
    this.attempts = 0;
    this.hash = 0;
    this.rehash = 0;
    this.draws = 0;
  }

  /** The CRC-32 of the key: of its bytes, or of a String's UTF-8 encoding. */
  int keyHash() {
    if (keyBytes == null) {
      return Crc32.of(key);
    }
    if (bytesCrc == null) {
      bytesCrc = new CRC32();
    }
    bytesCrc.reset();
    bytesCrc.update(keyBytes, keyOffset, keyLength);
    return (int) bytesCrc.getValue();
  }

  /** {@code crc} (not finished) continued over the key. */
  int updateKey(int crc) {
    return keyBytes == null ? Crc32.update(crc, key) : Crc32.update(crc, keyBytes, keyOffset, keyLength);
  }

  /**
   * The next peer to send the request to, or {@code null} when none is left: every peer tried, or none able to
   * serve (down, out for failures, at {@code max_conns}) — where nginx answers 502.
   *
   * @throws IllegalStateException when not started, or when the last peer was not reported
   */
  @Nullable
  public Peer next() {
    if (group == null) {
      throw new IllegalStateException("not started");
    }
    if (current >= 0) {
      throw new IllegalStateException("the last peer (" + tier[current] + ") was not reported");
    }
    if (attempts >= group.tries) {
      return null;
    }
    Worker worker = this.worker;
    if (!worker.lock.tryLock()) {
      worker.lock.lock();
      // Another thread held this worker: move on, by a xorshift step as LongAdder does, so that two threads that
      // collide do not both step to the same next worker.
      probe ^= probe << 13;
      probe ^= probe >>> 17;
      probe ^= probe << 5;
    }
    Peer peer = null;
    try {
      int index = group.strategy.pick(this, PeerGroup.UNREAD);
      if (index >= 0) {
        counters[index].addConnection();
        peer = tier[index];
        current = index;
      }
    } finally {
      worker.lock.unlock();
    }
    if (peer != null) {
      attempts++;
    }
    return peer;
  }

  /**
   * The request on the last peer finished well; the peer's connection count goes down. Its statistics
   * ({@link Peer#statistics()}) count the request, and no response or bytes: an application that knows what the peer
   * answered reports it with {@link #succeeded(int, long, long, long, long)} instead.
   *
   * @throws IllegalStateException when no peer is waiting to be reported
   */
  public void succeeded() {
    release(false);
  }

  /**
   * The request on the last peer failed (could not connect, timed out): the failure counts towards
   * {@code max_fails} and the peer's connection count goes down. Its statistics count the request and the failure,
   * and no response or bytes (see {@link #failed(int, long, long, long, long)}).
   *
   * @throws IllegalStateException when no peer is waiting to be reported
   */
  public void failed() {
    release(true);
  }

  /**
   * The request on the last peer finished well, and this is what the peer answered, for its statistics
   * ({@link Peer#statistics()}, NGINX Plus's {@code responses}, {@code header_time}, {@code response_time},
   * {@code sent} and {@code received}); otherwise as {@link #succeeded()}. The figures are counted in the same
   * call, under the worker's lock the release takes anyway: allocates nothing and reads no clock.
   *
   * <pre>{@code
   * long picked = System.nanoTime();
   * // ... send the request (512 bytes), read the header (after headerAt) and the body (4096 bytes in all) ...
   * selection.succeeded(200, headerAt - picked, System.nanoTime() - picked, 512, 4096);
   * }</pre>
   *
   * @param status the response's status, 100 to 999; or 0 when the peer sent none (then the times are not read)
   * @param headerNanos nanoseconds from the pick to the response's header; negative when not known (the average
   *     {@code header_time} leaves the response out)
   * @param responseNanos nanoseconds from the pick to the end of the response; negative when not known
   * @param sent bytes sent to the peer for this request, as nginx's {@code $upstream_bytes_sent}
   * @param received bytes received from the peer, as nginx's {@code $upstream_bytes_received}
   * @throws IllegalStateException when no peer is waiting to be reported
   * @throws IllegalArgumentException when {@code status} is neither 0 nor in 100..999, or a byte count is negative;
   *     the peer is then still waiting to be reported
   */
  public void succeeded(int status, long headerNanos, long responseNanos, long sent, long received) {
    release(false, status, headerNanos, responseNanos, sent, received);
  }

  /**
   * The request on the last peer failed, and this is what the peer answered, if anything (a status that
   * {@code proxy_next_upstream} passes over, such as a 502; or 0 when it sent no response): the failure counts
   * towards {@code max_fails}, and the figures in the peer's statistics as with
   * {@link #succeeded(int, long, long, long, long)}, whose parameters these are.
   *
   * @throws IllegalStateException when no peer is waiting to be reported
   * @throws IllegalArgumentException when {@code status} is neither 0 nor in 100..999, or a byte count is negative;
   *     the peer is then still waiting to be reported
   */
  public void failed(int status, long headerNanos, long responseNanos, long sent, long received) {
    release(true, status, headerNanos, responseNanos, sent, received);
  }

  private void release(boolean failed) {
    int index = current;
    if (index < 0) {
      throw new IllegalStateException("no peer to report");
    }
    current = -1;
    group.release(counters[index], worker.lock, failed);
  }

  // The figures go from the arguments to the worker's under its lock: none wait in this selection, whose stores the
  // lock's compare-and-set would have to wait for, and none are cleared after.
  private void release(boolean failed, int status, long headerNanos, long responseNanos, long sent,
      long received) {
    int index = current;
    if (index < 0) {
      throw new IllegalStateException("no peer to report");
    }
    if (status != 0 && (status < 100 || status > 999)) {
      throw new IllegalArgumentException("status must be 0 (no response) or in 100..999: " + status);
    }
    if ((sent | received) < 0) {
      throw new IllegalArgumentException("byte counts must not be negative: " + sent + ", " + received);
    }
    current = -1;
    group.releaseReported(counters[index], worker.lock, failed, status, headerNanos, responseNanos, sent,
        received);
  }

  /**
   * Makes this selection pick through worker {@code probe} (modulo each group's number of workers) while the
   * calling thread starts it.
   */
  PeerSelection probe(int probe) {
    this.probe = probe;
    this.probeThread = Thread.currentThread();
    return this;
  }

  // The thread's id at first (never 0, which xorshift keeps): consecutive threads start on consecutive workers.
  private static int probeOf(long threadId) {
    return (int) threadId | 1 << 30;
  }

  /** True before the first peer of this request was picked: nothing is tried yet. */
  boolean firstTry() {
    return attempts == 0 && tier == group.primaries;
  }

  // Words for the tried peers past the first 64 of the group's largest tier, all clear; made once per size, when a
  // request first tries a second peer past the first 64.
  private void fitBeyond(PeerGroup group) {
    int words = (Math.max(group.primaries.length, group.backups.length) + 63) >>> 6;
    if (triedBeyond.length < words - 1 + 2 * ARRAY_PAD_LONGS) {
      triedBeyond = new long[words - 1 + 2 * ARRAY_PAD_LONGS];
    }
  }

  // Clears the peers tried so far: the first 64 at once, the rest one by one (a request tries few, and clearing
  // every word would cost a pick on an upstream of thousands of servers what a loop over them costs).
  private void clearTried() {
    tried = 0;
    firstBeyond = -1;
    if (triedCount != 0) {
      for (int t = 0; t < triedCount; t++) {
        triedBeyond[wordOf(triedIndex(t))] = 0;
      }
      triedCount = 0;
    }
  }

  boolean isTried(int index) {
    if (index < 64) {
      return (tried & (1L << index)) != 0;
    }
    return index == firstBeyond || (triedCount != 0 && (triedBeyond[wordOf(index)] & (1L << index)) != 0);
  }

  void markTried(int index) {
    if (index < 64) {
      tried |= 1L << index;
      return;
    }
    if (firstBeyond < 0) {
      // Most requests try one peer: it takes no array.
      firstBeyond = index;
      return;
    }
    fitBeyond(group);
    triedBeyond[wordOf(index)] |= 1L << index;
    if (ARRAY_PAD_INTS + triedCount == triedIndices.length - ARRAY_PAD_INTS) {
      triedIndices = java.util.Arrays.copyOf(triedIndices, 2 * triedIndices.length);
    }
    triedIndices[ARRAY_PAD_INTS + triedCount++] = index;
  }

  // The word of triedBeyond that holds peer index (64 or more).
  private static int wordOf(int index) {
    return (index >>> 6) - 1 + ARRAY_PAD_LONGS;
  }

  /** The {@code t}-th peer tried beyond the first 64 of the tier after {@link #firstBeyond}, {@code t < triedCount}. */
  int triedIndex(int t) {
    return triedIndices[ARRAY_PAD_INTS + t];
  }

  void switchToBackups() {
    tier = group.backups;
    counters = worker.backups;
    clearTried();
  }

  /**
   * Keeps the bytes ip_hash reads: three octets of IPv4, sixteen of IPv6, three zeros for anything else. In two
   * fields rather than an array of their own, which could lie beside another thread's selection.
   */
  void loadClientAddress(@Nullable InetAddress client) {
    addressLow = 0;
    addressHigh = 0;
    if (client == null) {
      addressLength = 3;
      return;
    }
    byte[] bytes = client.getAddress();
    addressLength = client instanceof Inet4Address ? 3 : 16;
    for (int i = 0; i < addressLength; i++) {
      long octet = (bytes[i] & 0xFFL) << (8 * (i & 7));
      if (i < 8) {
        addressLow |= octet;
      } else {
        addressHigh |= octet;
      }
    }
  }

  /** Byte {@code i} of the client's address as ip_hash reads it. */
  int addressByte(int i) {
    return (int) ((i < 8 ? addressLow : addressHigh) >>> (8 * (i & 7))) & 0xFF;
  }
}

/** The fields of {@link PeerSelection}, after the padding. */
abstract class PeerSelectionFields extends Padded {
  // Set by start(), before next(), succeeded() or failed() may read them.
  @SuppressWarnings("NullAway.Init")
  PeerGroup group;
  // The group's worker this selection picks through, and the counters of the tier it is in.
  @SuppressWarnings("NullAway.Init")
  Worker worker;
  @SuppressWarnings("NullAway.Init")
  WorkerPeerCounters[] counters;
  @SuppressWarnings("NullAway.Init")
  Peer[] tier;
  // Peers tried in the current tier: the first 64 in a word of their own, so that a request on an upstream of
  // up to 64 servers clears one field; the first of the rest in firstBeyond (-1: none), and the others in words that
  // grow with the largest tier seen.
  long tried;
  int firstBeyond = -1;
  // Both arrays are written by each retry on a large tier: padded (Padded.ARRAY_PAD_LONGS, ARRAY_PAD_INTS).
  long[] triedBeyond = new long[0];
  // The peers tried in the current tier from the 65th on after firstBeyond, in the order they were: triedCount.
  int[] triedIndices = new int[4 + 2 * ARRAY_PAD_INTS];
  int triedCount;
  int attempts;
  // The index in tier of the peer picked and not yet reported, or -1: an int, so that picking stores no reference.
  int current = -1;
  // Which worker to use, as a thread's probe in LongAdder: set from the id of the thread that starts the selection
  // (probeThread, compared by reference: one load, where the id would be two), moved on when the worker's lock was
  // found taken, so that threads that collide spread out.
  int probe;
  @Nullable Thread probeThread;

  // Where a hash method left off for this request.
  long hash;
  int rehash;
  // Draws made by hash, ip_hash, consistent hash and random in this request; the first primary random two drew
  // in this pick, or -1.
  int draws;
  int previousDraw;
  CharSequence key = "";
  // A key given as bytes instead (then key is not read), and the JDK's CRC-32 to hash it, made on first use.
  byte @Nullable [] keyBytes;
  int keyOffset;
  int keyLength;
  @Nullable CRC32 bytesCrc;
  int keyCrc;
  long addressLow;
  long addressHigh;
  int addressLength;
}
