package io.dyups.parser;

import com.google.common.net.InetAddresses;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * Builds {@link UpstreamBlock}s from directives with nginx's rules and nginx's words for what breaks them: the
 * rules of names and addresses here, one method per directive in {@link UpstreamDraft}, the {@code server} line in
 * {@link ServerLine}, Tengine's check directives in {@link HealthCheckDraft}.
 */
final class UpstreamModelBuilder {
  /** The longest DNS name (RFC 1035, without the trailing dot). */
  static final int MAX_HOST_NAME = 253;
  /** The size of sockaddr_un's sun_path on Linux, the terminating NUL included. */
  static final int MAX_UNIX_PATH = 108;

  /** Characters an upstream name must not hold: nginx syntax, a path separator, a variable, an escape. */
  private static final String NOT_IN_NAMES = ";{}\"'#$/\\";

  private UpstreamModelBuilder() {}

  /**
   * Why {@code name} cannot be an upstream name, or {@code null} when it can. A name must be written back as one
   * bare nginx word and used in {@code proxy_pass http://NAME}, so nothing a caller sends can inject
   * configuration into a persisted file.
   */
  static @Nullable String nameProblem(String name) {
    if (name.isEmpty()) {
      return "invalid upstream name \"\": it is empty";
    }
    if (name.equals(".") || name.equals("..")) {
      // No admin path can name it: "." and ".." segments are refused there.
      return "invalid upstream name \"" + name + "\": a dot segment";
    }
    // A char is at most three bytes of UTF-8 (a surrogate pair four for two chars): only a longer name can exceed.
    if (name.length() > 255 / 3 && name.getBytes(StandardCharsets.UTF_8).length > 255) {
      return "invalid upstream name: longer than 255 bytes";
    }
    for (int i = 0; i < name.length(); i += Character.charCount(name.codePointAt(i))) {
      int c = name.codePointAt(i);
      if (c > ' ' && c < 0x7F && NOT_IN_NAMES.indexOf(c) < 0) {
        // Printable ASCII that may be in a name, nearly every character of every name: nothing below refuses it.
        continue;
      }
      if (c <= ' ' || Character.isWhitespace(c) || Character.isSpaceChar(c) || Character.isISOControl(c)) {
        return "invalid upstream name \"" + printable(name) + "\": whitespace or control character";
      }
      if (Character.getType(c) == Character.FORMAT) {
        // U+202E and the other bidirectional controls, zero-width characters: a listing would show another name.
        return "invalid upstream name \"" + printable(name) + "\": invisible format character U+"
            + Integer.toHexString(c).toUpperCase(Locale.ROOT);
      }
      if (ConfigBytes.isRawByte(c)) {
        return "invalid upstream name \"" + printable(name) + "\": byte 0x"
            + Integer.toHexString(ConfigBytes.rawByte(c)).toUpperCase(Locale.ROOT) + " is not UTF-8";
      }
      if (Character.getType(c) == Character.SURROGATE) {
        // No UTF-8 encodes it: the persisted file would hold "?" and read back as another name.
        return "invalid upstream name: lone surrogate U+" + Integer.toHexString(c).toUpperCase(Locale.ROOT);
      }
      if (NOT_IN_NAMES.indexOf(c) >= 0) {
        return "invalid upstream name \"" + printable(name) + "\": character \"" + (char) c + "\" is not allowed";
      }
    }
    return null;
  }

  /** At most 64 characters of a refused name, escaped as {@link ConfigText#escapeUnprintable} does. */
  private static String printable(String name) {
    int end = name.length() <= 64 ? name.length() : name.offsetByCodePoints(0, 64);
    return ConfigText.escapeUnprintable(name.substring(0, end));
  }

  /**
   * Builds one upstream from the directives of its block, one {@link UpstreamDraft} method per directive;
   * {@code where} is used for block-level errors, and {@code warnings} is told what nginx would warn about.
   */
  static UpstreamBlock build(
      String name, List<Directive> body, SourcePosition where, Consumer<? super ConfigWarning> warnings) {
    return build(name, body, where, warnings, SharedHosts.UNSHARED);
  }

  /** {@link #build(String, List, SourcePosition, Consumer)}, its servers' hosts shared through {@code hosts}. */
  static UpstreamBlock build(String name, List<Directive> body, SourcePosition where,
      Consumer<? super ConfigWarning> warnings, SharedHosts hosts) {
    UpstreamDraft draft = new UpstreamDraft(name, warnings, hosts);
    for (int i = 0; i < body.size(); i++) {
      draft.directive(body.get(i));
    }
    return draft.finish(where);
  }

  /**
   * The server address, as nginx's ngx_parse_url reads it for an upstream server (default port 80). Host names
   * are kept as names here: the registry resolves them when the upstream is defined.
   */
  static Address address(String text, SourcePosition where) {
    return address(text, where, "upstream", Address.DEFAULT_PORT, SharedHosts.UNSHARED);
  }

  /** {@link #address(String, SourcePosition)}, a host name or IPv4 address shared through {@code hosts}. */
  static Address address(String text, SourcePosition where, SharedHosts hosts) {
    return address(text, where, "upstream", Address.DEFAULT_PORT, hosts);
  }

