package io.dyups.parser;

import io.dyups.parser.internal.NginxLexer;
import io.dyups.parser.internal.NginxParser;
import java.util.ArrayList;
import java.util.List;
import org.antlr.v4.runtime.BaseErrorListener;
import org.antlr.v4.runtime.CharStream;
import org.antlr.v4.runtime.CharStreams;
import org.antlr.v4.runtime.CommonToken;
import org.antlr.v4.runtime.CommonTokenStream;
import org.antlr.v4.runtime.DefaultErrorStrategy;
import org.antlr.v4.runtime.InputMismatchException;
import org.antlr.v4.runtime.Parser;
import org.antlr.v4.runtime.ParserRuleContext;
import org.antlr.v4.runtime.RecognitionException;
import org.antlr.v4.runtime.Recognizer;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.TokenFactory;
import org.antlr.v4.runtime.TokenSource;
import org.antlr.v4.runtime.atn.PredictionMode;
import org.antlr.v4.runtime.misc.Interval;
import org.antlr.v4.runtime.misc.Pair;
import org.antlr.v4.runtime.tree.TerminalNode;

/**
 * Turns configuration text into {@link Directive} trees: ANTLR lexer and parser, then one pass that builds the
 * records. Every error becomes a {@link ConfigSyntaxException} in nginx's words; no ANTLR message escapes.
 */
final class SyntaxReader {
  /**
   * The deepest nesting of blocks read. The parser and the tree builder recurse once per level, so without a limit
   * a hostile text of a few hundred kilobytes ({@code "a {"} repeated) overflows the stack; real configurations
   * nest a handful of levels.
   */
  static final int MAX_DEPTH = 100;

  private SyntaxReader() {}

  /** Reads configuration bytes; see {@link ConfigBytes} for bytes that are not UTF-8. */
  static List<Directive> read(byte[] bytes, String sourceName) {
    return readText(ConfigBytes.decode(bytes, 0, bytes.length), sourceName);
  }

  /**
   * Reads configuration text. It may hold raw-byte characters (see {@link ConfigBytes}); it is read as the bytes
   * it stands for, so that text and bytes read the same.
   */
  static List<Directive> read(String text, String sourceName) {
    checkSurrogates(text, sourceName);
    if (ConfigBytes.hasSurrogates(text)) {
      // Raw bytes given one by one may together be UTF-8: read them as a file holding those bytes would be read.
      byte[] bytes = ConfigBytes.encode(text);
      return readText(ConfigBytes.decode(bytes, 0, bytes.length), sourceName);
    }
    return readText(text, sourceName);
  }

  private static List<Directive> readText(String text, String sourceName) {
    CharStream chars = CharStreams.fromString(text, sourceName);
    NginxLexer lexer = new NginxLexer(chars);
    lexer.removeErrorListeners();
    lexer.addErrorListener(new LexerErrors(sourceName));
    CommonTokenStream tokens = new CommonTokenStream(new LuaBlocks(lexer, sourceName));
    tokens.fill();
    checkTokens(tokens.getTokens(), chars, sourceName);

    NginxParser parser = new NginxParser(tokens);
    parser.removeErrorListeners();
    parser.setErrorHandler(new FirstErrorThrows(sourceName));
    // The grammar is LL(1); SLL never needs the full-context fallback.
    parser.getInterpreter().setPredictionMode(PredictionMode.SLL);
    parser.setBuildParseTree(true);
    NginxParser.ConfigContext config = parser.config();
    return new TreeBuilder(sourceName).directives(config.directive());
  }

  /**
   * Checks what the grammar cannot: nginx wants whitespace, ';', '{' or ')' after a closing quote, and reports
   * an unterminated string or a trailing backslash at the end of the file. Also refuses blocks nested deeper than
   * {@link #MAX_DEPTH}.
   */
  private static void checkTokens(List<Token> tokens, CharStream chars, String sourceName) {
    int depth = 0;
    for (Token token : tokens) {
      int type = token.getType();
      if (type == NginxLexer.LBRACE && ++depth > MAX_DEPTH) {
        throw new ConfigSyntaxException(
            "blocks nested more than " + MAX_DEPTH + " levels deep", positionOf(token, sourceName));
      }
      if (type == NginxLexer.RBRACE) {
        depth--;
      }
      if (type == NginxLexer.UNTERMINATED || type == NginxLexer.DANGLING_ESCAPE) {
        throw unexpectedEndOfFile(tokens.get(tokens.size() - 1), "expecting \";\" or \"}\"", sourceName);
      }
      if (type == NginxLexer.DQUOTED || type == NginxLexer.SQUOTED) {
        int next = token.getStopIndex() + 1;
        if (next < chars.size()) {
          int ch = chars.getText(Interval.of(next, next)).codePointAt(0);
          if (ch != ' ' && ch != '\t' && ch != '\r' && ch != '\n' && ch != ';' && ch != '{' && ch != ')') {
            throw new ConfigSyntaxException(
                "unexpected \"" + new String(Character.toChars(ch)) + "\"", positionAfter(token, sourceName));
          }
        }
      }
    }
  }

  /**
   * Refuses a lone surrogate, which only text built in Java (not read from bytes) can hold: no bytes stand for it,
   * so a persisted file would hold "?" in its place and read back as something else. Raw-byte characters are the
   * exception: they stand for the bytes they were read from.
   */
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

