package io.dyups.core;

import com.google.common.base.Ticker;
import java.util.concurrent.atomic.AtomicLong;

/** A ticker tests move by hand. */
final class FakeTicker extends Ticker {
  private final AtomicLong nanos = new AtomicLong(1_000_000_000_000L);

  @Override
  public long read() {
    return nanos.get();
  }

  void advanceMillis(long millis) {
    nanos.addAndGet(millis * 1_000_000L);
  }

  void advanceSeconds(long seconds) {
    nanos.addAndGet(seconds * 1_000_000_000L);
  }
}
