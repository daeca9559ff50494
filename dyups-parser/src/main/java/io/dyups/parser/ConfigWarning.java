package io.dyups.parser;

import static java.util.Objects.requireNonNull;

/**
 * Something nginx accepts but warns about when it reads a configuration, such as {@code load balancing method
 * redefined}: the reason in nginx's words and where it is. A caller that wants nginx's behaviour logs it at
 * warning level, as {@code toString()} gives it: {@code reason in file:line:column}.
 */
public record ConfigWarning(String reason, SourcePosition position) {
  public ConfigWarning {
    requireNonNull(reason, "reason");
    requireNonNull(position, "position");
  }

  /** {@code reason in file:line:column}, the form of a {@link ConfigSyntaxException}'s message. */
  @Override
  public String toString() {
    return reason + " in " + position;
  }
}
