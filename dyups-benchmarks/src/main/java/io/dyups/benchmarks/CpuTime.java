package io.dyups.benchmarks;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The CPU time a benchmark thread spent per operation in an iteration, beside JMH's wall-clock score. On a
 * machine shared with other work, a descheduled thread makes the wall-clock time per operation grow while its
 * CPU time per operation does not. Shown as {@code :cpuNsPerOp}, which JMH adds up over the measurement
 * iterations and the threads: divide it by iterations &times; threads. Padded ({@link PaddedThreadState}): every
 * operation writes {@code ops}.
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.EVENTS)
public class CpuTime extends PaddedThreadState {
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  private long start;
  long ops;

  @Setup(Level.Iteration)
  public void start() {
    ops = 0;
    start = THREADS.getCurrentThreadCpuTime();
  }

  /** Read by JMH when the iteration's loop ends. */
  public double cpuNsPerOp() {
    return ops == 0 ? 0 : (double) (THREADS.getCurrentThreadCpuTime() - start) / ops;
  }
}
