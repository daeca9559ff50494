package io.dyups.parser;

import java.util.List;

/** Writes values and directives as nginx text that our tokenizer (and nginx's) reads back identically. */
final class ConfigText {
  private static final String INDENT = "    ";

  private ConfigText() {}

  /** The argument as one nginx word: bare when that reads back the same, double-quoted otherwise. */
  static String word(String value) {
    if (isBare(value)) {
      return value;
    }
    StringBuilder out = new StringBuilder(value.length() + 2).append('"');
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '"', '\\' -> out.append('\\').append(c);
        // nginx reads these escapes back as the control characters, and the text stays on one line.
        case '\t' -> out.append("\\t");
        case '\r' -> out.append("\\r");
        case '\n' -> out.append("\\n");
        default -> out.append(c);
      }
    }
    return out.append('"').toString();
  }

  private static boolean isBare(String value) {
    if (value.isEmpty()) {
      return false;
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      boolean ordinary = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || ".:/[]=@%+,*?^~|!&()<>_-$".indexOf(c) >= 0 || (c > 127 && !Character.isWhitespace(c));
      if (!ordinary) {
        return false;
      }
    }
    return true;
  }

  /** A {@code *_by_lua_block} read by {@link LuaBlock}: its last argument is Lua code that reads back whole. */
  private static boolean isLuaCode(Directive directive) {
    List<String> args = directive.args();
    return !directive.hasBlock() && !args.isEmpty() && LuaBlock.isLuaBlock(directive.name())
        && LuaBlock.readsBackWhole(args.get(args.size() - 1));
  }

  /**
   * The text with every character that would not show as itself escaped, so that a message quoting what a caller
   * sent cannot move a terminal's cursor, hide text or reorder it: control characters (category Cc) as
   * {@code \xNN}, format characters (Cf: U+202E and the other bidirectional controls, zero-width characters, the
   * byte order mark), line and paragraph separators and lone surrogates as a backslash, {@code u} and four hex
   * digits, one escape per UTF-16 unit; a byte that was not UTF-8 (see {@link ConfigBytes}) as {@code \xNN}.
   */
  static String escapeUnprintable(String text) {
    StringBuilder out = null;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (isUnprintable(text, i)) {
        if (out == null) {
          out = new StringBuilder(text.length() + 16).append(text, 0, i);
        }
        if (ConfigBytes.isRawByte(c) && !(i > 0 && Character.isHighSurrogate(text.charAt(i - 1)))) {
          out.append(String.format("\\x%02x", ConfigBytes.rawByte(c)));
        } else {
          out.append(c < 0x100 ? String.format("\\x%02x", (int) c) : String.format("\\u%04x", (int) c));
        }
      } else if (out != null) {
        out.append(c);
      }
    }
    return out == null ? text : out.toString();
  }

  private static boolean isUnprintable(String text, int index) {
    char c = text.charAt(index);
    if (c < 0x7f) {
      return c < ' ';
    }
    int codePoint = text.codePointAt(index);
    if (Character.isLowSurrogate(c) && index > 0 && Character.isHighSurrogate(text.charAt(index - 1))) {
      codePoint = text.codePointAt(index - 1);
    }
    return switch (Character.getType(codePoint)) {
      case Character.CONTROL, Character.FORMAT, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR,
          Character.SURROGATE -> true;
      default -> false;
    };
  }

  static void write(List<Directive> directives, StringBuilder out, int depth) {
    for (Directive directive : directives) {
      out.append(INDENT.repeat(depth)).append(word(directive.name()));
      List<String> args = directive.args();
      boolean lua = isLuaCode(directive);
      for (int i = 0; i < args.size() - (lua ? 1 : 0); i++) {
        out.append(' ').append(word(args.get(i)));
      }
      if (lua) {
        // Lua code is written as it was read, between the braces of the block it came from.
        out.append(" {").append(args.get(args.size() - 1)).append("}\n");
      } else if (directive.hasBlock()) {
        out.append(" {\n");
        write(directive.children(), out, depth + 1);
        out.append(INDENT.repeat(depth)).append("}\n");
      } else {
        out.append(";\n");
      }
    }
  }
}