  /**
   * An address as ngx_parse_url reads it for the directive {@code context} names in its messages ({@code
   * upstream} or {@code resolver}), {@code defaultPort} when none is written; a host name or IPv4 address is
   * taken from {@code hosts} when it was read before.
   */
  static Address address(String text, SourcePosition where, String context, int defaultPort, SharedHosts hosts) {
    if (text.regionMatches(true, 0, "unix:", 0, 5)) {
      if (!context.equals("upstream")) {
        // A resolver is asked over UDP or TCP; nginx would fail to reach one at a socket path.
        throw new ConfigSyntaxException("invalid host" + in(context, text), where);
      }
      String path = text.substring(5);
      if (path.isEmpty()) {
        throw new ConfigSyntaxException(
            "no path in the unix domain socket" + in(context, text), where);
      }
      for (int i = 0; i < path.length(); i++) {
        if (ConfigBytes.isRawByte(path.charAt(i))) {
          // nginx takes any bytes; a Java socket address needs a path that is text.
          throw new ConfigSyntaxException(
              "invalid path in the unix domain socket" + in(context, text) + ": not UTF-8", where);
        }
      }
      // nginx's check: the path and its terminating NUL must fit sockaddr_un's sun_path (108 bytes on Linux).
      if (path.getBytes(StandardCharsets.UTF_8).length + 1 > MAX_UNIX_PATH) {
        throw new ConfigSyntaxException(
            "too long path in the unix domain socket" + in(context, text), where);
      }
      return new Address(Address.Kind.UNIX, path, 0);
    }
    if (text.startsWith("[")) {
      int close = text.indexOf(']');
      if (close < 0) {
        throw new ConfigSyntaxException("invalid host" + in(context, text), where);
      }
      String host = text.substring(1, close);
      String rest = text.substring(close + 1);
      int port = defaultPort;
      if (!rest.isEmpty()) {
        if (rest.charAt(0) != ':') {
          throw new ConfigSyntaxException("invalid host" + in(context, text), where);
        }
        port = port(text, close + 2, context, where);
      }
      if (host.isEmpty() || !InetAddresses.isInetAddress(host) || !host.contains(":")) {
        throw new ConfigSyntaxException("invalid IPv6 address" + in(context, text), where);
      }
      return new Address(Address.Kind.IPV6, host, port);
    }
    if (text.indexOf('/') >= 0) {
      throw new ConfigSyntaxException("invalid host" + in(context, text), where);
    }
    int colon = text.indexOf(':');
    String host = hosts.host(text, colon < 0 ? text.length() : colon);
    int port = colon < 0 ? defaultPort : port(text, colon + 1, context, where);
    if (host.isEmpty()) {
      throw new ConfigSyntaxException("no host" + in(context, text), where);
    }
    for (int i = 0; i < host.length(); i++) {
      char c = host.charAt(i);
      boolean hostChar = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || c == '.' || c == '-' || c == '_';
      if (!hostChar) {
        throw new ConfigSyntaxException("invalid host" + in(context, text), where);
      }
    }
    // nginx would fail to resolve a longer name; refusing it here keeps a megabyte "host" out of the registry.
    if (host.length() > MAX_HOST_NAME) {
      throw new ConfigSyntaxException("invalid host" + in(context, text), where);
    }
    boolean ipv4 = dots(host) == 3 && InetAddresses.isInetAddress(host);
    if (!ipv4 && !isHostName(host)) {
      // nginx resolves host names when it reads the configuration, and no name of this form resolves.
      throw new ConfigSyntaxException("host not found" + in(context, text), where);
    }
    return new Address(ipv4 ? Address.Kind.IPV4 : Address.Kind.HOST, host, port);
  }

  // The end of ngx_parse_url's messages; made only for a message (an address is read for every server).
  private static String in(String context, String text) {
    return " in " + context + " \"" + text + "\"";
  }

  private static int dots(String host) {
    int dots = 0;
    for (int i = 0; i < host.length(); i++) {
      if (host.charAt(i) == '.') {
        dots++;
      }
    }
    return dots;
  }

  /**
   * True for a name of DNS labels (RFC 1123: 1 to 63 characters each, not beginning or ending with {@code -}),
   * separated by dots, with at most a final dot. The characters were checked before.
   */
  private static boolean isHostName(String host) {
    int end = host.endsWith(".") ? host.length() - 1 : host.length();
    int label = 0;
    while (label <= end) {
      int dot = host.indexOf('.', label);
      int stop = dot < 0 || dot > end ? end : dot;
      int length = stop - label;
      if (length == 0 || length > 63 || host.charAt(label) == '-' || host.charAt(stop - 1) == '-') {
        return false;
      }
      label = stop + 1;
    }
    return true;
  }

  // The port: text's digits from index from on.
  private static int port(String text, int from, String context, SourcePosition where) {
    int port = NginxValues.parseInt(text, from);
    if (port < 1 || port > 65535) {
      throw new ConfigSyntaxException("invalid port" + in(context, text), where);
    }
    return port;
  }

  static ConfigSyntaxException invalidArgumentCount(Directive directive) {
    return new ConfigSyntaxException(
        "invalid number of arguments in \"" + directive.name() + "\" directive", directive.position());
  }

  static ConfigSyntaxException invalidParameter(Directive directive, int arg) {
    return new ConfigSyntaxException(
        "invalid parameter \"" + directive.args().get(arg) + "\"", directive.argPositions().get(arg));
  }
}
