package io.dyups.core;

import static java.util.Objects.requireNonNull;

import org.jspecify.annotations.Nullable;

/**
 * One change a listener is told of: {@code previous} is null when the upstream was created, {@code current} is
 * null when it was deleted, and both are set when it was replaced.
 */
public record UpstreamChange(String name, @Nullable Upstream previous, @Nullable Upstream current) {
  public UpstreamChange {
    requireNonNull(name, "name");
  }
}
