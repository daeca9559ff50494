package io.dyups.admin;

import static java.util.Objects.requireNonNull;

import io.dyups.core.Result;
import io.dyups.core.ServerResult;
import io.dyups.core.Upstream;
import io.dyups.core.UpstreamRegistry;
import io.dyups.core.UpstreamServer;
import io.dyups.parser.Address;
import io.dyups.parser.ServerSpec;
import com.google.common.base.Splitter;
import java.io.IOException;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;

/**
 * The upstream part of NGINX Plus's REST API ({@code ngx_http_api_module}, API versions 1 to 9), so that tools
 * written for NGINX Plus (the NGINX Ingress Controller's client, Ansible roles, exporters) manage a dyups registry
 * unchanged:
 *
 * <pre>
 * GET    /api/                                  the API versions: [1,2,...,9]
 * GET    /api/N/  and  /api/N/http/             the endpoints below them: ["http"], ["upstreams"]
 * GET    /api/N/http/upstreams                  every upstream with its peers and their state
 * GET    /api/N/http/upstreams/NAME             one upstream
 * DELETE /api/N/http/upstreams/NAME             resets the upstream's statistics: 204
 * GET    ...upstreams?fields=peers,zone         only the fields named (none: the names only)
 * GET    /api/N/http/upstreams/NAME/servers     the servers as configured, each with its id
 * POST   /api/N/http/upstreams/NAME/servers     adds a server: 201 with it
 * GET    /api/N/http/upstreams/NAME/servers/ID  one server
 * PATCH  /api/N/http/upstreams/NAME/servers/ID  changes its parameters: 200 with it
 * DELETE /api/N/http/upstreams/NAME/servers/ID  removes it: 200 with the servers left
 * </pre>
 *
 * A trailing slash is allowed everywhere, as NGINX Plus allows it. Beyond NGINX Plus, a GET of an upstream or its
 * servers carries the upstream's version as its {@code ETag}, and a change with {@code If-Match} is made only at
 * that version (else 412 {@code UpstreamVersionMismatch}), as on dyups's interface. Errors carry NGINX Plus's error object, {@code
 * {"error":{"status":404,"text":"upstream not found","code":"UpstreamNotFound"},"request_id":"...","href":"..."}},
 * with its status and code. Every change goes through the registry's per-server operations ({@link
 * UpstreamRegistry#addServer}, {@link UpstreamRegistry#changeServer}, {@link UpstreamRegistry#removeServer}), so it
 * is checked, persisted and versioned as any other, and the dyups interface sees it at once. Server ids are the
 * registry's ({@link UpstreamServer}).
 *
 * <p>As NGINX Plus's {@code api} directive, the API is read-only unless made with {@code write}: a change is then
 * 405 {@code MethodDisabled}. {@link AdminHandler} serves it with writes on under {@code /api/}. Thread-safe.
 */
public final class PlusApi {
  /** Where NGINX Plus's error objects point ({@code href}). */
  static final String REFERENCE = "https://nginx.org/en/docs/http/ngx_http_api_module.html";
  /** The API versions served, as NGINX Plus R33 and later list them. */
  static final int NEWEST_VERSION = 9;
  // expectedVersion's answers besides a version (versions are never negative).
  private static final long UNCONDITIONAL = -2;
  private static final long PRECONDITION_FAILED = -3;

  private final UpstreamRegistry registry;
  private final boolean write;
  private final long maxBodySize;

  private PlusApi(UpstreamRegistry registry, boolean write, long maxBodySize) {
    this.registry = requireNonNull(registry, "registry");
    this.write = write;
    this.maxBodySize = maxBodySize;
  }

  /**
   * The API over {@code registry}; {@code write} as NGINX Plus's {@code api write=on}: without it, POST, PATCH and
   * DELETE are 405 {@code MethodDisabled}. Bodies are read up to the registry's commands limit.
   *
   * @throws NullPointerException if {@code registry} is null
   */
  public static PlusApi of(UpstreamRegistry registry, boolean write) {
    return new PlusApi(registry, write, registry.maxCommandsSize());
  }

  static PlusApi of(UpstreamRegistry registry, boolean write, long maxBodySize) {
    return new PlusApi(registry, write, maxBodySize);
  }

  /** True when {@code path} (decoded segments) is the API's: it starts with {@code api}. */
  static boolean serves(List<String> path) {
    return !path.isEmpty() && path.get(0).equals("api");
  }

  /**
   * Answers one request whose path starts with {@code /api}; any other path is 404 {@code PathNotFound}. Never throws
   * for anything a client can send.
   *
   * @throws NullPointerException if {@code request} is null
   */
  public AdminResponse handle(AdminRequest request) {
    requireNonNull(request, "request");
    List<String> path = AdminPath.segments(request.target());
    if (path == null || !serves(path)) {
      return PlusJson.error(404, "path not found", "PathNotFound");
    }
    return handle(request, path.subList(1, path.size()));
  }

