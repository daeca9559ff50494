package io.dyups.parser;

import org.antlr.v4.runtime.CharStream;
import org.antlr.v4.runtime.CharStreams;
import org.antlr.v4.runtime.IntStream;

/**
 * The inside of an OpenResty {@code *_by_lua_block { ... }}, read as nginx with the Lua module reads it: not as
 * nginx directives but as one chunk of Lua code, up to the <code>}</code> that closes the block.
 *
 * <p>This follows {@code ngx_http_lua_conf_lua_block_parse} and its lexer ({@code ngx_http_lua_lex}, generated from
 * the patterns in lua-nginx-module's {@code util/gen-lexer-c}): from the <code>{</code> on, the leftmost of these is
 * taken each time, and everything between them is code: <code>{</code> and <code>}</code> (nesting), a long string
 * {@code [[ ]]} or {@code [==[ ]==]} and a long comment {@code --[[ ]]} (skipped to the closing bracket with the
 * same number of {@code =}), a line comment {@code --} to the end of the line, and a quoted string {@code "..."} or
 * {@code '...'} that ends on its line (a quote without its closing quote on the same line is ordinary code). The
 * directive becomes the directive with the code as its last argument and no block, as crossplane represents it;
 * {@link ConfigText} writes it back between braces.
 */
final class LuaBlock {
  /** The suffix of every directive whose block holds Lua ({@code content_by_lua_block}, {@code set_by_lua_block}). */
  static final String SUFFIX = "_by_lua_block";

  private final CharStream input;
  private final String sourceName;
  private int line;
  private int column;

  /**
   * @param line the line of the character at the input's index
   * @param column the 0-based column of that character
   */
  private LuaBlock(CharStream input, String sourceName, int line, int column) {
    this.input = input;
    this.sourceName = sourceName;
    this.line = line;
    this.column = column;
  }

  static boolean isLuaBlock(String directiveName) {
    return directiveName.endsWith(SUFFIX);
  }

  /** True when bytes {@code from} to {@code to} (excluded) end with the ASCII bytes of the name suffix. */
  static boolean endsWithSuffix(byte[] bytes, int from, int to) {
    int at = to - SUFFIX.length();
    if (at < from) {
      return false;
    }
    for (int i = 0; i < SUFFIX.length(); i++) {
      if (bytes[at + i] != SUFFIX.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  /** Where the closing brace is: its index in the input, and its line and 0-based column. */
  record End(int index, int line, int column) {}

  /**
   * Reads the code from the input's index (just after the <code>{</code>) to the brace that closes the block, and
   * leaves the input on that brace.
   *
   * @param line the line of the input's index
   * @param column the 0-based column of the input's index
   * @param open where the block's <code>{</code> is, named when the file ends first
   */
  static End scan(CharStream input, String sourceName, int line, int column, SourcePosition open) {
    return new LuaBlock(input, sourceName, line, column).scan(open);
  }

  /** True when {@code code} between <code>{</code> and <code>}</code> reads back as this same code. */
  static boolean readsBackWhole(String code) {
    CharStream input = CharStreams.fromString(code + "}");
    try {
      return scan(input, "code", 1, 0, new SourcePosition("code", 1, 1)).index() == input.size() - 1;
    } catch (ConfigSyntaxException e) {
      return false;
    }
  }

  private End scan(SourcePosition open) {
    int level = 1;
    // As the module, an unterminated block is reported at the last "{" seen.
    SourcePosition lastOpen = open;
    while (true) {
      int c = input.LA(1);
      switch (c) {
        case IntStream.EOF -> throw new ConfigSyntaxException(
            "unexpected end of file, expecting terminating characters for lua code block", lastOpen);
        case '{' -> {
          lastOpen = here();
          level++;
          advance();
        }
        case '}' -> {
          if (--level == 0) {
            return new End(input.index(), line, column);
          }
          advance();
        }
        case '[' -> {
          if (!longBracket(1)) {
            advance();
          }
        }
        case '-' -> {
          if (input.LA(2) != '-') {
            advance();
          } else if (input.LA(3) != '[' || !longBracket(3)) {
            while (input.LA(1) != '\n' && input.LA(1) != IntStream.EOF) {
              advance();
            }
          }
        }
        case '"', '\'' -> quoted(c);
        default -> advance();
      }
    }
  }

  /**
   * At {@code [=*[} starting at lookahead {@code at}: skips to the end of the matching {@code ]=*]} and returns
   * true; returns false, consuming nothing, when there is no opening long bracket there.
   */
  private boolean longBracket(int at) {
    int equals = 0;
    while (input.LA(at + 1 + equals) == '=') {
      equals++;
    }
    if (input.LA(at + 1 + equals) != '[') {
      return false;
    }
    SourcePosition start = here();
    for (int i = 0; i < at + 1 + equals; i++) {
      advance();
    }
    while (true) {
      int c = input.LA(1);
      if (c == IntStream.EOF) {
        throw new ConfigSyntaxException("Lua code block missing the closing long bracket \"]" + "=".repeat(equals)
            + "]\", the inlined Lua code may be too long", start);
      }
      advance();
      if (c == ']' && closes(equals)) {
        for (int i = 0; i <= equals; i++) {
          advance();
        }
        return true;
      }
    }
  }

  // Just after a "]": true when "=" times equals and "]" follow.
  private boolean closes(int equals) {
    for (int i = 1; i <= equals; i++) {
      if (input.LA(i) != '=') {
        return false;
      }
    }
    return input.LA(equals + 1) == ']';
  }

  /** A quoted string that closes on its line is skipped whole; otherwise the quote is ordinary code. */
  private void quoted(int quote) {
    int k = 2;
    while (true) {
      int c = input.LA(k);
      if (c == quote) {
        break;
      }
      if (c == '\n' || c == IntStream.EOF) {
        advance();
        return;
      }
      if (c == '\\') {
        int next = input.LA(k + 1);
        if (next == '\n' || next == IntStream.EOF) {
          advance();
          return;
        }
        k += 2;
      } else {
        k++;
      }
    }
    for (int i = 0; i < k; i++) {
      advance();
    }
  }

  private SourcePosition here() {
    return new SourcePosition(sourceName, line, column + 1);
  }

  private void advance() {
    if (input.LA(1) == '\n') {
      line++;
      column = 0;
    } else {
      column++;
    }
    input.consume();
  }
}
