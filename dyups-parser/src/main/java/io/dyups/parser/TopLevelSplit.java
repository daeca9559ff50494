package io.dyups.parser;

import org.jspecify.annotations.Nullable;

/**
 * Cuts a configuration's bytes into pieces that can be parsed apart, one after the other as they are asked for:
 * each cut is the start of a line that begins outside every block and every directive, so that a piece read alone,
 * from line {@link Piece#line()} and column 1, gives the directives a read of the whole text gives there.
 *
 * <p>The scan follows nginx's tokenizer ({@code ngx_conf_read_token}) as the grammar {@code NginxLexer} writes it
 * down: a quote opens a string and {@code #} a comment only where a word could start; a backslash takes the next
 * byte, in words and in strings; {@code ;} and <code>{</code> end a word (but <code>${</code> belongs to it), while
 * <code>}</code> inside a word is an ordinary byte. Bytes of 0x80 and above are never any of these, so UTF-8 needs
 * no decoding here. Where the scan is unsure it cuts no more: after a <code>}</code> with no block open (a text
 * nginx rejects) and at a {@code *_by_lua_block} block, whose Lua code has rules of its own ({@link LuaBlock}); the
 * rest of the text is then one piece.
 *
 * <p>A cut is only a proposal: {@link ReadAhead} keeps a piece's directives only when the piece parsed to its end
 * without an error, and otherwise reads the text again on one reader from that piece's start. So a scan that is
 * wrong costs time, never a different result. A piece that parses alone does read as in the whole text: it ends
 * with a directive's {@code ;} or <code>}</code> and then whitespace or comments up to a line's start, so no token
 * of it reaches past its end, and the next piece starts where the whole text's reader stands at the top level too.
 *
 * <p>Not thread-safe: {@link ReadAhead} asks for pieces under its lock.
 */
final class TopLevelSplit {
  /** A piece: {@code length} bytes from {@code offset}, which is the start of line {@code line}. */
  record Piece(int offset, int length, int line) {}

  private final byte[] bytes;
  private final int pieceSize;
  // Where the next piece starts, and its line.
  private int offset;
  private int line = 1;
  private boolean unsure;

  /** Pieces of {@code bytes} of at least {@code pieceSize} bytes each (the last one may be shorter). */
  TopLevelSplit(byte[] bytes, int pieceSize) {
    if (pieceSize < 1) {
      throw new IllegalArgumentException("pieceSize must be positive: " + pieceSize);
    }
    this.bytes = bytes;
    this.pieceSize = pieceSize;
  }

  /** The next piece, scanning up to its end; null once the text is all given. */
  @Nullable Piece next() {
    int start = offset;
    if (start >= bytes.length) {
      return null;
    }
    int startLine = line;
    int end = unsure ? bytes.length : scan(start, start + pieceSize);
    Piece piece = new Piece(start, end - start, startLine);
    offset = end;
    return piece;
  }

  /**
   * Scans from {@code from}, a line start at the top level, and returns the first such line start at or after
   * {@code wanted}, or the end of the text; {@link #line} becomes that line's number.
   */
  private int scan(int from, int wanted) {
    byte[] b = bytes;
    int n = b.length;
    int lines = line;
    int depth = 0;
    // Between tokens (a word, a string, or ; { } could start here), and whether the directive has words so far.
    boolean tokenStart = true;
    boolean inDirective = false;
    // The directive's first word, when it is a plain word: a Lua block is known by its name.
    int nameStart = -1;
    int nameEnd = -1;
    int i = from;
    while (i < n) {
      byte c = b[i];
      if (c == '\n') {
        lines++;
        i++;
        if (depth == 0 && !inDirective && i >= wanted && i < n) {
          line = lines;
          return i;
        }
        if (!tokenStart && nameEnd < 0) {
          nameEnd = i - 1;
        }
        // A newline ends a word, or is whitespace between tokens.
        tokenStart = true;
        continue;
      }
      if (tokenStart) {
        switch (c) {
          case ' ', '\t', '\r' -> i++;
          case '#' -> {
            while (i < n && b[i] != '\n') {
              i++;
            }
          }
          case ';' -> {
            inDirective = false;
            i++;
          }
          case '{' -> {
            if (opensLuaBlock(inDirective, nameStart, nameEnd)) {
              return unsure();
            }
            depth++;
            inDirective = false;
            i++;
          }
          case '}' -> {
            if (--depth < 0) {
              return unsure();
            }
            inDirective = false;
            i++;
          }
          case '"', '\'' -> {
            // A string: to its closing quote, a backslash taking the next byte. Newlines inside it count.
            i++;
            while (i < n && b[i] != c) {
              if (b[i] == '\\' && i + 1 < n) {
                i++;
              }
              if (b[i] == '\n') {
                lines++;
              }
              i++;
            }
            i++;
            if (!inDirective) {
              nameStart = -1;
              nameEnd = -1;
            }
            inDirective = true;
          }
          default -> {
            // A word starts (a backslash or a '$' is handled by the word's own loop below).
            if (!inDirective) {
              nameStart = i;
              nameEnd = -1;
            }
            inDirective = true;
            tokenStart = false;
          }
        }
        continue;
      }
      // Inside a word.
      switch (c) {
        case ' ', '\t', '\r' -> {
          nameEnd = nameEnd < 0 ? i : nameEnd;
          tokenStart = true;
          i++;
        }
        case ';' -> {
          tokenStart = true;
          inDirective = false;
          i++;
        }
        case '{' -> {
          nameEnd = nameEnd < 0 ? i : nameEnd;
          tokenStart = true;
          if (opensLuaBlock(inDirective, nameStart, nameEnd)) {
            return unsure();
          }
          depth++;
          inDirective = false;
          i++;
        }
        case '\\' -> {
          if (i + 1 < n && b[i + 1] == '\n') {
            lines++;
          }
          i += 2;
        }
        case '$' -> i += i + 1 < n && b[i + 1] == '{' ? 2 : 1;
        default -> i++;
      }
    }
    line = lines;
    return n;
  }

  /** The rest of the text is one piece: the scan cannot follow it. */
  private int unsure() {
    unsure = true;
    return bytes.length;
  }

  /**
   * True when a block opens that may be Lua code: after a directive whose name ends as {@code *_by_lua_block}'s,
   * or whose name is quoted (the scan does not unquote it; {@link SyntaxReader} does, and may find a Lua block).
   */
  private boolean opensLuaBlock(boolean inDirective, int nameStart, int nameEnd) {
    if (!inDirective) {
      return false;
    }
    return nameStart < 0 || LuaBlock.endsWithSuffix(bytes, nameStart, nameEnd);
  }
}
