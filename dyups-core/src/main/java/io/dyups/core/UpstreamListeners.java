package io.dyups.core;

import java.lang.System.Logger.Level;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Tells a registry's listeners of its changes: after each change is visible, one change at a time, in the order
 * the changes were made, on a daemon thread of its own, so that a slow listener delays later notifications and
 * never a writer. A listener that throws is logged and the others are still told.
 */
final class UpstreamListeners implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(UpstreamListeners.class.getName());

  private final List<UpstreamListener> listeners;
  // No thread while nobody listens; made with the first listener. Guarded by this.
  private @Nullable ExecutorService thread;
  private boolean closed;

  UpstreamListeners(List<UpstreamListener> listeners) {
    this.listeners = new CopyOnWriteArrayList<>(listeners);
    if (!listeners.isEmpty()) {
      thread = newThread();
    }
  }

  private static ExecutorService newThread() {
    return Executors.newSingleThreadExecutor(runnable -> {
      Thread daemon = new Thread(runnable, "dyups-registry-listeners");
      daemon.setDaemon(true);
      return daemon;
    });
  }

  /** Adds a listener, told of the changes queued from now on. */
  synchronized void add(UpstreamListener listener) {
    listeners.add(listener);
    if (thread == null && !closed) {
      thread = newThread();
    }
  }

  /** Whether a change would be told to anyone: false while no listener was ever added. */
  synchronized boolean listening() {
    return thread != null;
  }

  /** Queues {@code change} for every listener. Called by the registry's writer after the change is visible. */
  void tell(UpstreamChange change) {
    ExecutorService thread;
    synchronized (this) {
      thread = this.thread;
    }
    if (thread == null) {
      return;
    }
    try {
      thread.execute(() -> {
        for (UpstreamListener listener : listeners) {
          try {
            listener.onChange(change);
          } catch (RuntimeException | Error e) {
            LOG.log(Level.WARNING, "listener " + listener + " failed on " + change, e);
          }
        }
      });
    } catch (RejectedExecutionException e) {
      // Closed: the registry refuses changes once closed, so only a change racing close() gets here.
      LOG.log(Level.DEBUG, "registry closed; not telling listeners of " + change);
    }
  }

  /** Tells the listeners of every change queued so far (waiting up to 10 seconds), then stops the thread. */
  @Override
  public void close() {
    ExecutorService thread;
    synchronized (this) {
      closed = true;
      thread = this.thread;
    }
    if (thread == null) {
      return;
    }
    thread.shutdown();
    try {
      thread.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
