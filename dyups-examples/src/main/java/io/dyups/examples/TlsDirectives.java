package io.dyups.examples;

import io.dyups.parser.ConfigSyntaxException;
import io.dyups.parser.Directive;
import io.dyups.parser.NginxUnits;
import io.dyups.parser.SourcePosition;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The TLS directives of nginx's proxy module ({@code proxy_ssl_*}: http, server and location) and SSL module
 * ({@code ssl_*}: http and server), checked where they are written and merged as nginx merges them: each one from
 * the innermost level that has it, with nginx's defaults (ngx_http_proxy_merge_loc_conf,
 * ngx_http_ssl_merge_srv_conf). Relative file names resolve against the configuration file's directory, as
 * nginx's {@code ngx_conf_full_name(..., 1)}.
 */
final class TlsDirectives {
  private TlsDirectives() {}

  static final Set<String> PROXY = Set.of("proxy_ssl_session_reuse", "proxy_ssl_server_name", "proxy_ssl_name",
      "proxy_ssl_verify", "proxy_ssl_verify_depth", "proxy_ssl_trusted_certificate", "proxy_ssl_protocols",
      "proxy_ssl_ciphers", "proxy_ssl_certificate", "proxy_ssl_certificate_key");
  static final Set<String> SERVER = Set.of("ssl_certificate", "ssl_certificate_key", "ssl_protocols",
      "ssl_ciphers", "ssl_session_cache", "ssl_session_timeout", "ssl_prefer_server_ciphers");
  /** Directives that may be written more than once at one level (one certificate of each key type). */
  static final Set<String> REPEATABLE = Set.of("ssl_certificate", "ssl_certificate_key");

  /** nginx's {@code ssl_session_timeout} default (ngx_http_ssl_merge_srv_conf). */
  static final Duration DEFAULT_SESSION_TIMEOUT = Duration.ofMinutes(5);
  /** OpenSSL's SSL_SESSION_CACHE_MAX_SIZE_DEFAULT, the size of {@code ssl_session_cache builtin}. */
  static final int BUILTIN_CACHE_SESSIONS = 20 * 1024;
  /** nginx's documentation: one megabyte of {@code shared:} cache stores about 4000 sessions. */
  static final int SHARED_CACHE_BYTES_PER_SESSION = 256;

  /** The directives of one name at the innermost level that has them, or null (merging's view). */
  interface Lookup extends Function<String, @Nullable List<Directive>> {}

  /** proxy_pass https's per-location settings: the shared context, and what differs per request. */
  record UpstreamTls(BackendTls context, @Nullable Template name, boolean serverName) {}

  /** Checks one directive's arguments where it is written. */
  static void check(Directive directive) {
    String name = directive.name();
    switch (name) {
      case "proxy_ssl_session_reuse", "proxy_ssl_server_name", "proxy_ssl_verify", "ssl_prefer_server_ciphers" ->
          ProxyConfig.flag(directive);
      case "proxy_ssl_name" -> {
        ProxyConfig.simpleArgs(directive, 1, 1);
        Template.compile(directive.args().get(0), directive.argPositions().get(0));
      }
      case "proxy_ssl_verify_depth" -> {
        ProxyConfig.simpleArgs(directive, 1, 1);
        if (NginxUnits.parseInt(directive.args().get(0)) < 0) {
          throw new ConfigSyntaxException("invalid number \"" + directive.args().get(0) + "\"",
              directive.argPositions().get(0));
        }
      }
      case "proxy_ssl_trusted_certificate", "proxy_ssl_certificate", "proxy_ssl_certificate_key",
          "ssl_certificate", "ssl_certificate_key" -> {
        ProxyConfig.simpleArgs(directive, 1, 1);
        if (directive.args().get(0).contains("$")) {
          throw new ConfigSyntaxException("variables in \"" + name + "\" are not supported by the example proxy",
              directive.argPositions().get(0));
        }
      }
      case "proxy_ssl_protocols", "ssl_protocols" -> {
        ProxyConfig.simpleArgs(directive, 1, Integer.MAX_VALUE);
        for (int i = 0; i < directive.args().size(); i++) {
          if (!TlsOptions.PROTOCOL_NAMES.contains(directive.args().get(i))) {
            throw new ConfigSyntaxException("invalid value \"" + directive.args().get(i) + "\"",
                directive.argPositions().get(i));
          }
        }
      }
      case "proxy_ssl_ciphers", "ssl_ciphers" -> {
        ProxyConfig.simpleArgs(directive, 1, 1);
        try {
          TlsOptions.ciphers(directive.args().get(0));
        } catch (IllegalArgumentException e) {
          throw new ConfigSyntaxException(String.valueOf(e.getMessage()), directive.argPositions().get(0));
        }
      }
      case "ssl_session_cache" -> {
        ProxyConfig.simpleArgs(directive, 1, Integer.MAX_VALUE);
        sessionCacheSize(directive);
      }
      case "ssl_session_timeout" -> {
        ProxyConfig.simpleArgs(directive, 1, 1);
        // ngx_conf_set_sec_slot: whole seconds, no "ms".
        if (NginxUnits.parseSeconds(directive.args().get(0)) == null) {
          throw ProxyConfig.invalidValue(directive);
        }
      }
      default -> throw new IllegalStateException(name);
    }
  }

