package io.dyups.parser;

import java.time.Duration;
import java.util.AbstractList;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.RandomAccess;
import org.jspecify.annotations.Nullable;

/**
 * An upstream's servers held as two {@code long}s each instead of a record, an address, a host string and its
 * bytes: the common server line (an IPv4 address written the way it is printed, with numeric parameters and flags
 * only) in 16 bytes instead of about 120. A registry loaded from a file of 100 000 upstreams keeps 400 000 servers
 * for as long as it runs, and each object it keeps is copied by every young collection while the load runs, so
 * keeping four objects fewer per server is what makes a large start fast (issue 21).
 *
 * <p>{@link #of} packs a list only when every server fits; anything else (a host name, IPv6, a unix socket,
 * {@code resolve}, {@code route=}, {@code service=}, {@code slow_start=}, values beyond the fields) keeps the
 * records as they are. A file's reading adds the common line to a {@link Builder} as it comes, without making its
 * record at all. {@link #get} makes the record again, equal to the one packed; the list is immutable, and equal to
 * any list of the same records.
 */
final class PackedServers extends AbstractList<ServerSpec> implements RandomAccess {
  // First long of a server: the IPv4 address (32 bits), the port (16), the weight (16).
  // Second long: fail_timeout in milliseconds (32 bits), max_conns (16), max_fails (13), drain, down, backup.
  private static final int BACKUP = 1;
  private static final int DOWN = 1 << 1;
  private static final int DRAIN = 1 << 2;
  private static final int MAX_FAILS_SHIFT = 3;
  private static final int MAX_FAILS_LIMIT = (1 << 13) - 1;
  private static final int MAX_CONNS_SHIFT = 16;
  private static final int FIELD16_LIMIT = 0xFFFF;

  private final long[] words;

  private PackedServers(long[] words) {
    this.words = words;
  }

  /** {@code servers} as an immutable list: packed when every server fits, otherwise {@link List#copyOf}. */
  static List<ServerSpec> of(List<ServerSpec> servers) {
    if (servers instanceof PackedServers) {
      return servers;
    }
    int count = servers.size();
    if (count == 0) {
      return List.of();
    }
    long[] words = new long[2 * count];
    for (int i = 0; i < count; i++) {
      ServerSpec server = servers.get(i);
      if (!pack(server, words, 2 * i)) {
        return List.copyOf(servers);
      }
    }
    return new PackedServers(words);
  }

  /** True when {@code servers} holds no server written with a host name, without making any record. */
  static boolean hasNoHostNames(List<ServerSpec> servers) {
    return servers instanceof PackedServers;
  }

  private static boolean pack(ServerSpec server, long[] words, int at) {
    Address address = server.address();
    if (address.kind() != Address.Kind.IPV4 || server.resolve() || server.route() != null
        || server.service() != null || !server.slowStart().isZero()) {
      return false;
    }
    String host = address.host();
    return pack(ipv4(host, 0, host.length()), address.port(), server.weight(), server.maxFails(),
        server.failTimeout(), server.maxConns(), server.backup(), server.down(), server.drain(), words, at);
  }

  /**
   * Writes one server's two words at {@code words[at]}; false, writing nothing, when a value does not fit (an
   * {@code ip} of -1 is an address not written as {@link #ipv4} reads it).
   */
  private static boolean pack(long ip, int port, int weight, int maxFails, Duration failTimeout, int maxConns,
      boolean backup, boolean down, boolean drain, long[] words, int at) {
    long failTimeoutMillis = millis(failTimeout);
    if (ip < 0 || failTimeoutMillis < 0 || weight > FIELD16_LIMIT || maxConns > FIELD16_LIMIT
        || maxFails > MAX_FAILS_LIMIT) {
      return false;
    }
    words[at] = ip << 32 | (long) port << 16 | weight;
    int flags = (backup ? BACKUP : 0) | (down ? DOWN : 0) | (drain ? DRAIN : 0);
    words[at + 1] = failTimeoutMillis << 32 | (long) maxConns << MAX_CONNS_SHIFT
        | (long) maxFails << MAX_FAILS_SHIFT | flags;
    return true;
  }

  /**
   * The address {@code text[from, to)} written as dotted decimal without leading zeros (as {@link #dottedQuad}
   * prints it), as an unsigned 32-bit value; -1 for any other spelling, which must be kept as written.
   */
  static long ipv4(String text, int from, int to) {
    long value = 0;
    int octets = 0;
    int i = from;
    while (i < to) {
      int start = i;
      int octet = 0;
      while (i < to && text.charAt(i) >= '0' && text.charAt(i) <= '9') {
        octet = octet * 10 + text.charAt(i) - '0';
        i++;
        if (octet > 255) {
          return -1;
        }
      }
      int digits = i - start;
      if (digits == 0 || (digits > 1 && text.charAt(start) == '0')) {
        return -1;
      }
      value = value << 8 | octet;
      octets++;
      if (i < to) {
        if (text.charAt(i) != '.' || i == to - 1) {
          return -1;
        }
        i++;
      }
    }
    return octets == 4 ? value : -1;
  }

