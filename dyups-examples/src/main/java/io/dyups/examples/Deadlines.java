package io.dyups.examples;

import io.netty.channel.EventLoop;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * The timeouts of one event loop's connections, checked by a sweep every {@value #SWEEP_MILLIS} ms instead of a
 * scheduled task per timeout: a request moves its connection's deadline with a field write, and ten thousand idle
 * connections cost one pass over an array ten times a second. Timeouts fire up to one sweep late, which nginx's
 * second-granular timeouts allow. Used on its event loop only.
 */
final class Deadlines {
  static final long NEVER = Long.MAX_VALUE;
  static final long SWEEP_MILLIS = 100;

  /** Something with a deadline: a client or backend connection. */
  abstract static class Entry {
    long deadline = NEVER;
    int slot = -1;

    /** The deadline passed; it was reset to {@link #NEVER} before the call. */
    abstract void expired(long now);
  }

  private Entry[] entries = new Entry[64];
  private int size;

  private Runnable afterSweep = () -> { };

  /** Sweeps every {@value #SWEEP_MILLIS} ms on {@code loop}, then runs {@code after} (the pool's trim). */
  void start(EventLoop loop, Runnable after) {
    this.afterSweep = after;
    loop.scheduleAtFixedRate(this::sweep, SWEEP_MILLIS, SWEEP_MILLIS, TimeUnit.MILLISECONDS);
  }

  void add(Entry entry) {
    if (entry.slot >= 0) {
      return;
    }
    if (size == entries.length) {
      entries = Arrays.copyOf(entries, size * 2);
    }
    entry.slot = size;
    entries[size++] = entry;
  }

  void remove(Entry entry) {
    int slot = entry.slot;
    if (slot < 0) {
      return;
    }
    Entry last = entries[--size];
    entries[slot] = last;
    last.slot = slot;
    entries[size] = null;
    entry.slot = -1;
    entry.deadline = NEVER;
  }

  int size() {
    return size;
  }

  private void sweep() {
    long now = System.nanoTime();
    // From the end: an entry that removes itself swaps in one already visited.
    for (int i = size - 1; i >= 0; i--) {
      if (i >= size) {
        continue;
      }
      Entry entry = entries[i];
      if (entry.deadline - now <= 0) {
        entry.deadline = NEVER;
        entry.expired(now);
      }
    }
    afterSweep.run();
  }
}