  AdminResponse handle(AdminRequest request, List<String> path) {
    String method = request.method();
    if (path.isEmpty()) {
      return method.equals("GET") ? PlusJson.ok(200, PlusJson.versions(NEWEST_VERSION)) : notSupported();
    }
    if (!isVersion(path.get(0))) {
      return PlusJson.error(404, "unknown version", "UnknownVersion");
    }
    int version = path.get(0).charAt(0) - '0';
    List<String> rest = path.subList(1, path.size());
    if (rest.isEmpty()) {
      return method.equals("GET") ? PlusJson.ok(200, PlusJson.strings(List.of("http"))) : notSupported();
    }
    if (!rest.get(0).equals("http")) {
      return PlusJson.error(404, "path not found", "PathNotFound");
    }
    if (rest.size() == 1) {
      return method.equals("GET") ? PlusJson.ok(200, PlusJson.strings(List.of("upstreams"))) : notSupported();
    }
    if (!rest.get(1).equals("upstreams")) {
      return PlusJson.error(404, "path not found", "PathNotFound");
    }
    return switch (rest.size()) {
      case 2 -> method.equals("GET") ? upstreams(request, version) : notSupported();
      case 3 -> upstream(request, rest.get(2), version);
      case 4 -> rest.get(3).equals("servers") ? servers(request, rest.get(2))
          : PlusJson.error(404, "path not found", "PathNotFound");
      case 5 -> rest.get(3).equals("servers") ? server(request, rest.get(2), rest.get(4))
          : PlusJson.error(404, "path not found", "PathNotFound");
      default -> PlusJson.error(404, "path not found", "PathNotFound");
    };
  }

  private static boolean isVersion(String segment) {
    return segment.length() == 1 && segment.charAt(0) >= '1' && segment.charAt(0) <= '0' + NEWEST_VERSION;
  }

  // Past the admin listings' limits (AdminHandler.isLarge), written from the registry's snapshot as it is sent.
  private AdminResponse upstreams(AdminRequest request, int version) {
    List<Upstream> upstreams = registry.detail();
    return PlusJson.answer(Map.of(), AdminHandler.isLarge(upstreams),
        PlusJson.upstreams(upstreams, fields(request), version));
  }

  /**
   * The {@code fields} query parameter: the upstream's fields to write, comma-separated, or null when absent (all).
   * A name an upstream has no field for selects nothing, as NGINX Plus's filter.
   */
  private static @Nullable Set<String> fields(AdminRequest request) {
    String value = AdminPath.queryParameter(request.target(), "fields");
    if (value == null) {
      return null;
    }
    Set<String> fields = new HashSet<>();
    Splitter.on(',').omitEmptyStrings().split(value).forEach(fields::add);
    return fields;
  }

  private AdminResponse upstream(AdminRequest request, String name, int version) {
    String method = request.method();
    if (!method.equals("GET") && !method.equals("DELETE")) {
      return notSupported();
    }
    if (method.equals("DELETE") && !write) {
      return disabled();
    }
    Upstream upstream = registry.find(name);
    if (upstream == null) {
      return upstreamNotFound();
    }
    if (method.equals("GET")) {
      return PlusJson.answer(tag(upstream), AdminHandler.isLarge(List.of(upstream)),
          PlusJson.upstream(upstream, fields(request), version));
    }
    // As NGINX Plus: the statistics start again from zero; the servers and their live state stay.
    upstream.peers().resetStatistics();
    return AdminResponse.empty(204);
  }

  private AdminResponse servers(AdminRequest request, String name) {
    String method = request.method();
    if (!method.equals("GET") && !method.equals("POST")) {
      return notSupported();
    }
    if (method.equals("POST") && !write) {
      return disabled();
    }
    Upstream upstream = registry.find(name);
    if (upstream == null) {
      return upstreamNotFound();
    }
    if (method.equals("GET")) {
      List<UpstreamServer> servers = upstream.servers();
      return PlusJson.answer(tag(upstream), AdminHandler.isLarge(1, servers.size()), PlusJson.servers(servers));
    }
    long expected = expectedVersion(request, upstream);
    if (expected == PRECONDITION_FAILED) {
      return preconditionFailed();
    }
    PlusServerFields fields;
    try {
      fields = PlusServerFields.read(request.body(), maxBodySize);
    } catch (PlusServerFields.BadRequest e) {
      return e.response();
    } catch (IOException e) {
      return PlusJson.error(400, "reading request body failed", "BodyReadError");
    }
    ServerSpec spec;
    try {
      spec = fields.newServer();
    } catch (PlusServerFields.BadRequest e) {
      return e.response();
    }
    return serverResult(expected == UNCONDITIONAL ? registry.addServer(name, spec)
        : registry.addServer(name, spec, expected), 201);
  }

