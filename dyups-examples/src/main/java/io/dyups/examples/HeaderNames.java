package io.dyups.examples;

import io.netty.util.AsciiString;

/**
 * The header names the proxy writes itself, spelled as nginx spells them on the wire (Netty's own constants are
 * lower case, which HTTP allows but people reading a capture do not expect).
 */
final class HeaderNames {
  private HeaderNames() {}

  static final AsciiString HOST = AsciiString.cached("Host");
  static final AsciiString CONNECTION = AsciiString.cached("Connection");
  static final AsciiString CONTENT_LENGTH = AsciiString.cached("Content-Length");
  static final AsciiString CONTENT_TYPE = AsciiString.cached("Content-Type");
  static final AsciiString TRANSFER_ENCODING = AsciiString.cached("Transfer-Encoding");
  static final AsciiString SERVER = AsciiString.cached("Server");
  static final AsciiString DATE = AsciiString.cached("Date");
  static final AsciiString LOCATION = AsciiString.cached("Location");
}
