package io.dyups.admin;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the tables of bad input under {@code src/test/resources/bad-input/}: tab-separated columns, {@code ##}
 * comments, and escapes in the last column so that any byte or character can be written on one line.
 *
 * <p>Escapes: {@code \n \r \t \\ \0}; {@code \xHH} one raw byte (not UTF-8); {@code \\u{H..}} one UTF-16 code unit
 * or code point (a lone surrogate only where the row is Java-only); {@code [[UNIT*N]]} the unit N times.
 */
final class BadInputRows {
  private BadInputRows() {}

  /** The rows of a table: each its columns, the last one still escaped. */
  static List<String[]> read(String resource, int columns) {
    List<String[]> rows = new ArrayList<>();
    try (InputStream in = BadInputRows.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("no resource " + resource);
      }
      String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      for (String line : text.split("\n", -1)) {
        if (line.isEmpty() || line.startsWith("## ")) {
          continue;
        }
        String[] row = line.split("\t", columns);
        if (row.length != columns) {
          throw new IllegalStateException(resource + ": not " + columns + " columns: " + line);
        }
        rows.add(row);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return rows;
  }

  /** The escaped text as bytes: characters as UTF-8, {@code \xHH} as the raw byte. */
  static byte[] bytes(String escaped) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    decode(escaped, out, null);
    return out.toByteArray();
  }

  /** The escaped text as a Java string (lone surrogates kept); {@code \xHH} must be ASCII here. */
  static String text(String escaped) {
    StringBuilder out = new StringBuilder();
    decode(escaped, null, out);
    return out.toString();
  }

  /** A shortened, printable form of the escaped text, for test names. */
  static String display(String escaped) {
    return escaped.length() <= 60 ? escaped : escaped.substring(0, 57) + "...";
  }

  private static void decode(String s, ByteArrayOutputStream bytes, StringBuilder chars) {
    int open = s.indexOf("[[");
    if (open >= 0) {
      int close = s.indexOf("]]", open);
      String inner = s.substring(open + 2, close);
      int star = inner.lastIndexOf('*');
      int times = Integer.parseInt(inner.substring(star + 1));
      decode(s.substring(0, open), bytes, chars);
      ByteArrayOutputStream unitBytes = bytes == null ? null : new ByteArrayOutputStream();
      StringBuilder unitChars = chars == null ? null : new StringBuilder();
      decode(inner.substring(0, star), unitBytes, unitChars);
      for (int i = 0; i < times; i++) {
        if (bytes != null) {
          bytes.writeBytes(unitBytes.toByteArray());
        } else {
          chars.append(unitChars);
        }
      }
      decode(s.substring(close + 2), bytes, chars);
      return;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      String unit;
      if (c != '\\' || i + 1 == s.length()) {
        unit = String.valueOf(c);
      } else {
        char next = s.charAt(++i);
        switch (next) {
          case 'n' -> unit = "\n";
          case 'r' -> unit = "\r";
          case 't' -> unit = "\t";
          case '0' -> unit = "\0";
          case '\\' -> unit = "\\";
          case 'x' -> {
            int value = Integer.parseInt(s.substring(i + 1, i + 3), 16);
            i += 2;
            if (bytes != null) {
              bytes.write(value);
              continue;
            }
            if (value >= 0x80) {
              throw new IllegalArgumentException("a raw byte in a Java-only row: " + s);
            }
            unit = String.valueOf((char) value);
          }
          case 'u' -> {
            int end = s.indexOf('}', i);
            int code = Integer.parseInt(s.substring(i + 2, end), 16);
            i = end;
            unit = code > 0xffff ? new String(Character.toChars(code)) : String.valueOf((char) code);
          }
          default -> unit = "\\" + next;
        }
      }
      if (bytes != null) {
        bytes.writeBytes(unit.getBytes(StandardCharsets.UTF_8));
      } else {
        chars.append(unit);
      }
    }
  }
}