  /** A duration of whole milliseconds that fits 32 bits, in milliseconds; -1 otherwise. */
  private static long millis(Duration duration) {
    if (duration.getNano() % 1_000_000 != 0 || duration.compareTo(MAX_PACKED_DURATION) > 0) {
      return -1;
    }
    return duration.toMillis();
  }

  private static final Duration MAX_PACKED_DURATION = Duration.ofMillis(0xFFFF_FFFFL);

  private static String dottedQuad(long ip) {
    return new StringBuilder(15)
        .append(ip >>> 24 & 0xFF).append('.')
        .append(ip >>> 16 & 0xFF).append('.')
        .append(ip >>> 8 & 0xFF).append('.')
        .append(ip & 0xFF)
        .toString();
  }

  /**
   * The servers of an upstream being read, in order: packed as they come while each fits, and every one a record
   * from the first that does not. Not thread-safe.
   */
  static final class Builder {
    private long[] words = new long[8];
    private int packed;
    // Once a server does not fit: every server so far as a record, and each one after.
    private @Nullable List<ServerSpec> records;
    private int backups;
    private int resolvingAtRunTime;

    /** Adds {@code server}. */
    void add(ServerSpec server) {
      backups += server.backup() ? 1 : 0;
      resolvingAtRunTime += server.resolvesAtRunTime() ? 1 : 0;
      if (records == null) {
        grow();
        if (pack(server, words, 2 * packed)) {
          packed++;
          return;
        }
        records = new ArrayList<>(asList());
      }
      records.add(server);
    }

    /**
     * Adds the server at the IPv4 address {@code ip} (as {@link #ipv4} reads it) and {@code port}, with these
     * parameters and no other, without making its record; false, adding nothing, when it does not fit (the caller
     * adds the record instead).
     */
    boolean addIpv4(long ip, int port, int weight, int maxFails, Duration failTimeout, int maxConns,
        boolean backup, boolean down, boolean drain) {
      if (records != null) {
        return false;
      }
      grow();
      if (!pack(ip, port, weight, maxFails, failTimeout, maxConns, backup, down, drain, words, 2 * packed)) {
        return false;
      }
      packed++;
      backups += backup ? 1 : 0;
      return true;
    }

    private void grow() {
      if (2 * packed == words.length) {
        words = Arrays.copyOf(words, 2 * words.length);
      }
    }

    int size() {
      return records != null ? records.size() : packed;
    }

    /** The servers added with {@code backup}. */
    int backups() {
      return backups;
    }

    /** The servers added that are host names with {@code resolve} ({@link ServerSpec#resolvesAtRunTime()}). */
    int resolvingAtRunTime() {
      return resolvingAtRunTime;
    }

    /** The servers added, immutable: packed when every one fit. */
    List<ServerSpec> build() {
      return records != null ? List.copyOf(records) : asList();
    }

    private List<ServerSpec> asList() {
      // An upstream of four servers, the array's first size, keeps the array as it is.
      return packed == 0 ? List.of()
          : new PackedServers(2 * packed == words.length ? words : Arrays.copyOf(words, 2 * packed));
    }
  }

  @Override
  public ServerSpec get(int index) {
    if (index < 0 || 2 * index >= words.length) {
      throw new IndexOutOfBoundsException("index " + index + " of " + size() + " servers");
    }
    long first = words[2 * index];
    long second = words[2 * index + 1];
    Address address = new Address(Address.Kind.IPV4, dottedQuad(first >>> 32), (int) (first >>> 16 & 0xFFFF));
    long failTimeoutMillis = second >>> 32;
    Duration failTimeout = failTimeoutMillis == ServerSpec.DEFAULT_FAIL_TIMEOUT.toMillis()
        ? ServerSpec.DEFAULT_FAIL_TIMEOUT
        : Duration.ofMillis(failTimeoutMillis);
    int flags = (int) second;
    return new ServerSpec(address, (int) (first & 0xFFFF), (int) (second >>> MAX_FAILS_SHIFT & MAX_FAILS_LIMIT),
        failTimeout, (int) (second >>> MAX_CONNS_SHIFT & FIELD16_LIMIT), (flags & BACKUP) != 0,
        (flags & DOWN) != 0, Duration.ZERO, (flags & DRAIN) != 0, false, null, null);
  }

  @Override
  public int size() {
    return words.length / 2;
  }
}
