package io.dyups.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The lock around one pick or release: a few dozen loads and stores, held for nanoseconds. Taking it is one
 * compare-and-set and leaving it one release store, where a monitor costs a compare-and-set each way. As nginx's
 * {@code ngx_shmtx_lock}, a waiter spins, then yields its processor, so a holder that was descheduled gets to run.
 * Not reentrant.
 *
 * <p>The lock word is padded (see {@link Padded}): it is written on every pick, and the objects allocated next to it
 * (another upstream's peers, its {@code Upstream}) are read by other threads on every pick of theirs.
 */
final class BalancingLock extends BalancingLockWord {
  // The trailing pad; see Padded.
  byte q000, q001, q002, q003, q004, q005, q006, q007, q008, q009, q010, q011, q012, q013, q014, q015;
  byte q016, q017, q018, q019, q020, q021, q022, q023, q024, q025, q026, q027, q028, q029, q030, q031;
  byte q032, q033, q034, q035, q036, q037, q038, q039, q040, q041, q042, q043, q044, q045, q046, q047;
  byte q048, q049, q050, q051, q052, q053, q054, q055, q056, q057, q058, q059, q060, q061, q062, q063;

  private static final VarHandle STATE;

  static {
    try {
      STATE = MethodHandles.lookup().findVarHandle(BalancingLockWord.class, "state", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  // Spins before a waiter starts yielding its processor.
  @SuppressWarnings("ThreadPriorityCheck")
  private static void yieldProcessor() {
    Thread.yield();
  }

  private static final int SPINS = 64;

  /** Takes the lock when it is free; returns false at once when another thread holds it. */
  boolean tryLock() {
    return STATE.compareAndSet(this, 0, 1);
  }

  /** Takes the lock, waiting for it while another thread holds it. */
  void lock() {
    if (!tryLock()) {
      waitAndLock();
    }
  }

  private void waitAndLock() {
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

/** The lock word of {@link BalancingLock}, after the padding. */
abstract class BalancingLockWord extends Padded {
  @SuppressWarnings("unused") // Through BalancingLock.STATE.
  volatile int state;
}
