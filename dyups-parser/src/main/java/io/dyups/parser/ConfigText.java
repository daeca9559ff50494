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

  static void write(List<Directive> directives, StringBuilder out, int depth) {
    for (Directive directive : directives) {
      out.append(INDENT.repeat(depth)).append(word(directive.name()));
      for (String arg : directive.args()) {
        out.append(' ').append(word(arg));
      }
      if (directive.hasBlock()) {
        out.append(" {\n");
        write(directive.children(), out, depth + 1);
        out.append(INDENT.repeat(depth)).append("}\n");
      } else {
        out.append(";\n");
      }
    }
  }
}
