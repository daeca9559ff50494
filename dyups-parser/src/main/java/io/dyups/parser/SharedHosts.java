package io.dyups.parser;

/**
 * The host Strings of one read of a configuration, so that a host written in several upstreams is one String:
 * large files list the same backends in many upstreams (the benchmarks' upstream.conf names each address in up to
 * four neighbouring upstreams), and every server of a loaded registry keeps its host. A load of 100 000 upstreams
 * of 4 servers keeps about 600 000 objects fewer, which its young collections no longer copy.
 *
 * <p>Like the parser's cache of short words, it is direct-mapped and forgets on a collision: a host is looked up
 * in the text where it is written, without a String made for it first, and kept only until another host takes
 * its slot. {@link #UNSHARED} makes a new String each time, for a single address or a single upstream.
 *
 * <p>Not thread-safe: one read, on one thread.
 */
final class SharedHosts {
  /** Makes a new String for every host: nothing is kept. */
  static final SharedHosts UNSHARED = new SharedHosts(0);

  private static final int SLOTS = 1024;

  private final String[] slots;

  private SharedHosts(int slots) {
    this.slots = new String[slots];
  }

  /** A cache for one read. */
  static SharedHosts forOneRead() {
    return new SharedHosts(SLOTS);
  }

  /** {@code text.substring(0, end)}, the same String as the last time these characters were asked for if kept. */
  String host(String text, int end) {
    if (end == text.length()) {
      return text;
    }
    if (slots.length == 0) {
      return text.substring(0, end);
    }
    int hash = 0;
    for (int i = 0; i < end; i++) {
      hash = 31 * hash + text.charAt(i);
    }
    int slot = (hash ^ (hash >>> 16)) & (slots.length - 1);
    String kept = slots[slot];
    if (kept != null && kept.length() == end && text.startsWith(kept)) {
      return kept;
    }
    String host = text.substring(0, end);
    slots[slot] = host;
    return host;
  }
}
