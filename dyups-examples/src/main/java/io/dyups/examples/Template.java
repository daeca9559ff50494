package io.dyups.examples;

import io.dyups.parser.ConfigSyntaxException;
import io.dyups.parser.SourcePosition;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A directive argument with nginx variables in it ({@code "$remote_addr - [$time_local] \"$request\""},
 * {@code $proxy_add_x_forwarded_for}), compiled once when the configuration is read, evaluated against one
 * {@link Exchange} per use: literal text and {@link Variable}s taking turns. A variable nginx does not know stops
 * start-up with nginx's message, {@code unknown "name" variable}.
 */
final class Template {
  /** How a log format escapes variable values (nginx's {@code log_format escape=}). */
  enum Escape {
    /** {@code "}, {@code \} and bytes outside 32..126 as {@code \xXX}; a value that is not found is {@code -}. */
    DEFAULT,
    /** JSON string escapes; a value that is not found is empty. */
    JSON,
    /** As it is; a value that is not found is empty. */
    NONE
  }

  private final String text;
  // literals.length == variables.length + 1: literal, variable, literal, ... literal.
  private final String[] literals;
  private final Variable[] variables;

  private Template(String text, String[] literals, Variable[] variables) {
    this.text = text;
    this.literals = literals;
    this.variables = variables;
  }

  /**
   * Compiles {@code text}: {@code $name} or {@code ${name}} is a variable, a name made of letters, digits and
   * underscores.
   *
   * @throws ConfigSyntaxException for an unknown variable, at {@code position}
   */
  static Template compile(String text, SourcePosition position) {
    List<String> literals = new ArrayList<>();
    List<Variable> variables = new ArrayList<>();
    StringBuilder literal = new StringBuilder();
    int i = 0;
    while (i < text.length()) {
      char c = text.charAt(i);
      if (c != '$') {
        literal.append(c);
        i++;
        continue;
      }
      int start = i + 1;
      boolean braced = start < text.length() && text.charAt(start) == '{';
      if (braced) {
        start++;
      }
      int end = start;
      while (end < text.length() && isNameChar(text.charAt(end))) {
        end++;
      }
      if (end == start) {
        throw new ConfigSyntaxException("invalid variable name", position);
      }
      if (braced) {
        if (end >= text.length() || text.charAt(end) != '}') {
          throw new ConfigSyntaxException("the closing bracket in \"" + text.substring(start, end)
              + "\" variable is missing", position);
        }
      }
      String name = text.substring(start, end);
      Variable variable = Variable.named(name);
      if (variable == null) {
        throw new ConfigSyntaxException("unknown \"" + name + "\" variable", position);
      }
      literals.add(literal.toString());
      literal.setLength(0);
      variables.add(variable);
      i = braced ? end + 1 : end;
    }
    literals.add(literal.toString());
    return new Template(text, literals.toArray(new String[0]), variables.toArray(new Variable[0]));
  }

  private static boolean isNameChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  }

  /** Whether the template reads variable {@code name}. */
  boolean uses(String name) {
    Variable wanted = Variable.named(name);
    for (Variable variable : variables) {
      if (variable == wanted) {
        return true;
      }
    }
    return false;
  }

  /** True when there are no variables: the value is {@link #constant()}. */
  boolean isConstant() {
    return variables.length == 0;
  }

  String constant() {
    return literals[0];
  }

  /** The value for {@code exchange}, variables that are not found being empty (as in proxy_set_header). */
  String evaluate(Exchange exchange) {
    if (variables.length == 0) {
      return literals[0];
    }
    StringBuilder out = new StringBuilder(64);
    append(out, exchange, Escape.NONE);
    return out.toString();
  }

  /** Appends the value for {@code exchange}, escaping variable values (never the literal text) as asked. */
  void append(StringBuilder out, Exchange exchange, Escape escape) {
    for (int i = 0; i < variables.length; i++) {
      out.append(literals[i]);
      if (escape == Escape.NONE) {
        variables[i].append(out, exchange);
        continue;
      }
      int start = out.length();
      boolean found = variables[i].append(out, exchange);
      if (!found) {
        if (escape == Escape.DEFAULT) {
          out.append('-');
        }
        continue;
      }
      escapeFrom(out, start, escape);
    }
    out.append(literals[variables.length]);
  }

  // nginx's ngx_http_log_escape and ngx_escape_json, applied to what a variable appended.
  private static void escapeFrom(StringBuilder out, int start, Escape escape) {
    int end = out.length();
    int i = start;
    while (i < end && !needsEscape(out.charAt(i), escape)) {
      i++;
    }
    if (i == end) {
      return;
    }
    String value = out.substring(i, end);
    out.setLength(i);
    for (int j = 0; j < value.length(); j++) {
      char c = value.charAt(j);
      if (!needsEscape(c, escape)) {
        out.append(c);
      } else if (escape == Escape.DEFAULT) {
        int b = c & 0xFF;
        out.append("\\x").append(HEX[b >> 4]).append(HEX[b & 0xF]);
      } else {
        switch (c) {
          case '"' -> out.append("\\\"");
          case '\\' -> out.append("\\\\");
          case '\n' -> out.append("\\n");
          case '\r' -> out.append("\\r");
          case '\t' -> out.append("\\t");
          case '\b' -> out.append("\\b");
          case '\f' -> out.append("\\f");
          default -> out.append("\\u00").append(HEX[(c >> 4) & 0xF]).append(HEX[c & 0xF]);
        }
      }
    }
  }

  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

  private static boolean needsEscape(char c, Escape escape) {
    if (escape == Escape.DEFAULT) {
      return c < 0x20 || c > 0x7e || c == '"' || c == '\\';
    }
    return c < 0x20 || c == '"' || c == '\\';
  }

  @Override
  public String toString() {
    return text;
  }

  /** The name of a variable lower-cased, as nginx compares them. */
  static String fold(String name) {
    return name.toLowerCase(Locale.ROOT);
  }
}
