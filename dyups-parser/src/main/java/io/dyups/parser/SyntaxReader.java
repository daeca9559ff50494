package io.dyups.parser;

import io.dyups.parser.internal.NginxLexer;
import io.dyups.parser.internal.NginxParser;
import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.antlr.v4.runtime.BaseErrorListener;
import org.antlr.v4.runtime.CharStream;
import org.antlr.v4.runtime.CommonToken;
import org.antlr.v4.runtime.DefaultErrorStrategy;
import org.antlr.v4.runtime.IntStream;
import org.antlr.v4.runtime.Parser;
import org.antlr.v4.runtime.RecognitionException;
import org.antlr.v4.runtime.Recognizer;
import org.antlr.v4.runtime.RuleContext;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.TokenFactory;
import org.antlr.v4.runtime.TokenSource;
import org.antlr.v4.runtime.TokenStream;
import org.antlr.v4.runtime.atn.LexerATNSimulator;
import org.antlr.v4.runtime.misc.Interval;
import org.antlr.v4.runtime.misc.Pair;
import org.jspecify.annotations.Nullable;

/**
 * Turns configuration bytes into {@link Directive}s: the ANTLR lexer reads the bytes where they lie ({@link
 * ByteCharStream}), the ANTLR parser checks the structure without building a parse tree, and each token it matches
 * goes straight into the directive being built. Every error becomes a {@link ConfigSyntaxException} in nginx's
 * words; no ANTLR message escapes.
 *
 * <p>Nothing is made per token: the lexer hands out two token objects in turn (the parser looks one token ahead
 * and reads each token once, when it matches it), words come from the bytes, and short words that repeat
 * ({@code server}, {@code weight=2}) are the same String each time. Top-level directives are given to a consumer
 * as each one ends, so a caller can handle a large file one block at a time.
 */
final class SyntaxReader {
  /**
   * The deepest nesting of blocks read. The parser recurses once per level, so without a limit a hostile text of a
   * few hundred kilobytes (<code>"a {"</code> repeated) overflows the stack; real configurations nest a handful of
   * levels.
   */
  static final int MAX_DEPTH = 100;

  private SyntaxReader() {}

  /** Reads configuration bytes into top-level directives; see {@link ConfigBytes} for bytes that are not UTF-8. */
  static List<Directive> read(byte[] bytes, String sourceName) {
    List<Directive> directives = new ArrayList<>();
    read(bytes, 0, bytes.length, 1, sourceName, directives::add);
    return directives;
  }

  /**
   * Reads configuration text. It may hold raw-byte characters (see {@link ConfigBytes}); it is read as the bytes
   * it stands for, so that text and bytes read the same.
   */
  static List<Directive> read(String text, String sourceName) {
    checkSurrogates(text, sourceName);
    return read(ConfigBytes.encode(text), sourceName);
  }

  /**
   * Reads configuration bytes, giving each top-level directive to {@code topLevel} as soon as it ends. When the
   * bytes are rejected, the directives before the error have been given already.
   */
  static void read(byte[] bytes, String sourceName, Consumer<Directive> topLevel) {
    read(bytes, 0, bytes.length, 1, sourceName, topLevel);
  }

  /**
   * Reads {@code length} bytes from {@code offset}, the start of line {@code line}, as the whole text's reader would
   * read them from there when it stands at that line's start at the top level (a piece of {@link TopLevelSplit}).
   */
  static void read(
      byte[] bytes, int offset, int length, int line, String sourceName, Consumer<Directive> topLevel) {
    ByteCharStream chars = new ByteCharStream(bytes, offset, length, sourceName);
    ReusingLexer lexer = new ReusingLexer(chars);
    lexer.setLine(line);
    lexer.removeErrorListeners();
    lexer.addErrorListener(new LexerErrors(sourceName));
    Tokens tokens = new Tokens(lexer, chars, sourceName);
    DirectiveBuilder builder = new DirectiveBuilder(chars, sourceName, topLevel);
    DirectiveParser parser = new DirectiveParser(new OneTokenStream(tokens), builder);
    parser.removeErrorListeners();
    parser.setErrorHandler(new FirstErrorThrows(sourceName, tokens, builder));
    parser.setBuildParseTree(false);
    parser.config();
  }

