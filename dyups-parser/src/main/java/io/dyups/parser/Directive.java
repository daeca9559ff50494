package io.dyups.parser;

import static com.google.common.base.Preconditions.checkArgument;
import static java.util.Objects.requireNonNull;

import java.util.AbstractList;
import java.util.ArrayList;
import java.util.Arrays;
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
  // Where the name and each argument start, in one of three forms (see place): a char[] of the line, as two
  // chars, then each word's column, when all are on one line (nearly always); an int[] of line and column pairs
  // when they span lines; a SourcePosition[] when an argument is in another file (only from the public
  // constructor).
  private final Object places;

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
    if (oneFile) {
      int[] lineColumns = new int[2 + 2 * positions.size()];
      lineColumns[0] = position.line();
      lineColumns[1] = position.column();
      for (int i = 0; i < positions.size(); i++) {
        lineColumns[2 + 2 * i] = positions.get(i).line();
        lineColumns[3 + 2 * i] = positions.get(i).column();
      }
      this.places = places(lineColumns, lineColumns.length);
    } else {
      SourcePosition[] all = new SourcePosition[1 + positions.size()];
      all[0] = position;
      for (int i = 0; i < positions.size(); i++) {
        all[1 + i] = positions.get(i);
      }
      this.places = all;
    }
  }

  /** The places of {@code length / 2} words, given as line and column pairs, kept as small as they go. */
  static Object places(int[] lineColumns, int length) {
    int line = lineColumns[0];
    char[] columns = new char[2 + length / 2];
    columns[0] = (char) (line >>> 16);
    columns[1] = (char) line;
    for (int i = 0; i < length; i += 2) {
      if (lineColumns[i] != line || lineColumns[i + 1] > Character.MAX_VALUE) {
        return Arrays.copyOf(lineColumns, length);
      }
      columns[2 + i / 2] = (char) lineColumns[i + 1];
    }
    return columns;
  }

  /**
   * A directive the parser read: an unmodifiable list of arguments (see {@link #args(String[], int, int)}), a block
   * array it hands over and no longer touches, places as {@link #places} makes them.
   */
  Directive(String name, List<String> args, Directive @Nullable [] block, int blockSize, String file,
      Object places) {
    this.name = name;
    this.args = args;
    this.block = block == null ? null : blockSize == 0 ? List.of() : new ArrayView<>(block, blockSize);
    this.file = file;
    this.places = places;
  }

  /**
   * The unmodifiable list of {@code count} arguments from {@code words[from]}, as small as it goes: one or two are
   * held in the list itself (most directives have no more), more in a copy of the array.
   */
  static List<String> args(String[] words, int from, int count) {
    return switch (count) {
      case 0 -> List.of();
      case 1 -> List.of(words[from]);
      case 2 -> List.of(words[from], words[from + 1]);
      default -> new ArrayView<>(Arrays.copyOfRange(words, from, from + count), count);
    };
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
    List<SourcePosition> positions = new ArrayList<>(args.size());
    for (int i = 0; i < args.size(); i++) {
      positions.add(argPosition(i));
    }
    return List.copyOf(positions);
  }

  /** Where argument {@code i} starts; the same as {@code argPositions().get(i)}. */
  SourcePosition argPosition(int i) {
    return place(i + 1);
  }

  private SourcePosition place(int word) {
    if (places instanceof char[] columns) {
      return new SourcePosition(file, columns[0] << 16 | columns[1], columns[2 + word]);
    }
    if (places instanceof int[] lineColumns) {
      return new SourcePosition(file, lineColumns[2 * word], lineColumns[2 * word + 1]);
    }
    return ((SourcePosition[]) places)[word];
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
