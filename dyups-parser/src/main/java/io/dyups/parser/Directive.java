package io.dyups.parser;

import static com.google.common.base.Preconditions.checkArgument;
import static java.util.Objects.requireNonNull;

import java.util.AbstractList;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.RandomAccess;
import org.jspecify.annotations.Nullable;

/**
 * One directive of an nginx configuration: its name, its arguments (with quotes and escapes already resolved, as
 * nginx hands them to a directive handler), and its block when it has one ({@code http { ... }}). Immutable; equal
 * when name, arguments, positions and block are equal.
 *
 * <p>A parsed file holds hundreds of thousands of these, so positions are kept as line and column numbers and made
 * into {@link SourcePosition}s when asked for, and the lists are views of arrays made once.
 */
public final class Directive {
  private final String name;
  private final List<String> args;
  private final @Nullable List<Directive> block;
  private final String file;
  // Where the name and each argument start: their columns as a char[] when all are on this line (nearly always),
  // else line and column pairs in an int[].
  private final int line;
  private final Object places;
  // Positions in files other than the name's (only from the public constructor), else null.
  private final @Nullable List<SourcePosition> argPositionsElsewhere;

  /**
   * @param name the directive's name, the first word
   * @param args the arguments after the name, unquoted
   * @param argPositions where each argument starts, one per argument
   * @param block the directives inside {@code { }}, or {@code null} when the directive ended with {@code ;}
   * @param position where the directive's name starts
   */
  public Directive(
      String name,
      List<String> args,
      List<SourcePosition> argPositions,
      @Nullable List<Directive> block,
      SourcePosition position) {
    this.name = requireNonNull(name, "name");
    this.args = List.copyOf(args);
    List<SourcePosition> positions = List.copyOf(argPositions);
    checkArgument(this.args.size() == positions.size(), "one position per argument");
    this.block = block == null ? null : List.copyOf(block);
    this.file = requireNonNull(position, "position").file();
    boolean oneFile = true;
    for (SourcePosition argPosition : positions) {
      oneFile &= argPosition.file().equals(file);
    }
    this.argPositionsElsewhere = oneFile ? null : positions;
    int[] lineColumns = new int[2 + 2 * positions.size()];
    lineColumns[0] = position.line();
    lineColumns[1] = position.column();
    for (int i = 0; i < positions.size(); i++) {
      lineColumns[2 + 2 * i] = positions.get(i).line();
      lineColumns[3 + 2 * i] = positions.get(i).column();
    }
    this.line = position.line();
    this.places = places(lineColumns, lineColumns.length);
  }

  /** The places of {@code length / 2} words, given as line and column pairs, kept as small as they go. */
  static Object places(int[] lineColumns, int length) {
    int line = lineColumns[0];
    char[] columns = new char[length / 2];
    for (int i = 0; i < length; i += 2) {
      if (lineColumns[i] != line || lineColumns[i + 1] > Character.MAX_VALUE) {
        return java.util.Arrays.copyOf(lineColumns, length);
      }
      columns[i / 2] = (char) lineColumns[i + 1];
    }
    return columns;
  }

  /** A directive the parser read: arrays it hands over and no longer touches. */
  Directive(String name, String[] args, int argCount, Directive @Nullable [] block, int blockSize, String file,
      int line, Object places) {
    this.name = name;
    this.args = argCount == 0 ? List.of() : new ArrayView<>(args, argCount);
    this.block = block == null ? null : blockSize == 0 ? List.of() : new ArrayView<>(block, blockSize);
    this.file = file;
    this.line = line;
    this.places = places;
    this.argPositionsElsewhere = null;
  }

  /** The directive's name, the first word. */
  public String name() {
    return name;
  }

  /** The arguments after the name, unquoted. */
  public List<String> args() {
    return args;
  }

  /** Where each argument starts, one per argument. */
  public List<SourcePosition> argPositions() {
    if (argPositionsElsewhere != null) {
      return argPositionsElsewhere;
    }
    List<SourcePosition> positions = new ArrayList<>(args.size());
    for (int i = 0; i < args.size(); i++) {
      positions.add(argPosition(i));
    }
    return List.copyOf(positions);
  }

  /** Where argument {@code i} starts; the same as {@code argPositions().get(i)}. */
  SourcePosition argPosition(int i) {
    if (argPositionsElsewhere != null) {
      return argPositionsElsewhere.get(i);
    }
    return place(i + 1);
  }

  private SourcePosition place(int word) {
    if (places instanceof char[] columns) {
      return new SourcePosition(file, line, columns[word]);
    }
    int[] lineColumns = (int[]) places;
    return new SourcePosition(file, lineColumns[2 * word], lineColumns[2 * word + 1]);
  }

  /** The directives inside {@code { }}, or {@code null} when the directive ended with {@code ;}. */
  public @Nullable List<Directive> block() {
    return block;
  }

  /** Where the directive's name starts. */
  public SourcePosition position() {
    return place(0);
  }

  /** True when the directive has a block, even an empty one. */
  public boolean hasBlock() {
    return block != null;
  }

  /** The block's directives, empty when there is no block. */
  public List<Directive> children() {
    return block == null ? List.of() : block;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof Directive that
        && name.equals(that.name)
        && args.equals(that.args)
        && Objects.equals(block, that.block)
        && position().equals(that.position())
        && argPositions().equals(that.argPositions());
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, args, block, position(), argPositions());
  }

  @Override
  public String toString() {
    return "Directive[name=" + name + ", args=" + args + ", argPositions=" + argPositions() + ", block=" + block
        + ", position=" + position() + "]";
  }

  /** An unmodifiable list over the first {@code size} elements of an array nothing else changes. */
  private static final class ArrayView<E> extends AbstractList<E> implements RandomAccess {
    private final E[] elements;
    private final int size;

    ArrayView(E[] elements, int size) {
      this.elements = elements;
      this.size = size;
    }

    @Override
    public E get(int index) {
      if (index >= size) {
        throw new IndexOutOfBoundsException(index);
      }
      return elements[index];
    }

    @Override
    public int size() {
      return size;
    }
  }
}
