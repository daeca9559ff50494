package io.dyups.core;

import static java.util.Objects.requireNonNull;

import java.net.Inet4Address;
import java.net.InetAddress;
import javax.annotation.CheckForNull;

/**
 * The picking of peers for one request, as nginx's per-request peer data: which peers were tried, where a hash
 * left off. {@link #start} it on the group the request found, call {@link #next()} for a peer, and report how
 * the request went with {@link #succeeded()} or {@link #failed()} before asking for the next one (a retry never
 * gets a peer this selection already tried). Each peer {@code next()} returns must be reported exactly once.
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
 * <p>Not thread-safe: one request at a time. Reusable without allocating.
 */
public final class PeerSelection {
  PeerGroup group;
  Peer[] tier;
  private long[] tried = new long[1];
  private int attempts;
  @CheckForNull private Peer current;

  // Where a hash method left off for this request.
  long hash;
  int rehash;
  int hashTries;
  CharSequence key = "";
  @CheckForNull private InetAddress client;
  final byte[] address = new byte[16];
  int addressLength;

  /** A selection not yet started. */
  public PeerSelection() {}

  /**
   * Starts picking for a new request.
   *
   * @param client the client's address, which {@code ip_hash} hashes (null: hashed as nginx hashes a client
   *     that has no IP address)
   * @param hashKey the evaluated key of {@code hash KEY} (null or empty: round robin, as nginx)
   * @throws IllegalStateException when the last peer of the previous request was not reported
   */
  public PeerSelection start(PeerGroup group, @CheckForNull InetAddress client, @CheckForNull CharSequence hashKey) {
    if (current != null) {
      throw new IllegalStateException("the last peer (" + current + ") was not reported");
    }
    this.group = requireNonNull(group, "group");
    this.tier = group.primaries;
    int words = (Math.max(group.primaries.length, group.backups.length) + 63) >>> 6;
    if (tried.length < words) {
      tried = new long[words];
    } else {
      java.util.Arrays.fill(tried, 0, words, 0L);
    }
    this.attempts = 0;
    this.hash = 0;
    this.rehash = 0;
    this.hashTries = 0;
    this.key = hashKey == null ? "" : hashKey;
    this.client = client;
    group.strategy.start(this);
    return this;
  }

  /**
   * The next peer to send the request to, or {@code null} when none is left: every peer tried, or none able to
   * serve (down, out for failures, at {@code max_conns}) — where nginx answers 502.
   *
   * @throws IllegalStateException when not started, or when the last peer was not reported
   */
  @CheckForNull
  public Peer next() {
    if (group == null) {
      throw new IllegalStateException("not started");
    }
    if (current != null) {
      throw new IllegalStateException("the last peer (" + current + ") was not reported");
    }
    if (attempts >= group.tries) {
      return null;
    }
    Peer peer;
    group.lock.lock();
    try {
      peer = group.strategy.pick(this, PeerGroup.UNREAD);
      if (peer != null) {
        peer.state.conns++;
      }
    } finally {
      group.lock.unlock();
    }
    if (peer != null) {
      attempts++;
      current = peer;
    }
    return peer;
  }

  /** The request on the last peer finished well; the peer's connection count goes down. */
  public void succeeded() {
    release(false);
  }

  /**
   * The request on the last peer failed (could not connect, timed out): the failure counts towards
   * {@code max_fails} and the peer's connection count goes down.
   */
  public void failed() {
    release(true);
  }

  private void release(boolean failed) {
    Peer peer = current;
    if (peer == null) {
      throw new IllegalStateException("no peer to report");
    }
    current = null;
    peer.group.release(peer, failed);
  }

  boolean isTried(int index) {
    return (tried[index >>> 6] & (1L << index)) != 0;
  }

  void markTried(int index) {
    tried[index >>> 6] |= 1L << index;
  }

  void switchToBackups() {
    tier = group.backups;
    java.util.Arrays.fill(tried, 0L);
  }

  /** The bytes ip_hash reads: three octets of IPv4, sixteen of IPv6, three zeros for anything else. */
  void loadClientAddress() {
    if (client instanceof Inet4Address) {
      byte[] bytes = client.getAddress();
      System.arraycopy(bytes, 0, address, 0, 3);
      addressLength = 3;
    } else if (client != null) {
      byte[] bytes = client.getAddress();
      System.arraycopy(bytes, 0, address, 0, 16);
      addressLength = 16;
    } else {
      address[0] = 0;
      address[1] = 0;
      address[2] = 0;
      addressLength = 3;
    }
  }
}
