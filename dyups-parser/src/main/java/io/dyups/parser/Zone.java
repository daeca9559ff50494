package io.dyups.parser;

import static com.google.common.base.Preconditions.checkArgument;
import static java.util.Objects.requireNonNull;

/** {@code zone NAME [SIZE];}: the shared memory zone of an upstream; {@code size} is 0 when not written. */
public record Zone(String name, long size) {
  public Zone {
    requireNonNull(name, "name");
    checkArgument(size >= 0, "size must be >= 0: %s", size);
  }
}
