package io.dyups.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The lock around one pick or release: a few dozen loads and stores, held for nanoseconds. Taking it is one
 * compare-and-set and leaving it one release store, where a monitor costs a compare-and-set each way. As nginx's
 * {@code ngx_shmtx_lock}, a waiter spins, then yields its processor, so a holder that was descheduled gets to run.
 * Not reentrant.
 *
 * <p>The lock word is padded to a cache line of its own on either side: it is written on every pick, and the
 * objects allocated next to it (another upstream's peers, its {@code Upstream}) are read by other threads on
 * every pick of theirs.
 */
final class BalancingLock extends BalancingLockWord {
  @SuppressWarnings("unused")
  private long p10, p11, p12, p13, p14, p15, p16, p17;

  private static final VarHandle STATE;

  static {
    try {
      STATE = MethodHandles.lookup().findVarHandle(BalancingLockWord.class, "state", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  @SuppressWarnings("ThreadPriorityCheck")
  private static void yieldProcessor() {
    Thread.yield();
  }

  private static final int SPINS = 64;

  /** Takes the lock; returns true when it was taken by another thread and this one had to wait. */
  boolean lock() {
    if (STATE.compareAndSet(this, 0, 1)) {
      return false;
    }
    contended();
    return true;
  }

  private void contended() {
    for (int spins = 0; ; spins++) {
      if ((int) STATE.getOpaque(this) == 0 && STATE.compareAndSet(this, 0, 1)) {
        return;
      }
      if (spins < SPINS) {
        Thread.onSpinWait();
      } else {
        // As nginx's ngx_shmtx_lock calls ngx_sched_yield(): a holder that was descheduled gets to run.
        yieldProcessor();
      }
    }
  }

  void unlock() {
    STATE.setRelease(this, 0);
  }
}

/** Padding before the lock word: superclass fields are laid out first. */
abstract class BalancingLockPadding {
  @SuppressWarnings("unused")
  private long p00, p01, p02, p03, p04, p05, p06, p07;
  // Fills the four bytes after a compressed object header, where the JVM would otherwise put a field of a
  // subclass: ahead of the padding, beside the object before this one.
  @SuppressWarnings("unused")
  private int p08;
}

/** The lock word of {@link BalancingLock}, between its paddings. */
abstract class BalancingLockWord extends BalancingLockPadding {
  @SuppressWarnings("unused") // Through BalancingLock.STATE.
  volatile int state;
}