  private AdminResponse server(AdminRequest request, String name, String idText) {
    String method = request.method();
    if (!method.equals("GET") && !method.equals("PATCH") && !method.equals("DELETE")) {
      return notSupported();
    }
    if (!method.equals("GET") && !write) {
      return disabled();
    }
    Upstream upstream = registry.find(name);
    if (upstream == null) {
      return upstreamNotFound();
    }
    int id = parseId(idText);
    if (id < 0) {
      return PlusJson.error(400, "invalid server ID", "UpstreamBadServerId");
    }
    UpstreamServer current = upstream.server(id);
    if (current == null) {
      return serverNotFound(id);
    }
    if (method.equals("GET")) {
      return tagged(PlusJson.ok(200, PlusJson.server(current)), upstream);
    }
    long expected = expectedVersion(request, upstream);
    if (expected == PRECONDITION_FAILED) {
      return preconditionFailed();
    }
    return switch (method) {
      case "PATCH" -> patch(request, name, current, expected);
      default -> {
        ServerResult removed = expected == UNCONDITIONAL ? registry.removeServer(name, id)
            : registry.removeServer(name, id, expected);
        if (!removed.isSuccess()) {
          yield failure(removed.result(), id);
        }
        Upstream after = registry.find(name);
        List<UpstreamServer> servers = after == null ? List.of() : after.servers();
        yield PlusJson.answer(Map.of(), AdminHandler.isLarge(1, servers.size()), PlusJson.servers(servers));
      }
    };
  }

  private AdminResponse patch(AdminRequest request, String name, UpstreamServer current, long expected) {
    PlusServerFields fields;
    try {
      fields = PlusServerFields.read(request.body(), maxBodySize);
      fields.checkImmutable(current);
    } catch (PlusServerFields.BadRequest e) {
      return e.response();
    } catch (IOException e) {
      return PlusJson.error(400, "reading request body failed", "BodyReadError");
    }
    UnaryOperator<ServerSpec> change = fields::applyTo;
    return serverResult(expected == UNCONDITIONAL ? registry.changeServer(name, current.id(), change)
        : registry.changeServer(name, current.id(), change, expected), 200);
  }

  /**
   * Beyond NGINX Plus, as dyups's interface does: the upstream's version as a strong {@code ETag} on a GET, and a
   * change made only at the version its {@code If-Match} names (RFC 9110 §13.1.1), so that two operators cannot
   * overwrite each other's changes silently. {@link #UNCONDITIONAL} without {@code If-Match}, {@link
   * #PRECONDITION_FAILED} when it does not hold, else the version the change must find (a change landing in
   * between fails too).
   */
  private static long expectedVersion(AdminRequest request, Upstream upstream) {
    List<String> ifMatch = request.headers().get("If-Match");
    if (ifMatch == null) {
      return UNCONDITIONAL;
    }
    EntityTags tags = EntityTags.parse(ifMatch);
    return tags != null && tags.matchStrong(upstream.version()) ? upstream.version() : PRECONDITION_FAILED;
  }

  private static AdminResponse tagged(AdminResponse response, Upstream upstream) {
    Map<String, String> headers = new LinkedHashMap<>(response.headers());
    headers.putAll(tag(upstream));
    return new AdminResponse(response.status(), headers, response.body());
  }

  private static Map<String, String> tag(Upstream upstream) {
    return Map.of("ETag", EntityTags.of(upstream.version()));
  }

  private static AdminResponse preconditionFailed() {
    return PlusJson.error(412, "the upstream changed since the version If-Match names", "UpstreamVersionMismatch");
  }

  private static AdminResponse serverResult(ServerResult result, int status) {
    UpstreamServer server = result.server();
    if (result.isSuccess() && server != null) {
      return PlusJson.ok(status, PlusJson.server(server));
    }
    return failure(result.result(), -1);
  }

  /** The registry's refusal as NGINX Plus's error object; the codes dyups adds are listed in the README. */
  private static AdminResponse failure(Result result, int id) {
    return switch (result.kind()) {
      case NOT_FOUND -> id >= 0 ? serverNotFound(id) : upstreamNotFound();
      case INVALID -> PlusJson.error(400, result.message(), "UpstreamConfFormatError");
      case LOCKED -> PlusJson.error(409, result.message(), "UpstreamBusy");
      case VERSION_CONFLICT -> preconditionFailed();
      case TOO_LARGE -> PlusJson.error(413, result.message(), "UpstreamOutOfMemory");
      case CLOSED -> PlusJson.error(503, result.message(), "Closed");
      case UNAVAILABLE -> PlusJson.error(503, result.message(), "StoreUnavailable");
      case FAILED, SUCCESS -> PlusJson.error(500, result.message(), "InternalError");
    };
  }

  // A server id as NGINX Plus reads it: decimal digits only, fitting in an int.
  private static int parseId(String text) {
    if (text.isEmpty() || text.length() > 10) {
      return -1;
    }
    long value = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      value = value * 10 + (c - '0');
    }
    return value > Integer.MAX_VALUE ? -1 : (int) value;
  }

  private static AdminResponse upstreamNotFound() {
    return PlusJson.error(404, "upstream not found", "UpstreamNotFound");
  }

  private static AdminResponse serverNotFound(int id) {
    return PlusJson.error(404, "server with ID \"" + id + "\" does not exist", "UpstreamServerNotFound");
  }

  private static AdminResponse notSupported() {
    return PlusJson.error(405, "method not supported", "MethodNotSupported");
  }

  private static AdminResponse disabled() {
    return PlusJson.error(405, "method disabled", "MethodDisabled");
  }
}