  /** The position of the character just after {@code token} (a comment there has no token to ask). */
  private static SourcePosition positionAfter(Token token, String sourceName) {
    String text = token.getText();
    int newline = text.lastIndexOf('\n');
    if (newline < 0) {
      return new SourcePosition(sourceName, token.getLine(),
          token.getCharPositionInLine() + text.codePointCount(0, text.length()) + 1);
    }
    int lines = (int) text.chars().filter(c -> c == '\n').count();
    return new SourcePosition(sourceName, token.getLine() + lines,
        text.codePointCount(newline + 1, text.length()) + 1);
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
   * The lexer's tokens, except that the block of a directive named {@code *_by_lua_block} is read by {@link
   * LuaBlock} and given as one {@code LUA_BLOCK} token in place of its braces.
   */
  private static final class LuaBlocks implements TokenSource {
    private final NginxLexer lexer;
    private final String sourceName;
    // True where the next value starts a directive: at the start and after ';', '{', '}' or a Lua block.
    private boolean directiveStart = true;
    private boolean luaDirective;

    LuaBlocks(NginxLexer lexer, String sourceName) {
      this.lexer = lexer;
      this.sourceName = sourceName;
    }

    @Override
    public Token nextToken() {
      Token token = lexer.nextToken();
      switch (token.getType()) {
        case NginxLexer.WORD, NginxLexer.DQUOTED, NginxLexer.SQUOTED -> {
          if (directiveStart) {
            luaDirective = LuaBlock.isLuaBlock(TreeBuilder.value(token));
            directiveStart = false;
          }
        }
        case NginxLexer.LBRACE -> {
          directiveStart = true;
          if (luaDirective) {
            luaDirective = false;
            return luaBlock(token);
          }
        }
        default -> {
          directiveStart = true;
          luaDirective = false;
        }
      }
      return token;
    }

    private Token luaBlock(Token open) {
      CharStream input = lexer.getInputStream();
      int start = input.index();
      int line = lexer.getLine();
      int column = lexer.getCharPositionInLine();
      LuaBlock.End end = LuaBlock.scan(input, sourceName, line, column, positionOf(open, sourceName));
      CommonToken code = new CommonToken(
          new Pair<>(this, input), NginxLexer.LUA_BLOCK, Token.DEFAULT_CHANNEL, start, end.index() - 1);
      code.setLine(line);
      code.setCharPositionInLine(column);
      code.setText(input.getText(Interval.of(start, end.index() - 1)));
      // Past the closing brace; the lexer goes on from there.
      input.consume();
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
      return lexer.getInputStream();
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

    FirstErrorThrows(String sourceName) {
      this.sourceName = sourceName;
    }

    @Override
    public void recover(Parser recognizer, RecognitionException e) {
      throw error(e.getOffendingToken(), recognizer.getContext());
    }

    @Override
    public Token recoverInline(Parser recognizer) {
      throw error(recognizer.getCurrentToken(), recognizer.getContext());
    }

    @Override
    public void reportError(Parser recognizer, RecognitionException e) {
      throw error(e.getOffendingToken(), recognizer.getContext());
    }

    @Override
    public void sync(Parser recognizer) {
      // Loops end on any token they cannot start with; the rule after them reports it.
    }

    private ConfigSyntaxException error(Token token, ParserRuleContext context) {
      if (token.getType() == Token.EOF) {
        boolean inDirective = context instanceof NginxParser.DirectiveContext
            || context instanceof NginxParser.ValueContext;
        return unexpectedEndOfFile(
            token, inDirective ? "expecting \";\" or \"}\"" : "expecting \"}\"", sourceName);
      }
      String text = token.getText();
      String shown = text.isEmpty() ? text : new String(Character.toChars(text.codePointAt(0)));
      return new ConfigSyntaxException("unexpected \"" + shown + "\"", positionOf(token, sourceName));
    }
  }

  /** Builds the records from the parse tree: unescaped arguments and their positions. */
  private static final class TreeBuilder {
    private final String sourceName;

    TreeBuilder(String sourceName) {
      this.sourceName = sourceName;
    }

    List<Directive> directives(List<NginxParser.DirectiveContext> contexts) {
      List<Directive> result = new ArrayList<>(contexts.size());
      for (NginxParser.DirectiveContext context : contexts) {
        result.add(directive(context));
      }
      return result;
    }

    private Directive directive(NginxParser.DirectiveContext context) {
      List<NginxParser.ValueContext> values = context.value();
      Token nameToken = values.get(0).getStart();
      List<String> args = new ArrayList<>(values.size());
      List<SourcePosition> positions = new ArrayList<>(values.size());
      for (int i = 1; i < values.size(); i++) {
        Token token = values.get(i).getStart();
        args.add(value(token));
        positions.add(positionOf(token, sourceName));
      }
      TerminalNode lua = context.LUA_BLOCK();
      if (lua != null) {
        args.add(lua.getSymbol().getText());
        positions.add(positionOf(lua.getSymbol(), sourceName));
      }
      NginxParser.BlockContext block = context.block();
      return new Directive(value(nameToken), args, positions, block == null ? null : directives(block.directive()),
          positionOf(nameToken, sourceName));
    }

    static String value(Token token) {
      String text = token.getText();
      if (token.getType() == NginxLexer.WORD) {
        return unescape(text, 0, text.length());
      }
      return unescape(text, 1, text.length() - 1);
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
