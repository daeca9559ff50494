package io.dyups.parser;

import static java.util.Objects.requireNonNull;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * Finds the {@code upstream} blocks of a configuration where nginx allows them, builds each one, and checks what
 * spans blocks: names unique as {@link UpstreamBlock#foldName} compares them, and shared memory zones.
 *
 * <p><b>Where an upstream may stand.</b> nginx allows {@code upstream} in the {@code http} and {@code stream}
 * blocks only; anywhere else (the main level of nginx.conf, a {@code server}, a {@code location}, another
 * upstream) it stops with {@code "upstream" directive is not allowed here}. An included file is read in the
 * context of its {@code include}. The top level of a file read on its own is one of two things, decided by the
 * first top-level {@code upstream}, {@code events}, {@code http}, {@code stream} or {@code mail} in it:
 * <ul>
 *   <li>nginx's main context (an nginx.conf) when that is {@code events}, {@code http}, {@code stream} or
 *       {@code mail}, blocks that nginx allows at the main level only (and every nginx.conf has {@code events});
 *       a later top-level {@code upstream} is not allowed there;
 *   <li>an {@code http}-level fragment (an upstream.conf that an nginx.conf includes inside {@code http}) when it
 *       is {@code upstream}; a later top-level {@code events}, {@code http}, {@code stream} or {@code mail} is not
 *       allowed there.
 * </ul>
 * A file with none of them holds no upstream. dyups's own file of upstreams is stricter (see {@link
 * #upstreamsOnly}).
 *
 * <p>Blocks whose children are data rather than directives ({@code map}, {@code types}, {@code geo},
 * {@code split_clients}, {@code charset_map}, {@code match}) are not looked into. Not thread-safe: one collector
 * reads one configuration, then {@link #finish} checks what could only be checked at its end.
 */
final class UpstreamCollector {
  /** Blocks nginx allows at the main level only; any of them makes a file's top level the main context. */
  private static final Set<String> MAIN_BLOCKS = Set.of("events", "http", "stream", "mail");

  /** Blocks that hold data, not directives: an "upstream" there is a key or a value, not a directive. */
  private static final Set<String> DATA_BLOCKS =
      Set.of("map", "types", "geo", "split_clients", "charset_map", "match");

  /** The smallest zone nginx accepts: eight pages ({@code ngx_http_upstream_zone}, 4 KiB pages). */
  static final long MIN_ZONE_SIZE = 8 * 4096;

  private enum Context {
    /** The main level of nginx.conf. */
    MAIN,
    /** Inside {@code http} or {@code stream}, or the top level of an http-level fragment: upstreams go here. */
    UPSTREAMS,
    /** Inside any other block of directives. */
    OTHER
  }

  private record ZoneUse(long size, @Nullable SourcePosition firstWithoutSize) {}

  private final Consumer<? super UpstreamBlock> action;
  private final Consumer<? super ConfigWarning> warnings;
  private final Map<String, Boolean> names = new HashMap<>();
  private final Map<String, ZoneUse> zones = new LinkedHashMap<>();
  // A host written in several upstreams of the configuration is kept as one String.
  private final SharedHosts hosts = SharedHosts.forOneRead();
  private @Nullable Context topLevel;

  UpstreamCollector(Consumer<? super UpstreamBlock> action, Consumer<? super ConfigWarning> warnings) {
    this.action = action;
    this.warnings = warnings;
  }

  /** Reads top-level directives of a configuration (main file or fragment, as the first of them decides). */
  void topLevel(List<Directive> directives) {
    for (Directive directive : directives) {
      topLevel(directive);
    }
  }

  /** Reads one top-level directive of a configuration. */
  void topLevel(Directive directive) {
    String name = directive.name();
    boolean upstream = name.equals("upstream");
    if (topLevel == null && (upstream || MAIN_BLOCKS.contains(name))) {
      topLevel = upstream ? Context.UPSTREAMS : Context.MAIN;
    }
    if (topLevel == Context.UPSTREAMS && MAIN_BLOCKS.contains(name)) {
      throw notAllowedHere(directive);
    }
    directive(directive, topLevel == null ? Context.MAIN : topLevel);
  }

  /**
   * Reads one top-level directive of a file that holds upstream blocks and nothing else, such as dyups's
   * persistence file: anything else there is refused as {@code unknown directive}, because its owner would not
   * write it back and it would be lost at the next change.
   */
  void upstreamsOnly(Directive directive) {
    if (!directive.name().equals("upstream")) {
      throw unknownDirective(directive);
    }
    directive(directive, Context.UPSTREAMS);
  }

  /**
   * Checks what only the whole configuration shows: a zone named without a size in every place it is named
   * ({@code ngx_init_cycle}: {@code zero size shared memory zone}), reported where it is first named.
   */
  void finish() {
    for (Map.Entry<String, ZoneUse> zone : zones.entrySet()) {
      if (zone.getValue().size() == 0) {
        throw new ConfigSyntaxException(
            "zero size shared memory zone \"" + zone.getKey() + "\"",
            // A zone still without a size was first named without one.
            requireNonNull(zone.getValue().firstWithoutSize(), "firstWithoutSize"));
      }
    }
  }

  private void directive(Directive directive, Context context) {
    String name = directive.name();
    if (name.equals("upstream")) {
      if (context != Context.UPSTREAMS) {
        throw notAllowedHere(directive);
      }
      upstream(directive);
      return;
    }
    if (name.startsWith("\uFEFF")) {
      // A file that begins with a byte order mark: nginx reads the mark as part of the first word.
      throw unknownDirective(directive);
    }
    if (!directive.hasBlock() || DATA_BLOCKS.contains(name)) {
      return;
    }
    Context inner = context == Context.MAIN && (name.equals("http") || name.equals("stream"))
        ? Context.UPSTREAMS : Context.OTHER;
    for (Directive child : directive.children()) {
      directive(child, inner);
    }
  }

  private void upstream(Directive directive) {
    if (!directive.hasBlock()) {
      throw new ConfigSyntaxException("directive \"upstream\" has no opening \"{\"", directive.position());
    }
    if (directive.args().size() != 1) {
      throw UpstreamModelBuilder.invalidArgumentCount(directive);
    }
    String name = directive.args().get(0);
    String problem = UpstreamModelBuilder.nameProblem(name);
    if (problem != null) {
      throw new ConfigSyntaxException(problem, directive.argPositions().get(0));
    }
    if (names.put(UpstreamBlock.foldName(name), Boolean.TRUE) != null) {
      throw new ConfigSyntaxException("duplicate upstream \"" + name + "\"", directive.position());
    }
    UpstreamBlock block = UpstreamModelBuilder.build(name, directive.children(), directive.position(), warnings, hosts);
    if (block.zone() != null) {
      zone(block.zone(), zoneDirective(directive));
    }
    action.accept(block);
  }

  private static Directive zoneDirective(Directive upstream) {
    for (Directive child : upstream.children()) {
      if (child.name().equals("zone")) {
        return child;
      }
    }
    throw new IllegalStateException("no zone directive in " + upstream.position());
  }

  /** As {@code ngx_shared_memory_add}: a zone may be named by many upstreams, with one size. */
  private void zone(Zone zone, Directive directive) {
    ZoneUse known = zones.get(zone.name());
    if (known == null) {
      zones.put(zone.name(), new ZoneUse(zone.size(), zone.size() == 0 ? directive.position() : null));
    } else if (known.size() == 0) {
      if (zone.size() != 0) {
        zones.put(zone.name(), new ZoneUse(zone.size(), null));
      }
    } else if (zone.size() != 0 && zone.size() != known.size()) {
      throw new ConfigSyntaxException("the size " + zone.size() + " of shared memory zone \"" + zone.name()
          + "\" conflicts with already declared size " + known.size(), directive.argPositions().get(1));
    }
  }

  private static ConfigSyntaxException notAllowedHere(Directive directive) {
    return new ConfigSyntaxException(
        "\"" + directive.name() + "\" directive is not allowed here", directive.position());
  }

  static ConfigSyntaxException unknownDirective(Directive directive) {
    return new ConfigSyntaxException("unknown directive \"" + directive.name() + "\"", directive.position());
  }
}
