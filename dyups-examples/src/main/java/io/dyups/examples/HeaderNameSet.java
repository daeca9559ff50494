package io.dyups.examples;

import io.netty.util.AsciiString;

/**
 * A small fixed set of header names (at most 32), looked up case-insensitively by index. Most names a request or
 * response carries are ruled out by their length alone (one bit per length), so a header that is none of them
 * costs a shift and a mask; the proxy asks this of every header it reads or passes on.
 */
final class HeaderNameSet {
  private final AsciiString[] names;
  private final long lengths;

  HeaderNameSet(AsciiString... names) {
    if (names.length > 32) {
      throw new IllegalArgumentException("at most 32 names, not " + names.length);
    }
    this.names = names.clone();
    long bits = 0;
    for (AsciiString name : names) {
      if (name.length() < 64) {
        bits |= 1L << name.length();
      }
    }
    this.lengths = bits;
  }

  /** The position of {@code name} in the set, whatever its case; -1 when it is none of them. */
  int indexOf(CharSequence name) {
    int length = name.length();
    if (length >= 64 || (lengths & (1L << length)) == 0) {
      return -1;
    }
    for (int i = 0; i < names.length; i++) {
      if (names[i].length() == length && names[i].contentEqualsIgnoreCase(name)) {
        return i;
      }
    }
    return -1;
  }

  /** The name at {@code index}, as given. */
  AsciiString get(int index) {
    return names[index];
  }
}
