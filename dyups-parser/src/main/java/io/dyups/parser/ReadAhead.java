package io.dyups.parser;

import com.google.common.util.concurrent.Uninterruptibles;
import io.dyups.parser.TopLevelSplit.Piece;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * Reads a large file's top-level directives on threads of their own while the caller's thread takes them: the
 * file is cut into pieces at top-level line starts ({@link TopLevelSplit}), the pieces are lexed and parsed on one
 * reader per core (at most {@link #MAX_READERS}), and the caller takes each piece's directives in file order,
 * doing with them what is not the parse (building upstreams, checking names and zones) meanwhile. The parse is
 * about two thirds of a streamed read, so one reader alone made it the critical path.
 *
 * <p>The caller gets what {@link SyntaxReader#read(byte[], String, Consumer)} gives on one thread, in the same
 * order and on its own thread: the directives one at a time, and when the text is rejected, the same exception
 * after the directives before it. To keep that exact, the directives of a piece are given only when the piece
 * parsed to its end without an error; at the first piece that did not (a rejected text, or a cut the scan got
 * wrong), the readers are stopped and the caller reads the text from that piece's start to the end on its own
 * thread, as one reader: what comes before the error, the error, and its position are then those of a read of
 * the whole text, which stands at the same place in the same state at that piece's start.
 *
 * <p>What the caller throws ends the read: the readers stop at their next piece and are waited for, so no thread
 * outlives the call. At most {@link #AHEAD_PER_READER} pieces per reader are parsed ahead of the caller, so a
 * file is still never held whole as directives.
 *
 * <p>Small files, and machines of one core, are read on the caller's thread: a thread's start costs more than a
 * small file's read, and one core gains nothing.
 */
final class ReadAhead {
  /** A file of at least this many bytes is read ahead on threads of their own (about 10 000 servers). */
  static final int MIN_SIZE = 512 << 10;
  /**
   * Bytes per piece, about 650 upstreams of 4 servers: small enough that the readers' pieces waiting for the
   * caller hold little, large enough that a hand-over per piece costs nothing next to its parse.
   */
  static final int PIECE_SIZE = 128 << 10;
  /** Pieces each reader may have parsed before the caller takes them. */
  static final int AHEAD_PER_READER = 2;
  /**
   * The most readers started, however many cores: the caller's share of a load (building the upstreams) is about
   * two fifths of its CPU in a JFR recording of {@code LoadBenchmark}, so the caller keeps up with about one and a
   * half readers; more than a few would only wait for it, each holding its pieces parsed ahead.
   */
  static final int MAX_READERS = 4;

  private ReadAhead() {}

  /** Reads {@code bytes} as {@link SyntaxReader#read(byte[], String, Consumer)} does, ahead when large. */
  static void read(byte[] bytes, String sourceName, Consumer<Directive> topLevel) {
    int processors = Runtime.getRuntime().availableProcessors();
    read(bytes, sourceName, topLevel, processors > 1 ? MIN_SIZE : Integer.MAX_VALUE, PIECE_SIZE,
        Math.min(processors, MAX_READERS));
  }

  /**
   * {@link #read(byte[], String, Consumer)}, ahead from {@code minSize} bytes, in pieces of {@code pieceSize}
   * bytes, on a reader per core (at most {@link #MAX_READERS}).
   */
  static void read(byte[] bytes, String sourceName, Consumer<Directive> topLevel, int minSize, int pieceSize) {
    read(bytes, sourceName, topLevel, minSize, pieceSize,
        Math.min(Runtime.getRuntime().availableProcessors(), MAX_READERS));
  }

  /** {@link #read(byte[], String, Consumer, int, int)} on {@code readers} readers. */
  static void read(
      byte[] bytes, String sourceName, Consumer<Directive> topLevel, int minSize, int pieceSize, int readers) {
    if (bytes.length < minSize) {
      SyntaxReader.read(bytes, sourceName, topLevel);
      return;
    }
    // No more readers than pieces (a file of a few pieces on a machine of many cores).
    readers = Math.max(1, Math.min(readers, bytes.length / pieceSize + 1));
    Pieces pieces = new Pieces(bytes, sourceName, new TopLevelSplit(bytes, pieceSize), readers * AHEAD_PER_READER);
    Thread[] threads = new Thread[readers];
    try {
      for (int i = 0; i < readers; i++) {
        threads[i] = new Thread(pieces::parseUntilDone, "dyups-parser-read-ahead");
        threads[i].setDaemon(true);
        threads[i].start();
      }
      for (Parsed parsed = pieces.take(); parsed != null; parsed = pieces.take()) {
        if (parsed.failure() != null) {
          pieces.cancel();
          Piece from = parsed.piece();
          SyntaxReader.read(bytes, from.offset(), bytes.length - from.offset(), from.line(), sourceName, topLevel);
          return;
        }
        List<Directive> directives = parsed.directives();
        for (int i = 0; i < directives.size(); i++) {
          topLevel.accept(directives.get(i));
        }
      }
    } finally {
      pieces.cancel();
      for (Thread thread : threads) {
        if (thread != null) {
          Uninterruptibles.joinUninterruptibly(thread);
        }
      }
    }
  }

  /** A piece read alone: its directives, or why it did not read to its end (then no directives). */
  private record Parsed(Piece piece, List<Directive> directives, @Nullable Throwable failure) {}

  /**
   * The pieces between the readers and the caller, guarded by one lock. Readers take the next piece of the split
   * in turn and may finish them out of order; the caller takes them in order. Piece {@code k} waits in
   * {@code parsed[k % parsed.length]}, and a reader takes piece {@code k} only once the caller took piece
   * {@code k - parsed.length}, so a slot is always free when its piece is done.
   */
  private static final class Pieces {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final byte[] bytes;
    private final String sourceName;
    private final TopLevelSplit split;
    private final @Nullable Parsed[] parsed;
    private int started;
    private int taken;
    // The number of pieces once the split gave them all; -1 before.
    private int count = -1;
    private boolean cancelled;

    Pieces(byte[] bytes, String sourceName, TopLevelSplit split, int ahead) {
      this.bytes = bytes;
      this.sourceName = sourceName;
      this.split = split;
      this.parsed = new Parsed[ahead];
    }

    /** A reader's loop: the next piece, parsed, until none is left or the caller is gone. */
    void parseUntilDone() {
      while (true) {
        Piece piece;
        int number;
        lock.lock();
        try {
          while (!cancelled && count < 0 && started >= taken + parsed.length) {
            changed.awaitUninterruptibly();
          }
          if (cancelled || count >= 0) {
            return;
          }
          // The scan for the next cut (a tenth of a piece's parse, or less) runs under the lock: pieces must be
          // cut in order, and the other reader is parsing meanwhile.
          Piece next = split.next();
          if (next == null) {
            count = started;
            changed.signalAll();
            return;
          }
          piece = next;
          number = started++;
        } finally {
          lock.unlock();
        }
        Parsed done = parse(piece);
        lock.lock();
        try {
          parsed[number % parsed.length] = done;
          changed.signalAll();
        } finally {
          lock.unlock();
        }
      }
    }

    private Parsed parse(Piece piece) {
      List<Directive> directives = new ArrayList<>();
      try {
        SyntaxReader.read(bytes, piece.offset(), piece.length(), piece.line(), sourceName, directives::add);
        return new Parsed(piece, directives, null);
      } catch (Throwable e) {
        // Any failure, so that the caller never waits for a piece that will not come. The caller reads the text
        // again from here on its own thread, which throws what a read of the whole text throws (this piece's
        // failure may come from a wrong cut, and is never thrown as it is).
        return new Parsed(piece, List.of(), e);
      }
    }

    /** The caller's side: the next piece in order, waiting for it; null when every piece was taken. */
    @Nullable Parsed take() {
      lock.lock();
      try {
        int slot = taken % parsed.length;
        while (parsed[slot] == null && taken != count) {
          changed.awaitUninterruptibly();
        }
        Parsed next = parsed[slot];
        if (next == null) {
          return null;
        }
        parsed[slot] = null;
        taken++;
        changed.signalAll();
        return next;
      } finally {
        lock.unlock();
      }
    }

    /** The caller is done (or failed): the readers stop before their next piece. */
    void cancel() {
      lock.lock();
      try {
        cancelled = true;
        changed.signalAll();
      } finally {
        lock.unlock();
      }
    }
  }
}
