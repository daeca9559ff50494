package io.dyups.parser;

import static com.google.common.base.Preconditions.checkArgument;
import static java.util.Objects.requireNonNull;

/**
 * Where something stands in a configuration source: the file (or a name such as {@code "<commands>"} for text
 * that came from no file), the 1-based line and the 1-based column (counted in characters).
 */
public record SourcePosition(String file, int line, int column) {
  public SourcePosition {
    requireNonNull(file, "file");
    checkArgument(line >= 1, "line must be >= 1: %s", line);
    checkArgument(column >= 1, "column must be >= 1: %s", column);
  }

  /** {@code file:line:column}, the form compilers and editors understand. */
  @Override
  public String toString() {
    return file + ":" + line + ":" + column;
  }
}
