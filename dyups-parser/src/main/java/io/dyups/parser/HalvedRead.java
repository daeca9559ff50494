package io.dyups.parser;

import com.google.common.util.concurrent.Uninterruptibles;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Reads a large file of upstreams in two halves at once: the first on the caller's thread, block by block as
 * ever, the second on a thread of its own, which also builds the model of each top-level upstream of its half
 * ahead of its turn ({@link UpstreamCollector.Prebuilt}). The caller then takes the second half's directives in
 * order, so every check that spans blocks (names, zones, where an upstream may stand) and every error and warning
 * comes as a read of the whole file gives it.
 *
 * <p><b>Where the file is cut.</b> After the first line from the middle on that is a lone {@code "}"}: how people
 * and {@link UpstreamBlock#toConfig} close a top-level block. The cut is right when the first half reads alone
 * to its end, without an error: then every block is closed and the last directive ended there, the cut follows a
 * line break, and the lexer of the whole file would start a token where the second half starts (a line that
 * begins with a brace is not in a comment; a string or a Lua block still open there would have failed the first
 * half). The second half counts its lines from the first's; its token offsets are those of the whole file.
 *
 * <p><b>When a half is rejected.</b> A syntax error in the first half may come from a cut inside a block, and a
 * read of the whole file may report another error first (it looks further for errors found as tokens are read),
 * so the whole file is read again, giving the caller only the directives after those it was given already; the
 * same happens when the second half is rejected. What the caller throws (a model error, an unreadable include)
 * ends the read as it is.
 */
final class HalvedRead {
  /** A file at least this large is read in two halves at once, on a machine with more than one core. */
  static final int MIN_SIZE = 4 << 20;

  /** What takes each top-level directive, in order, with its upstream built ahead when there is one. */
  interface Sink {
    void accept(Directive directive, UpstreamCollector.@Nullable Prebuilt prebuilt);
  }

  private HalvedRead() {}

  /** Reads the bytes of a file, giving each top-level directive to {@code sink} in the order written. */
  static void read(byte[] bytes, String sourceName, Sink sink) {
    read(bytes, sourceName, sink, Runtime.getRuntime().availableProcessors() > 1 ? MIN_SIZE : Integer.MAX_VALUE);
  }

  /** {@link #read(byte[], String, Sink)}, in two halves when there are at least {@code minSize} bytes. */
  static void read(byte[] bytes, String sourceName, Sink sink, int minSize) {
    int split = bytes.length >= minSize ? splitPoint(bytes) : 0;
    if (split == 0) {
      SyntaxReader.read(bytes, sourceName, directive -> sink.accept(directive, null));
      return;
    }
    SecondHalf second = new SecondHalf(bytes, split, sourceName);
    Thread thread = new Thread(second, "dyups-parser-second-half");
    thread.setDaemon(true);
    thread.start();
    try {
      FirstHalf first = new FirstHalf(sink);
      try {
        SyntaxReader.read(bytes, 0, split, 1, sourceName, first::accept);
      } catch (ConfigSyntaxException e) {
        if (first.sinkFailed) {
          throw e;
        }
        readWholeAfter(bytes, sourceName, first.given, sink);
        return;
      }
      Uninterruptibles.joinUninterruptibly(thread);
      List<Ahead> ahead = second.directives;
      if (ahead == null) {
        readWholeAfter(bytes, sourceName, first.given, sink);
        return;
      }
      for (Ahead directive : ahead) {
        sink.accept(directive.directive(), directive.prebuilt());
      }
    } finally {
      // The second half is bounded work; it ends soon after anything the first half throws.
      Uninterruptibles.joinUninterruptibly(thread);
    }
  }

  /**
   * Where a large text may be cut in two: after the first line from the middle on that is a lone {@code "}"}; 0
   * when there is none.
   */
  static int splitPoint(byte[] bytes) {
    for (int i = Math.max(bytes.length / 2, 2); i + 1 < bytes.length; i++) {
      if (bytes[i] == '\n' && bytes[i - 1] == '}' && bytes[i - 2] == '\n') {
        return i + 1;
      }
    }
    return 0;
  }

  /** Reads the whole text again, giving {@code sink} the directives after the first {@code given}. */
  private static void readWholeAfter(byte[] bytes, String sourceName, int given, Sink sink) {
    int[] seen = {0};
    SyntaxReader.read(bytes, sourceName, directive -> {
      if (seen[0]++ >= given) {
        sink.accept(directive, null);
      }
    });
  }

  /** The first half's directives go straight to the sink; what the sink throws is told apart from syntax errors. */
  private static final class FirstHalf {
    private final Sink sink;
    int given;
    boolean sinkFailed;

    FirstHalf(Sink sink) {
      this.sink = sink;
    }

    void accept(Directive directive) {
      given++;
      try {
        sink.accept(directive, null);
      } catch (RuntimeException e) {
        sinkFailed = true;
        throw e;
      }
    }
  }

  private record Ahead(Directive directive, UpstreamCollector.@Nullable Prebuilt prebuilt) {}

  /** Reads the second half on its own thread; its directives, or null when it was rejected. */
  private static final class SecondHalf implements Runnable {
    private final byte[] bytes;
    private final int split;
    private final String sourceName;
    // Written by the second half's thread, read after joining it.
    @Nullable List<Ahead> directives;

    SecondHalf(byte[] bytes, int split, String sourceName) {
      this.bytes = bytes;
      this.split = split;
      this.sourceName = sourceName;
    }

    @Override
    public void run() {
      int line = 1;
      for (int i = 0; i < split; i++) {
        if (bytes[i] == '\n') {
          line++;
        }
      }
      List<Ahead> read = new ArrayList<>();
      try {
        SyntaxReader.read(bytes, split, bytes.length - split, line, sourceName,
            directive -> read.add(new Ahead(directive, UpstreamCollector.Prebuilt.of(directive))));
      } catch (RuntimeException e) {
        // Rejected (or the cut is not between two top-level directives): the caller reads the whole file again.
        return;
      }
      directives = read;
    }
  }
}
