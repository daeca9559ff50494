package io.dyups.parser;

import static java.util.Objects.requireNonNull;

/**
 * The one exception the parser throws for input it rejects: a syntax error, an unknown directive, an invalid
 * argument or parameter, a missing include. {@link #reason()} is nginx's own wording for the problem (for example
 * {@code unexpected "}"} or {@code invalid port in "1.2.3.4:99999"}); {@link #getMessage()} adds where it is, as
 * {@code reason in file:line:column}.
 *
 * <p>The reason quotes what it rejects, and that can be anything a caller sent, so it is made safe to show in a
 * terminal or a log: control characters are written as {@code \xNN} escapes, and invisible format characters (such
 * as U+202E, which reverses the text after it) and other characters that do not show as themselves as a backslash,
 * {@code u} and four hex digits; a reason longer than {@value #MAX_REASON} characters keeps its start and end
 * around a note of how much was left out.
 */
public final class ConfigSyntaxException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** The longest reason kept whole. */
  public static final int MAX_REASON = 256;
  private static final int KEPT_TAIL = 32;

  private final String reason;
  private final SourcePosition position;

  public ConfigSyntaxException(String reason, SourcePosition position) {
    super(null, null, false, false);
    this.reason = printable(requireNonNull(reason, "reason"));
    this.position = requireNonNull(position, "position");
  }

  /** {@code reason in file:line:column}. */
  @Override
  public String getMessage() {
    return reason + " in " + position;
  }

  private static String printable(String reason) {
    String text = reason;
    if (text.length() > MAX_REASON) {
      int head = MAX_REASON - KEPT_TAIL;
      text = text.substring(0, head) + "[... " + (text.length() - head - KEPT_TAIL) + " characters left out ...]"
          + text.substring(text.length() - KEPT_TAIL);
    }
    return ConfigText.escapeUnprintable(text);
  }

  /** What is wrong, in nginx's words, without the position. */
  public String reason() {
    return reason;
  }

  /** Where it is wrong. */
  public SourcePosition position() {
    return position;
  }

  /** The file (or source name) where it is wrong. */
  public String file() {
    return position.file();
  }

  /** The 1-based line where it is wrong. */
  public int line() {
    return position.line();
  }

  /** The 1-based column where it is wrong. */
  public int column() {
    return position.column();
  }
}
