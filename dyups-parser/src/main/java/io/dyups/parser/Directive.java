package io.dyups.parser;

import static com.google.common.base.Preconditions.checkArgument;
import static java.util.Objects.requireNonNull;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One directive of an nginx configuration: its name, its arguments (with quotes and escapes already resolved, as
 * nginx hands them to a directive handler), and its block when it has one ({@code http { ... }}). Immutable.
 *
 * @param name the directive's name, the first word
 * @param args the arguments after the name, unquoted
 * @param argPositions where each argument starts, one per argument
 * @param block the directives inside {@code { }}, or {@code null} when the directive ended with {@code ;}
 * @param position where the directive's name starts
 */
public record Directive(
    String name,
    List<String> args,
    List<SourcePosition> argPositions,
    @Nullable List<Directive> block,
    SourcePosition position) {

  public Directive {
    requireNonNull(name, "name");
    args = List.copyOf(args);
    argPositions = List.copyOf(argPositions);
    checkArgument(args.size() == argPositions.size(), "one position per argument");
    block = block == null ? null : List.copyOf(block);
    requireNonNull(position, "position");
  }

  /** True when the directive has a block, even an empty one. */
  public boolean hasBlock() {
    return block != null;
  }

  /** The block's directives, empty when there is no block. */
  public List<Directive> children() {
    return block == null ? List.of() : block;
  }
}
