package io.dyups.core;

import io.dyups.parser.Address;
import io.dyups.parser.ConfigSyntaxException;
import io.dyups.parser.Directive;
import io.dyups.parser.NginxConfig;
import io.dyups.parser.ServerSpec;
import io.dyups.parser.SourcePosition;
import io.dyups.parser.UpstreamBlock;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Why a configuration loaded at start is refused for its host names, where nginx refuses to start: {@code host not
 * found in upstream "NAME:PORT"} (ngx_http_upstream_server, with the address as its server line writes it) at the
 * position of that line, as {@code ngx_conf_log_error} names it. The upstream model keeps no positions, so the line
 * is found again in the file, only on this path, which ends the start anyway.
 */
final class StartRefusal {
  private StartRefusal() {}

  /**
   * The exception that refuses the start: {@code reason} at the server line of {@code server} in upstream {@code
   * block} of {@code config} (the upstream's line when the server's is not found, the file's start when neither is).
   */
  static ConfigSyntaxException of(String reason, @Nullable ServerSpec server, UpstreamBlock block, Path config) {
    Directive upstream = null;
    Directive line = null;
    try {
      for (Directive candidate : upstreams(NginxConfig.load(config).directives(), block.name())) {
        upstream = candidate;
        line = server == null ? null : serverLine(candidate, server.address());
        if (line != null) {
          break;
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (line != null && reason.startsWith("host not found in upstream ")) {
      // nginx quotes the URL as written: "backend.local", not the "backend.local:80" the model knows.
      return new ConfigSyntaxException(HostTable.notFound(line.args().get(0)), line.position());
    }
    SourcePosition position = line != null ? line.position()
        : upstream != null ? upstream.position() : new SourcePosition(config.toString(), 1, 1);
    return new ConfigSyntaxException(reason, position);
  }

  // The blocks "upstream NAME" wherever they are (the http block, or an upstream.conf of upstreams only), in order.
  private static List<Directive> upstreams(List<Directive> directives, String name) {
    String key = UpstreamBlock.foldName(name);
    List<Directive> found = new ArrayList<>();
    for (Directive directive : directives) {
      if (directive.name().equals("upstream") && !directive.args().isEmpty()
          && UpstreamBlock.foldName(directive.args().get(0)).equals(key)) {
        found.add(directive);
      } else if (directive.hasBlock()) {
        found.addAll(upstreams(directive.children(), name));
      }
    }
    return found;
  }

  private static @Nullable Directive serverLine(Directive upstream, Address address) {
    for (Directive child : upstream.children()) {
      if (child.name().equals("server") && !child.args().isEmpty() && address.equals(parse(child.args().get(0)))) {
        return child;
      }
    }
    return null;
  }

  private static @Nullable Address parse(String text) {
    try {
      return Address.parse(text);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
