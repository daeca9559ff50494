package io.dyups.parser;

import com.google.common.util.concurrent.Uninterruptibles;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * Reads a large file's top-level directives on a thread of its own while the caller's thread takes them: the lexer
 * and the parser (about two thirds of a streamed read) run ahead of what the caller does with each directive
 * (building its upstream, checking names and zones), on a second core.
 *
 * <p>The caller gets what {@link SyntaxReader#read(byte[], String, Consumer)} gives on one thread, in the same
 * order and on its own thread: the directives one at a time, and when the text is rejected, the same exception
 * after the directives before it. What the caller throws ends the read: the reader stops at its next batch and is
 * waited for, so no thread outlives the call. Directives cross in batches of {@link #BATCH} (one hand-over per
 * batch, not per directive), and at most {@link #QUEUED} batches wait, so a file is still never held whole as
 * directives.
 *
 * <p>Small files, and machines of one core, are read on the caller's thread: a thread's start costs more than a
 * small file's read, and one core gains nothing.
 */
final class ReadAhead {
  /** A file of at least this many bytes is read ahead on a thread of its own (about 10 000 servers). */
  static final int MIN_SIZE = 512 << 10;
  /** Directives handed over at once. */
  static final int BATCH = 256;
  /** Batches that may wait for the caller. */
  static final int QUEUED = 4;

  private ReadAhead() {}

  /** Reads {@code bytes} as {@link SyntaxReader#read(byte[], String, Consumer)} does, ahead when large. */
  static void read(byte[] bytes, String sourceName, Consumer<Directive> topLevel) {
    read(bytes, sourceName, topLevel,
        Runtime.getRuntime().availableProcessors() > 1 ? MIN_SIZE : Integer.MAX_VALUE, BATCH);
  }

  /** {@link #read(byte[], String, Consumer)}, ahead from {@code minSize} bytes, in batches of {@code batch}. */
  static void read(byte[] bytes, String sourceName, Consumer<Directive> topLevel, int minSize, int batch) {
    if (bytes.length < minSize) {
      SyntaxReader.read(bytes, sourceName, topLevel);
      return;
    }
    Handoff handoff = new Handoff();
    Thread reader = new Thread(() -> handoff.produce(bytes, sourceName, batch), "dyups-parser-read-ahead");
    reader.setDaemon(true);
    reader.start();
    try {
      for (List<Directive> directives = handoff.take(); directives != null; directives = handoff.take()) {
        for (int i = 0; i < directives.size(); i++) {
          topLevel.accept(directives.get(i));
        }
      }
      Throwable failure = handoff.failure();
      if (failure instanceof RuntimeException e) {
        throw e;
      }
      if (failure instanceof Error e) {
        throw e;
      }
    } finally {
      handoff.cancel();
      Uninterruptibles.joinUninterruptibly(reader);
    }
  }

  /** Thrown through the reader's parse when the caller is gone; never seen outside. */
  private static final class Cancelled extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Cancelled() {
      super(null, null, false, false);
    }
  }

  /** The batches between the reader and the caller, guarded by one lock. */
  private static final class Handoff {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final ArrayDeque<List<Directive>> ready = new ArrayDeque<>();
    private boolean finished;
    private boolean cancelled;
    private @Nullable Throwable failure;
    // The batch being filled: the reader's thread's alone.
    private List<Directive> filling = List.of();

    /** The reader's side: reads the text, handing over each full batch, then the rest and how the read ended. */
    void produce(byte[] bytes, String sourceName, int size) {
      filling = new ArrayList<>(size);
      @Nullable Throwable ended = null;
      try {
        SyntaxReader.read(bytes, sourceName, directive -> {
          filling.add(directive);
          if (filling.size() == size) {
            if (!put(filling)) {
              throw new Cancelled();
            }
            filling = new ArrayList<>(size);
          }
        });
      } catch (Cancelled e) {
        filling = List.of();
      } catch (Throwable e) {
        // Any failure of the read (a rejected text above all) goes to the caller, to be thrown on its thread.
        ended = e;
      }
      finish(filling, ended);
    }

    /** Hands over a full batch, waiting while {@link #QUEUED} wait; false when the caller is gone. */
    private boolean put(List<Directive> batch) {
      lock.lock();
      try {
        while (ready.size() >= QUEUED && !cancelled) {
          changed.awaitUninterruptibly();
        }
        if (cancelled) {
          return false;
        }
        ready.add(batch);
        changed.signalAll();
        return true;
      } finally {
        lock.unlock();
      }
    }

    /** Hands over the last directives and the read's failure, if any (null when the text was read to its end). */
    private void finish(List<Directive> rest, @Nullable Throwable ended) {
      lock.lock();
      try {
        if (!rest.isEmpty() && !cancelled) {
          ready.add(rest);
        }
        failure = ended;
        finished = true;
        changed.signalAll();
      } finally {
        lock.unlock();
      }
    }

    /** The caller's side: the next batch, waiting for it; null when the reader has finished and all were taken. */
    @Nullable List<Directive> take() {
      lock.lock();
      try {
        while (ready.isEmpty() && !finished) {
          changed.awaitUninterruptibly();
        }
        List<Directive> batch = ready.poll();
        changed.signalAll();
        return batch;
      } finally {
        lock.unlock();
      }
    }

    /** How the read ended, once {@link #take()} gave null: null when the text was read to its end. */
    @Nullable Throwable failure() {
      lock.lock();
      try {
        return failure;
      } finally {
        lock.unlock();
      }
    }

    /** The caller is done (or failed): the reader stops at its next hand-over. */
    void cancel() {
      lock.lock();
      try {
        cancelled = true;
        ready.clear();
        changed.signalAll();
      } finally {
        lock.unlock();
      }
    }
  }
}