  private static void checkSurrogates(String text, String sourceName) {
    int line = 1;
    int column = 1;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c) && !ConfigBytes.isRawByte(c)) {
        throw new ConfigSyntaxException(
            "invalid character U+" + Integer.toHexString(c).toUpperCase(java.util.Locale.ROOT)
                + " (a lone surrogate)", new SourcePosition(sourceName, line, column));
      } else if (c == '\n') {
        line++;
        column = 0;
      }
      column++;
    }
  }

  static ConfigSyntaxException unexpectedEndOfFile(Token eof, String expecting, String sourceName) {
    return new ConfigSyntaxException(
        "unexpected end of file, " + expecting,
        new SourcePosition(sourceName, eof.getLine(), eof.getCharPositionInLine() + 1));
  }

  static SourcePosition positionOf(Token token, String sourceName) {
    return new SourcePosition(sourceName, token.getLine(), token.getCharPositionInLine() + 1);
  }

  /**
   * The lexer, handing out two token objects in turn instead of a new one per token, and stepping over whitespace
   * and comments itself before each token. The grammar skips them too ({@code WS}, {@code COMMENT}); stepping over
   * them here gives the same tokens at the same places without a match of ANTLR's lexer for each run of them,
   * which are nearly half of all its matches ({@code LexerTest} checks that both read every input alike).
   */
  static final class ReusingLexer extends NginxLexer {
    private final ReusedToken[] tokens = new ReusedToken[2];
    private int next;

    ReusingLexer(CharStream input) {
      super(input);
      tokens[0] = new ReusedToken(_tokenFactorySourcePair);
      tokens[1] = new ReusedToken(_tokenFactorySourcePair);
    }

    @Override
    public Token nextToken() {
      skipWhitespaceAndComments();
      return super.nextToken();
    }

    /**
     * As the grammar's {@code WS} and {@code COMMENT}: at the start of a token, space, tab, CR and LF are
     * whitespace, and '#' starts a comment that runs to the end of the line (the LF is whitespace again).
     */
    private void skipWhitespaceAndComments() {
      CharStream input = _input;
      LexerATNSimulator interpreter = getInterpreter();
      while (true) {
        int c = input.LA(1);
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
          interpreter.consume(input);
        } else if (c == '#') {
          do {
            interpreter.consume(input);
            c = input.LA(1);
          } while (c != '\n' && c != IntStream.EOF);
        } else {
          return;
        }
      }
    }

    @Override
    public Token emit() {
      ReusedToken token = tokens[next];
      next ^= 1;
      token.reset(_type, _tokenStartCharIndex, getCharIndex() - 1, _tokenStartLine, _tokenStartCharPositionInLine);
      emit(token);
      return token;
    }
  }

  /** A token whose fields the lexer sets again for a later token. */
  private static final class ReusedToken extends CommonToken {
    private static final long serialVersionUID = 1L;

    ReusedToken(Pair<TokenSource, CharStream> source) {
      super(source, Token.INVALID_TYPE, Token.DEFAULT_CHANNEL, 0, 0);
    }

    void reset(int type, int start, int stop, int line, int column) {
      this.type = type;
      this.start = start;
      this.stop = stop;
      this.line = line;
      this.charPositionInLine = column;
      this.channel = Token.DEFAULT_CHANNEL;
      this.text = null;
    }
  }

  /**
   * The lexer's tokens, checked for what the grammar cannot say: nginx wants whitespace, ';', '{' or ')' after a
   * closing quote, reports an unterminated string or a trailing backslash at the end of the file, and blocks nest
   * at most {@link #MAX_DEPTH} deep. The block of a directive named {@code *_by_lua_block} is read by {@link
   * LuaBlock} and given as one {@code LUA_BLOCK} token in place of its braces.
   */
  private static final class Tokens implements TokenSource {
    private final NginxLexer lexer;
    private final ByteCharStream chars;
    private final String sourceName;
    private int depth;
    // True where the next value starts a directive: at the start and after ';', '{', '}' or a Lua block.
    private boolean directiveStart = true;
    private boolean luaDirective;
    private boolean ended;

    Tokens(NginxLexer lexer, ByteCharStream chars, String sourceName) {
      this.lexer = lexer;
      this.chars = chars;
      this.sourceName = sourceName;
    }

    @Override
    public Token nextToken() {
      Token token = lexer.nextToken();
      switch (token.getType()) {
        case NginxLexer.WORD -> value(token);
        case NginxLexer.DQUOTED, NginxLexer.SQUOTED -> {
          value(token);
          int next = chars.LA(1);
          if (next != IntStream.EOF && next != ' ' && next != '\t' && next != '\r' && next != '\n' && next != ';'
              && next != '{' && next != ')') {
            throw new ConfigSyntaxException("unexpected \"" + new String(Character.toChars(next)) + "\"",
                new SourcePosition(sourceName, lexer.getLine(), lexer.getCharPositionInLine() + 1));
          }
        }
        case NginxLexer.LBRACE -> {
          if (++depth > MAX_DEPTH) {
            throw new ConfigSyntaxException(
                "blocks nested more than " + MAX_DEPTH + " levels deep", positionOf(token, sourceName));
          }
          directiveStart = true;
          if (luaDirective) {
            luaDirective = false;
            depth--;
            return luaBlock(token);
          }
        }
        case NginxLexer.UNTERMINATED, NginxLexer.DANGLING_ESCAPE -> throw new ConfigSyntaxException(
            "unexpected end of file, expecting \";\" or \"}\"",
            new SourcePosition(sourceName, lexer.getLine(), lexer.getCharPositionInLine() + 1));
        case Token.EOF -> {
          ended = true;
        }
        default -> {
          if (token.getType() == NginxLexer.RBRACE) {
            depth--;
          }
          directiveStart = true;
          luaDirective = false;
        }
      }
      return token;
    }

    private void value(Token token) {
      if (directiveStart) {
        luaDirective = isLuaBlockName(token);
        directiveStart = false;
      }
    }

    /**
     * True when the directive named by {@code token} is a {@code *_by_lua_block}. Its value is made only when its
     * bytes end as such a name does or hold an escape: a name is read for every directive, and nearly none is one.
     */
    private boolean isLuaBlockName(Token token) {
      int start = token.getStartIndex();
      int stop = token.getStopIndex();
      if (token.getType() != NginxLexer.WORD) {
        start++;
        stop--;
      }
      byte[] bytes = chars.bytes();
      boolean escaped = false;
      for (int i = start; i <= stop; i++) {
        escaped |= bytes[i] == '\\';
      }
      if (!escaped && !LuaBlock.endsWithSuffix(bytes, start, stop + 1)) {
        return false;
      }
      return LuaBlock.isLuaBlock(DirectiveBuilder.text(chars, token));
    }

    /**
     * Reads the rest of the text for the errors found as tokens are read, so that they are reported before a
     * parse error that comes earlier, as when the whole text was checked before parsing.
     */
    void drain() {
      while (!ended) {
        nextToken();
      }
    }

    private Token luaBlock(Token open) {
      int start = chars.index();
      int line = lexer.getLine();
      int column = lexer.getCharPositionInLine();
      LuaBlock.End end = LuaBlock.scan(chars, sourceName, line, column, positionOf(open, sourceName));
      CommonToken code = new CommonToken(
          new Pair<>(this, chars), NginxLexer.LUA_BLOCK, Token.DEFAULT_CHANNEL, start, end.index() - 1);
      code.setLine(line);
      code.setCharPositionInLine(column);
      // Past the closing brace; the lexer goes on from there.
      chars.consume();
      lexer.setLine(end.line());
      lexer.setCharPositionInLine(end.column() + 1);
      return code;
    }

    @Override
    public int getLine() {
      return lexer.getLine();
    }

    @Override
    public int getCharPositionInLine() {
      return lexer.getCharPositionInLine();
    }

    @Override
    public CharStream getInputStream() {
      return chars;
    }

    @Override
    public String getSourceName() {
      return lexer.getSourceName();
    }

    @Override
    public void setTokenFactory(TokenFactory<?> factory) {
      lexer.setTokenFactory(factory);
    }

    @Override
    public TokenFactory<?> getTokenFactory() {
      return lexer.getTokenFactory();
    }
  }

  /**
   * The tokens as the parser reads them: the current one, made when the one before is consumed, and the one
   * before (the parser notes it as the last token of a rule). The grammar decides every choice on one token
   * ({@code LL(1)}: the generated parser calls no adaptive prediction), so nothing is buffered, marked or sought;
   * ANTLR's {@code UnbufferedTokenStream} did all three for every token (a tenth of the time of a parse).
   */
  private static final class OneTokenStream implements TokenStream {
    private final Tokens tokens;
    private @Nullable Token current;
    private @Nullable Token previous;
    private int index;

    OneTokenStream(Tokens tokens) {
      this.tokens = tokens;
    }

    @Override
    public @Nullable Token LT(int k) {
      if (k == -1) {
        return previous;
      }
      if (k != 1) {
        throw new UnsupportedOperationException("only the current and the previous token are kept: LT(" + k + ")");
      }
      Token token = current;
      if (token == null) {
        token = tokens.nextToken();
        current = token;
      }
      return token;
    }

    @Override
    public int LA(int i) {
      if (i != 1) {
        throw new UnsupportedOperationException("only the current token's type is read: LA(" + i + ")");
      }
      return requireNonNull(LT(1)).getType();
    }

    @Override
    public void consume() {
      if (LA(1) == Token.EOF) {
        throw new IllegalStateException("cannot consume EOF");
      }
      previous = current;
      current = tokens.nextToken();
      index++;
    }

    @Override
    public Token get(int index) {
      throw new UnsupportedOperationException("tokens are not kept");
    }

    @Override
    public TokenSource getTokenSource() {
      return tokens;
    }

    @Override
    public String getText(Interval interval) {
      throw new UnsupportedOperationException("tokens are not kept");
    }

    @Override
    public String getText() {
      throw new UnsupportedOperationException("tokens are not kept");
    }

    @Override
    public String getText(RuleContext ctx) {
      throw new UnsupportedOperationException("tokens are not kept");
    }

    @Override
    public String getText(Token start, Token stop) {
      throw new UnsupportedOperationException("tokens are not kept");
    }

    @Override
    public int mark() {
      return -1;
    }

    @Override
    public void release(int marker) {}

    @Override
    public int index() {
      return index;
    }

    @Override
    public void seek(int index) {
      if (index != this.index) {
        throw new UnsupportedOperationException("cannot seek in tokens that are not kept");
      }
    }

    @Override
    public int size() {
      throw new UnsupportedOperationException("the number of tokens is not known before the end");
    }

    @Override
    public String getSourceName() {
      return tokens.getSourceName();
    }
  }

  /** The parser, telling the builder of each token it matches. */
  private static final class DirectiveParser extends NginxParser {
    private final DirectiveBuilder builder;

    DirectiveParser(TokenStream input, DirectiveBuilder builder) {
      super(input);
      this.builder = builder;
    }

    @Override
    public Token consume() {
      builder.token(getCurrentToken());
      return super.consume();
    }
  }

  /** The lexer covers every character, so this only guards against a grammar change that breaks that. */
  private static final class LexerErrors extends BaseErrorListener {
    private final String sourceName;

    LexerErrors(String sourceName) {
      this.sourceName = sourceName;
    }

    @Override
    public void syntaxError(
        Recognizer<?, ?> recognizer,
        Object offendingSymbol,
        int line,
        int charPositionInLine,
        String msg,
        RecognitionException e) {
      throw new ConfigSyntaxException(
          "unexpected character", new SourcePosition(sourceName, line, charPositionInLine + 1));
    }
  }

  /** Stops at the first error and names it as nginx does. */
  private static final class FirstErrorThrows extends DefaultErrorStrategy {
    private final String sourceName;
    private final Tokens tokens;
    private final DirectiveBuilder builder;

    FirstErrorThrows(String sourceName, Tokens tokens, DirectiveBuilder builder) {
      this.sourceName = sourceName;
      this.tokens = tokens;
      this.builder = builder;
    }

    @Override
    public void recover(Parser recognizer, RecognitionException e) {
      throw error(e.getOffendingToken());
    }

    @Override
    public Token recoverInline(Parser recognizer) {
      throw error(recognizer.getCurrentToken());
    }

    @Override
    public void reportError(Parser recognizer, RecognitionException e) {
      throw error(e.getOffendingToken());
    }

    @Override
    public void sync(Parser recognizer) {
      // Loops end on any token they cannot start with; the rule after them reports it.
    }

    private ConfigSyntaxException error(Token token) {
      int type = token.getType();
      int line = token.getLine();
      int column = token.getCharPositionInLine();
      String text = token.getText();
      tokens.drain();
      if (type == Token.EOF) {
        boolean inDirective = builder.inDirective();
        return new ConfigSyntaxException(
            "unexpected end of file, " + (inDirective ? "expecting \";\" or \"}\"" : "expecting \"}\""),
            new SourcePosition(sourceName, line, column + 1));
      }
      String shown = text.isEmpty() ? text : new String(Character.toChars(text.codePointAt(0)));
      return new ConfigSyntaxException("unexpected \"" + shown + "\"", new SourcePosition(sourceName, line, column + 1));
    }
  }

  /**
   * Builds directives from the tokens the parser matches, which the parser has checked to be in order: words,
   * then ';', a block or Lua code. One level per depth of blocks holds the directive being read there and the
   * directives its block has so far.
   */
  private static final class DirectiveBuilder {
    private static final int CACHED_WORD = 24;
    private static final int CACHE_SLOTS = 1024;

    private final ByteCharStream chars;
    private final String file;
    private final Consumer<Directive> topLevel;
    private final String[] cache = new String[CACHE_SLOTS];
    private Level[] levels = {new Level()};
    private int depth;

    DirectiveBuilder(ByteCharStream chars, String file, Consumer<Directive> topLevel) {
      this.chars = chars;
      this.file = file;
      this.topLevel = topLevel;
    }

    void token(Token token) {
      switch (token.getType()) {
        case NginxLexer.WORD, NginxLexer.DQUOTED, NginxLexer.SQUOTED -> levels[depth].word(value(token), token);
        case NginxLexer.SEMI -> finish(null, 0);
        case NginxLexer.LBRACE -> {
          if (++depth == levels.length) {
            levels = Arrays.copyOf(levels, depth * 2);
          }
          if (levels[depth] == null) {
            levels[depth] = new Level();
          }
          levels[depth].blockSize = 0;
        }
        case NginxLexer.RBRACE -> {
          Level inner = levels[depth--];
          finish(Arrays.copyOf(inner.block, inner.blockSize), inner.blockSize);
        }
        case NginxLexer.LUA_BLOCK -> {
          levels[depth].word(chars.getText(Interval.of(token.getStartIndex(), token.getStopIndex())), token);
          finish(null, 0);
        }
        default -> {
          // EOF
        }
      }
    }

    /** True when words of a directive have been read and its end has not. */
    boolean inDirective() {
      return levels[depth].words > 0;
    }

    private void finish(Directive @Nullable [] block, int blockSize) {
      Level level = levels[depth];
      Directive directive = new Directive(level.values[0], Directive.args(level.values, 1, level.words - 1), block,
          blockSize, file, Directive.places(level.lineColumns, 2 * level.words));
      level.words = 0;
      if (depth == 0) {
        topLevel.accept(directive);
      } else {
        level.add(directive);
      }
    }

    /** A word's value: quotes taken off, escapes resolved, a short word that came before the same String. */
    private String value(Token token) {
      int start = token.getStartIndex();
      int stop = token.getStopIndex();
      if (token.getType() != NginxLexer.WORD) {
        start++;
        stop--;
      }
      byte[] bytes = chars.bytes();
      int length = stop - start + 1;
      boolean escaped = false;
      int hash = 0;
      for (int i = start; i <= stop; i++) {
        byte b = bytes[i];
        escaped |= b == '\\';
        hash = 31 * hash + b;
      }
      if (escaped) {
        String text = ConfigBytes.decode(bytes, start, length);
        return unescape(text, 0, text.length());
      }
      if (length > CACHED_WORD) {
        return ConfigBytes.decode(bytes, start, length);
      }
      int slot = (hash ^ (hash >>> 16)) & (CACHE_SLOTS - 1);
      String cached = cache[slot];
      if (cached != null && sameText(cached, bytes, start, length)) {
        return cached;
      }
      String text = ConfigBytes.decode(bytes, start, length);
      cache[slot] = text;
      return text;
    }

    // True when text is exactly these ASCII bytes (a word with other bytes is never cached as equal).
    private static boolean sameText(String text, byte[] bytes, int start, int length) {
      if (text.length() != length) {
        return false;
      }
      for (int i = 0; i < length; i++) {
        int b = bytes[start + i];
        if (b < 0 || text.charAt(i) != b) {
          return false;
        }
      }
      return true;
    }

    /** The value of a word or quoted token, for callers outside the builder. */
    static String text(ByteCharStream chars, Token token) {
      int start = token.getStartIndex();
      int stop = token.getStopIndex();
      boolean quoted = token.getType() != NginxLexer.WORD;
      String text = ConfigBytes.decode(chars.bytes(), quoted ? start + 1 : start, stop - start + 1 - (quoted ? 2 : 0));
      return unescape(text, 0, text.length());
    }

    /** The directive being read at one depth, and the directives of the block it is in, so far. */
    private static final class Level {
      String[] values = new String[8];
      int[] lineColumns = new int[16];
      int words;
      Directive[] block = new Directive[8];
      int blockSize;

      void word(String value, Token token) {
        if (words == values.length) {
          values = Arrays.copyOf(values, words * 2);
          lineColumns = Arrays.copyOf(lineColumns, words * 4);
        }
        values[words] = value;
        lineColumns[2 * words] = token.getLine();
        lineColumns[2 * words + 1] = token.getCharPositionInLine() + 1;
        words++;
      }

      void add(Directive directive) {
        if (blockSize == block.length) {
          block = Arrays.copyOf(block, blockSize * 2);
        }
        block[blockSize++] = directive;
      }
    }
  }

  /**
   * nginx's unescaping of a word: a backslash before {@code " ' \} stands for that character; {@code \t \r \n}
   * for the control character; before anything else the backslash stays.
   */
  static String unescape(String text, int from, int to) {
    int backslash = text.indexOf('\\', from);
    if (backslash < 0 || backslash >= to) {
      return text.substring(from, to);
    }
    StringBuilder out = new StringBuilder(to - from);
    int i = from;
    while (i < to) {
      char c = text.charAt(i);
      if (c == '\\' && i + 1 < to) {
        char next = text.charAt(i + 1);
        switch (next) {
          case '"', '\'', '\\' -> {
            out.append(next);
            i += 2;
            continue;
          }
          case 't' -> {
            out.append('\t');
            i += 2;
            continue;
          }
          case 'r' -> {
            out.append('\r');
            i += 2;
            continue;
          }
          case 'n' -> {
            out.append('\n');
            i += 2;
            continue;
          }
          default -> {
            // nginx keeps the backslash and copies the next character as it is.
          }
        }
      }
      out.append(c);
      i++;
    }
    return out.toString();
  }
}
