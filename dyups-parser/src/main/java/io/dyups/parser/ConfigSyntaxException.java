package io.dyups.parser;

import static java.util.Objects.requireNonNull;

/**
 * The one exception the parser throws for input it rejects: a syntax error, an unknown directive, an invalid
 * argument or parameter, a missing include. {@link #reason()} is nginx's own wording for the problem (for example
 * {@code unexpected "}"} or {@code invalid port in "1.2.3.4:99999"}); {@link #getMessage()} adds where it is, as
 * {@code reason in file:line:column}.
 */
public final class ConfigSyntaxException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String reason;
  private final SourcePosition position;

  public ConfigSyntaxException(String reason, SourcePosition position) {
    super(requireNonNull(reason, "reason") + " in " + requireNonNull(position, "position"), null, false, false);
    this.reason = reason;
    this.position = position;
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