  /**
   * The number of sessions {@code ssl_session_cache} asks to keep, or 0 for {@code off} and {@code none} (nginx's
   * default), which keep none: nginx then resumes by session tickets alone ({@link ServerTls} says what stands in
   * for them).
   */
  static int sessionCacheSize(Directive directive) {
    int size = 0;
    for (int i = 0; i < directive.args().size(); i++) {
      String value = directive.args().get(i);
      if (value.equals("off") || value.equals("none")) {
        continue;
      }
      if (value.equals("builtin")) {
        size = Math.max(size, BUILTIN_CACHE_SESSIONS);
        continue;
      }
      if (value.startsWith("builtin:") && value.length() > 8) {
        int n = NginxUnits.parseInt(value.substring(8));
        if (n >= 0) {
          size = Math.max(size, n);
          continue;
        }
      }
      if (value.startsWith("shared:")) {
        int colon = value.indexOf(':', 7);
        if (colon > 7) {
          long bytes = NginxUnits.parseSize(value.substring(colon + 1));
          if (bytes >= 0 && bytes < 8 * 4096) {
            throw new ConfigSyntaxException("session cache \"" + value + "\" is too small",
                directive.argPositions().get(i));
          }
          if (bytes >= 0) {
            size = (int) Math.max(size, Math.min(Integer.MAX_VALUE, bytes / SHARED_CACHE_BYTES_PER_SESSION));
            continue;
          }
        }
      }
      throw new ConfigSyntaxException("invalid session cache \"" + value + "\"", directive.argPositions().get(i));
    }
    return size;
  }

  /**
   * The TLS of a location that proxies to {@code https://}: its context (shared with every location of equal
   * settings through {@code contexts}) and its per-request name settings.
   */
  static UpstreamTls upstream(Lookup lookup, Path confDir, Map<BackendTls.Spec, BackendTls> contexts,
      SourcePosition position) {
    BackendTls.Spec spec = new BackendTls.Spec(
        flag(lookup, "proxy_ssl_session_reuse", true),
        flag(lookup, "proxy_ssl_verify", false),
        number(lookup, "proxy_ssl_verify_depth", 1),
        path(lookup, "proxy_ssl_trusted_certificate", confDir),
        protocols(lookup, "proxy_ssl_protocols"),
        text(lookup, "proxy_ssl_ciphers", TlsOptions.DEFAULT_PROXY_CIPHERS),
        path(lookup, "proxy_ssl_certificate", confDir),
        path(lookup, "proxy_ssl_certificate_key", confDir));
    BackendTls context = contexts.get(spec);
    if (context == null) {
      context = BackendTls.create(spec, position);
      contexts.put(spec, context);
    }
    List<Directive> name = lookup.apply("proxy_ssl_name");
    Template nameTemplate = name == null ? null
        : Template.compile(name.get(0).args().get(0), name.get(0).argPositions().get(0));
    return new UpstreamTls(context, nameTemplate, flag(lookup, "proxy_ssl_server_name", false));
  }

  /** The server-side TLS settings of a server, or null when it names no certificate. */
  static ServerTls.@Nullable Spec server(Lookup lookup, Path confDir, SourcePosition position) {
    List<Directive> certificates = lookup.apply("ssl_certificate");
    if (certificates == null) {
      return null;
    }
    List<Directive> keys = lookup.apply("ssl_certificate_key");
    List<Path> certificatePaths = new ArrayList<>();
    List<Path> keyPaths = new ArrayList<>();
    for (int i = 0; i < certificates.size(); i++) {
      Path certificate = confDir.resolve(certificates.get(i).args().get(0)).normalize();
      if (keys == null || keys.size() <= i) {
        throw new ConfigSyntaxException("no \"ssl_certificate_key\" is defined for certificate \"" + certificate
            + "\"", certificates.get(i).position());
      }
      certificatePaths.add(certificate);
      keyPaths.add(confDir.resolve(keys.get(i).args().get(0)).normalize());
    }
    List<Directive> cache = lookup.apply("ssl_session_cache");
    List<Directive> timeout = lookup.apply("ssl_session_timeout");
    return new ServerTls.Spec(List.copyOf(certificatePaths), List.copyOf(keyPaths), protocols(lookup, "ssl_protocols"),
        text(lookup, "ssl_ciphers", TlsOptions.DEFAULT_SERVER_CIPHERS),
        flag(lookup, "ssl_prefer_server_ciphers", false),
        cache == null ? 0 : sessionCacheSize(cache.get(0)),
        timeout == null ? DEFAULT_SESSION_TIMEOUT
            : Objects.requireNonNull(NginxUnits.parseSeconds(timeout.get(0).args().get(0)), "checked when set"),
        position);
  }

  private static boolean flag(Lookup lookup, String name, boolean fallback) {
    List<Directive> found = lookup.apply(name);
    return found == null ? fallback : ProxyConfig.flag(found.get(0));
  }

  private static int number(Lookup lookup, String name, int fallback) {
    List<Directive> found = lookup.apply(name);
    return found == null ? fallback : NginxUnits.parseInt(found.get(0).args().get(0));
  }

  private static String text(Lookup lookup, String name, String fallback) {
    List<Directive> found = lookup.apply(name);
    return found == null ? fallback : found.get(0).args().get(0);
  }

  @Nullable
  private static Path path(Lookup lookup, String name, Path confDir) {
    List<Directive> found = lookup.apply(name);
    return found == null ? null : confDir.resolve(found.get(0).args().get(0)).normalize();
  }

  private static List<String> protocols(Lookup lookup, String name) {
    List<Directive> found = lookup.apply(name);
    return found == null ? TlsOptions.DEFAULT_PROTOCOLS : List.copyOf(found.get(0).args());
  }
}
