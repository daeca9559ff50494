package io.dyups.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The lock around one pick or release: a few dozen loads and stores, held for nanoseconds. Taking it is one
 * compare-and-set and leaving it one release store, where a monitor costs a compare-and-set each way. As nginx's
 * {@code ngx_shmtx_lock}, a waiter spins, then yields its processor, so a holder that was descheduled gets to run.
 * Not reentrant.
 */
final class BalancingLock {
  private static final VarHandle STATE;

  static {
    try {
      STATE = MethodHandles.lookup().findVarHandle(BalancingLock.class, "state", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private static final int SPINS = 64;

  @SuppressWarnings("unused") // Through STATE.
  private volatile int state;

  void lock() {
    if (!STATE.compareAndSet(this, 0, 1)) {
      contended();
    }
  }

  private void contended() {
    for (int spins = 0; ; spins++) {
      if ((int) STATE.getOpaque(this) == 0 && STATE.compareAndSet(this, 0, 1)) {
        return;
      }
      if (spins < SPINS) {
        Thread.onSpinWait();
      } else {
        Thread.yield();
      }
    }
  }

  void unlock() {
    STATE.setRelease(this, 0);
  }
}
