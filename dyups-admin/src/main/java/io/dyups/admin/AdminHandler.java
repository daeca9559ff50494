package io.dyups.admin;

import static com.google.common.base.Preconditions.checkArgument;
import static java.util.Objects.requireNonNull;

import io.dyups.core.HostStatus;
import io.dyups.core.Peer;
import io.dyups.core.Result;
import io.dyups.core.StoreStatus;
import io.dyups.core.Upstream;
import io.dyups.core.UpstreamRegistry;
import io.dyups.parser.UpstreamBlock;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * dyups's admin interface ({@code dyups_interface}) as a transport-neutral handler: an {@link AdminRequest} in,
 * an {@link AdminResponse} out. It answers exactly as dyups does:
 *
 * <pre>
 * GET    /list             names, one per line               200, or 204 when there are none
 * GET    /detail           name, "server ADDRESS" lines, ""  200, or 204 when there are none
 * GET    /upstream/NAME    "server ADDRESS" lines            200, or 404
 *                          (and "# NAME:PORT stale: could not be resolved (ERROR), ..." for a host name that
 *                          does not resolve now)
 * GET    /status           the store: "key value" lines      200
 * GET    /dashboard        the live dashboard (a page for a browser; no token needed for the page itself)
 * POST   /upstream/NAME    commands in the body              200 "success", 204 for an empty body,
 *                                                            400 with the parser's message, 409, 413, 500,
 *                                                            503 when the store (ZooKeeper) cannot be reached
 * DELETE /upstream/NAME                                      200 "success", 404
 * </pre>
 *
 * Paths under {@code /api/} are NGINX Plus's upstream API ({@link PlusApi}, writes on), behind the same token.
 * Other GET paths are 404; other POST paths 404; other DELETE paths 405; other methods 405. The first path
 * segment matches ignoring case. Beyond dyups: {@code Accept: application/json} or {@code ?format=json} gives
 * JSON listings, {@code ?format=commands} on {@code GET /upstream/NAME} gives the upstream's commands as a POST takes
 * them back; {@code GET /upstream/NAME} and a successful POST carry the upstream's version as a strong
 * {@code ETag} ({@code "7"}); conditions follow RFC 9110 §13: {@code If-Match} (a list, or {@code *}: the upstream
 * exists; weak tags never match) makes a POST or DELETE only at a version it names, {@code If-None-Match: *} makes
 * a POST create-only, and a failed condition is 412 (304 for {@code If-None-Match} on GET); an optional bearer
 * token guards everything (401 without it).
 *
 * <p>To serve it from another server, build an {@code AdminRequest} from that server's request and write the
 * response back; a servlet, for example:
 *
 * <pre>{@code
 * AdminResponse r = handler.handle(new AdminRequest(req.getMethod(),
 *     req.getRequestURI() + (req.getQueryString() == null ? "" : "?" + req.getQueryString()),
 *     headersOf(req), req.getInputStream(), req.getContentLengthLong()));
 * resp.setStatus(r.status());
 * r.headers().forEach(resp::setHeader);
 * resp.getOutputStream().write(r.body());
 * }</pre>
 *
 * A Netty handler does the same with a {@code FullHttpRequest} (its content as the body stream).
 * {@link AdminServer} serves it on a small HTTP/1.1 server of its own. Thread-safe.
 */
public final class AdminHandler {
  private final UpstreamRegistry registry;
  private final byte @Nullable [] token;
  private final long maxBodySize;
  private final PlusApi plusApi;
  // Set when this handler answers NGINX Plus's API only, below this path (the location of nginx's api directive).
  private final @Nullable String plusApiPrefix;
  // Paths the application answers itself (Builder.route), by exact path.
  private final Map<String, Function<AdminRequest, AdminResponse>> routes;

  private AdminHandler(Builder builder) {
    this.registry = builder.registry;
    this.token = builder.token == null ? null : builder.token.getBytes(StandardCharsets.UTF_8);
    this.maxBodySize = builder.maxBodySize > 0 ? builder.maxBodySize : registry.maxCommandsSize();
    this.plusApi = PlusApi.of(registry, builder.plusApiPrefix == null || builder.plusApiWrite, maxBodySize);
    this.plusApiPrefix = builder.plusApiPrefix;
    this.routes = Map.copyOf(builder.routes);
  }

  /** A handler for {@code registry}: no token, bodies up to the registry's commands limit. */
  public static AdminHandler of(UpstreamRegistry registry) {
    return builder(registry).build();
  }

  /** Configures a handler for {@code registry}. */
  public static Builder builder(UpstreamRegistry registry) {
    return new Builder(registry);
  }

  /** The largest request body read; a larger one gets 413 without being read. */
  public long maxBodySize() {
    return maxBodySize;
  }

  /**
   * Answers one request. Never throws for anything a client can send; reads the body only for POST and only up
   * to {@link #maxBodySize()} (plus one byte to tell that it is larger).
   */
  public AdminResponse handle(AdminRequest request) {
    requireNonNull(request, "request");
    String prefix = plusApiPrefix;
    List<String> path = AdminPath.segments(request.target());
    // A handler that serves only the Plus API (nginx's location with api;) serves no dashboard.
    if (prefix == null && path != null && Dashboard.serves(path)) {
      // The page and its files hold no data: the page asks for the token and sends it with its own calls.
      return Dashboard.handle(request.method(), path);
    }
    if (token != null && !authorized(request.header("Authorization"))) {
      return new AdminResponse(401,
          Map.of("WWW-Authenticate", "Bearer realm=\"dyups\"", "Content-Type", AdminResponse.TEXT),
          "unauthorized\n".getBytes(StandardCharsets.UTF_8));
    }
    if (prefix != null) {
      return plusApi.handle(belowApi(request, prefix));
    }
    if (!routes.isEmpty()) {
      String target = request.target();
      int query = target.indexOf('?');
      Function<AdminRequest, AdminResponse> route = routes.get(query < 0 ? target : target.substring(0, query));
      if (route != null) {
        return request.method().equals("GET") ? route.apply(request) : AdminResponse.empty(405);
      }
    }
    if (path != null && PlusApi.serves(path)) {
      return plusApi.handle(request, path.subList(1, path.size()));
    }
    boolean json = wantsJson(request);
    return switch (request.method()) {
      case "GET" -> path == null ? AdminResponse.empty(404) : get(path, json, request);
      case "DELETE" -> path == null ? AdminResponse.text(404, "not found") : delete(path, request);
      case "POST" -> post(path, request);
      default -> AdminResponse.empty(405);
    };
  }

  /**
   * {@code request} with its target below {@code /api/} instead of below {@code prefix}: as NGINX Plus's api
   * directive, the part of the path after the location's is the API's ({@code location /stats/ { api; }} serves
   * {@code /stats/9/http/upstreams}). A target outside {@code prefix} stays as it is (and is 404).
   */
  private static AdminRequest belowApi(AdminRequest request, String prefix) {
    String target = request.target();
    if (!target.startsWith(prefix)) {
      return request;
    }
    String rest = target.substring(prefix.length());
    String below = "/api/" + (rest.startsWith("/") ? rest.substring(1) : rest);
    return new AdminRequest(request.method(), below, request.headers(), request.body(), request.contentLength());
  }

  private AdminResponse get(List<String> path, boolean json, AdminRequest request) {
    if (path.isEmpty()) {
      return AdminResponse.empty(404);
    }
    String first = path.get(0);
    if (path.size() == 1 && first.equalsIgnoreCase("list")) {
      List<String> names = registry.list();
      boolean large = isLarge(names.size(), 0);
      if (json) {
        AdminJson.Body body = AdminJson.namesBody(names, registry.storeStatus());
        return listing(AdminResponse.JSON, large, out -> AdminJson.writeTo(body, out, true));
      }
      if (names.isEmpty()) {
        return AdminResponse.empty(204);
      }
      return listing(AdminResponse.TEXT, large, out -> writeText(out, names, (text, name) -> text.append(name)
          .append('\n')));
    }
    if (path.size() == 1 && first.equalsIgnoreCase("detail")) {
      List<Upstream> upstreams = registry.detail();
      boolean large = isLarge(upstreams);
      if (json) {
        AdminJson.Body body = AdminJson.upstreamsBody(upstreams, registry.storeStatus());
        return listing(AdminResponse.JSON, large, out -> AdminJson.writeTo(body, out, true));
      }
      if (upstreams.isEmpty()) {
        return AdminResponse.empty(204);
      }
      return listing(AdminResponse.TEXT, large, out -> writeText(out, upstreams, (text, upstream) -> {
        text.append(upstream.name()).append('\n');
        appendServers(text, upstream);
        text.append('\n');
      }));
    }
    if (path.size() == 1 && first.equalsIgnoreCase("status")) {
      StoreStatus store = registry.storeStatus();
      if (json) {
        return jsonResponse(200, AdminJson.store(store));
      }
      Instant at = store.lastChangeAt();
      String text = "store " + store.store() + "\n"
          + "available " + (store.available() ? "yes" : "no") + "\n"
          + "state " + store.state() + "\n"
          + "detail " + store.detail() + "\n"
          + "last_version " + store.lastVersion() + "\n"
          + "last_change_at " + (at == null ? "-" : at.toString()) + "\n"
          + "pending_changes " + store.pendingChanges() + "\n"
          + "behind_ms " + store.behindMillis() + "\n";
      return AdminResponse.text(200, text);
    }
    if (first.equalsIgnoreCase("upstream") && path.size() == 2) {
      Upstream upstream = registry.find(path.get(1));
      if (upstream == null) {
        return AdminResponse.empty(404);
      }
      String etag = EntityTags.of(upstream.version());
      Condition condition = condition(request, upstream.version(), true);
      if (condition.kind() == Condition.Kind.NOT_MODIFIED) {
        return new AdminResponse(304, Map.of("ETag", etag), new byte[0]);
      }
      if (condition.kind() == Condition.Kind.FAILED) {
        return preconditionFailed();
      }
      boolean large = isLarge(List.of(upstream));
      if (json) {
        AdminJson.Body body = AdminJson.upstreamBody(upstream);
        return AdminResponse.listing(200, Map.of("Content-Type", AdminResponse.JSON, "ETag", etag), large,
            out -> AdminJson.writeTo(body, out, true));
      }
      if ("commands".equalsIgnoreCase(AdminPath.queryParameter(request.target(), "format"))) {
        // The commands as a POST to this path takes them back: what an editor starts from.
        return new AdminResponse(200, Map.of("Content-Type", AdminResponse.TEXT, "ETag", etag),
            upstream.definition().toCommands().getBytes(StandardCharsets.UTF_8));
      }
      return AdminResponse.listing(200, Map.of("Content-Type", AdminResponse.TEXT, "ETag", etag), large,
          out -> writeText(out, List.of(upstream), AdminHandler::appendServers));
    }
    return AdminResponse.empty(404);
  }

  // Listings larger than this (upstreams, or servers in all) are streamed: written from the registry's snapshot as
  // they are sent, never held whole (a listing of 12 upstreams of 81,000 servers was 198 MB of JSON).
  static final int STREAM_NAMES = 16_384;
  static final int STREAM_SERVERS = 4_096;

  /** True when a listing of {@code upstreams} is streamed: past either limit, upstreams or servers in all. */
  static boolean isLarge(List<Upstream> upstreams) {
    long servers = 0;
    for (Upstream upstream : upstreams) {
      servers += peerCount(upstream);
    }
    return isLarge(upstreams.size(), servers);
  }

  // An upstream's peers counted without making them (an upstream nobody picked from may hold none yet, and a
  // streamed listing makes them one upstream at a time): one per server, except that the servers of an upstream
  // with host names (whose peers are always made) have one per address.
  private static int peerCount(Upstream upstream) {
    return upstream.hosts().isEmpty() ? upstream.definition().servers().size() : upstream.peers().asList().size();
  }

  /** True when a listing of {@code items} names and {@code servers} servers is streamed. */
  static boolean isLarge(int items, long servers) {
    return items > STREAM_NAMES || servers > STREAM_SERVERS;
  }

  /** A listing of {@code type}, 200: streamed when {@code large}, otherwise made whole. */
  private static AdminResponse listing(String type, boolean large, AdminResponse.BodyWriter body) {
    return AdminResponse.listing(200, Map.of("Content-Type", type), large, body);
  }

  /** How one item of a text listing is written. */
  private interface TextItem<T> {
    void append(StringBuilder text, T item);
  }

  // One item at a time into a buffer of its own, then out in UTF-8: a streamed listing never holds more.
  private static <T> void writeText(java.io.OutputStream out, List<T> items, TextItem<T> item) throws IOException {
    Writer text = new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8));
    StringBuilder line = new StringBuilder(256);
    for (T each : items) {
      line.setLength(0);
      item.append(line, each);
      text.append(line);
    }
    text.flush();
  }

  // As dyups lists a server: by its peer's name, the address connected to (one line per address of a host name).
  // Then a comment line for each host name that does not resolve now, in nginx's words ("NAME could not be
  // resolved (ERROR)", ngx_http_upstream_zone_resolve_handler) with the state the JSON gives: its peers above are
  // the last answer's (stale), or it has none. A reader of "server" lines skips it; a human sees why.
  private static void appendServers(StringBuilder out, Upstream upstream) {
    for (Peer peer : upstream.peers().asList()) {
      out.append("server ").append(peer).append('\n');
    }
    for (HostStatus host : upstream.hosts()) {
      if (host.state() != HostStatus.State.RESOLVED) {
        out.append("# ").append(host.server().address()).append(' ')
            .append(host.state().name().toLowerCase(Locale.ROOT)).append(": could not be resolved (")
            .append(host.error().isEmpty() ? "not looked up yet" : host.error()).append("), ")
            .append(host.addresses().isEmpty() ? "no addresses" : "its last addresses kept").append('\n');
      }
    }
  }

  private AdminResponse delete(List<String> path, AdminRequest request) {
    if (path.size() != 2) {
      return AdminResponse.text(405, "not support this interface");
    }
    if (!path.get(0).equalsIgnoreCase("upstream")) {
      return AdminResponse.text(405, "not support this api");
    }
    String name = path.get(1);
    Upstream current = registry.find(name);
    // RFC 9110 §13.1: conditions are not evaluated when the answer without them is not 2xx (404 here).
    Condition condition = current == null ? Condition.NONE : condition(request, current.version(), false);
    return switch (condition.kind()) {
      case NONE -> result(registry.deleteUpstream(name));
      case HOLDS -> result(registry.deleteUpstream(name, condition.version()));
      case FAILED, NOT_MODIFIED -> preconditionFailed();
    };
  }

  private AdminResponse post(@Nullable List<String> path, AdminRequest request) {
    long declared = request.contentLength();
    if (declared > maxBodySize) {
      return tooLarge(declared);
    }
    byte[] body;
    try {
      body = readAtMost(request.body(), maxBodySize + 1);
    } catch (IOException e) {
      return AdminResponse.text(400, "cannot read the request body: " + e.getMessage());
    }
    if (body.length > maxBodySize) {
      return tooLarge(-1);
    }
    if (body.length == 0) {
      return AdminResponse.empty(204);
    }
    if (path == null) {
      return AdminResponse.text(404, "not found");
    }
    if (path.size() != 2) {
      return AdminResponse.text(404, "not support this interface");
    }
    if (!path.get(0).equalsIgnoreCase("upstream")) {
      return AdminResponse.text(404, "not support this api");
    }
    String commands = decodeUtf8(body);
    if (commands == null) {
      return AdminResponse.text(400, notUtf8(body));
    }
    String name = path.get(1);
    try {
      UpstreamBlock.checkName(name);
    } catch (IllegalArgumentException e) {
      // The answer without conditions would be 400, so they are not evaluated (RFC 9110 §13.1).
      return AdminResponse.text(400, String.valueOf(e.getMessage()));
    }
    Upstream current = registry.find(name);
    Condition condition = condition(request, current == null ? UpstreamRegistry.ABSENT : current.version(), false);
    return switch (condition.kind()) {
      case NONE -> result(registry.updateUpstream(name, commands));
      case HOLDS -> result(registry.updateUpstream(name, commands, condition.version()));
      case FAILED, NOT_MODIFIED -> preconditionFailed();
    };
  }

  /**
   * What a request's {@code If-Match} and {@code If-None-Match} say about the upstream at version {@code current}
   * ({@link UpstreamRegistry#ABSENT}: it does not exist), in RFC 9110 §13.2.2's order: {@code If-Match} first
   * (false: 412), then {@code If-None-Match} (false: 304 for a read, 412 for a change). When they hold, a change
   * is made only at {@code current}, so that a change landing in between fails (412) instead of slipping past
   * the condition.
   */
  private static Condition condition(AdminRequest request, long current, boolean read) {
    List<String> ifMatch = request.headers().get("If-Match");
    List<String> ifNoneMatch = request.headers().get("If-None-Match");
    if (ifMatch == null && ifNoneMatch == null) {
      return Condition.NONE;
    }
    if (ifMatch != null) {
      EntityTags tags = EntityTags.parse(ifMatch);
      if (tags == null || !tags.matchStrong(current)) {
        return Condition.FAILS;
      }
    }
    if (ifNoneMatch != null) {
      EntityTags tags = EntityTags.parse(ifNoneMatch);
      if (tags == null) {
        return Condition.FAILS;
      }
      if (tags.matchWeak(current)) {
        return read ? Condition.UNCHANGED : Condition.FAILS;
      }
    }
    return new Condition(Condition.Kind.HOLDS, current);
  }

  /** The outcome of a request's conditions; {@code version} is the one a change must find when they hold. */
  private record Condition(Kind kind, long version) {
    static final Condition NONE = new Condition(Kind.NONE, UpstreamRegistry.ABSENT);
    static final Condition FAILS = new Condition(Kind.FAILED, UpstreamRegistry.ABSENT);
    static final Condition UNCHANGED = new Condition(Kind.NOT_MODIFIED, UpstreamRegistry.ABSENT);

    enum Kind { NONE, HOLDS, FAILED, NOT_MODIFIED }
  }

  /** The body as UTF-8 text, or null when it is not valid UTF-8. */
  @Nullable
  private static String decodeUtf8(byte[] body) {
    try {
      return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(body)).toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }

  /**
   * Says which bytes of {@code body} are not UTF-8 and where, as the parser names positions ({@code
   * commands:line:column}, columns counting characters).
   */
  static String notUtf8(byte[] body) {
    CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder();
    ByteBuffer in = ByteBuffer.wrap(body);
    CharBuffer out = CharBuffer.allocate(body.length);
    CoderResult result = decoder.decode(in, out, true);
    if (!result.isError()) {
      result = decoder.flush(out);
    }
    int bad = in.position();
    int badLength = result.isError() ? result.length() : 1;
    out.flip();
    int line = 1;
    int column = 1;
    for (int i = 0; i < out.length(); i++) {
      char c = out.charAt(i);
      if (c == '\n') {
        line++;
        column = 1;
      } else if (!Character.isLowSurrogate(c)) {
        column++;
      }
    }
    StringBuilder bytes = new StringBuilder();
    for (int i = bad; i < Math.min(body.length, bad + badLength); i++) {
      bytes.append(bytes.length() == 0 ? "" : " ").append(String.format("0x%02X", body[i] & 0xff));
    }
    return "the commands are not valid UTF-8: byte" + (badLength > 1 ? "s " : " ") + bytes + " in "
        + UpstreamBlock.COMMANDS_SOURCE + ":" + line + ":" + column;
  }

  // A version conflict can only come from If-Match, whose failure RFC 9110 answers with 412; LOCKED stays 409.
  // A successful update carries the new version as its ETag (RFC 9110 §8.8.3), for the next If-Match.
  private static AdminResponse result(Result result) {
    if (result.kind() == Result.Kind.VERSION_CONFLICT) {
      return AdminResponse.text(412, result.message());
    }
    if (result.isSuccess() && result.version() != UpstreamRegistry.ABSENT) {
      return new AdminResponse(200, Map.of("Content-Type", AdminResponse.TEXT, "ETag",
          EntityTags.of(result.version())), result.message().getBytes(StandardCharsets.UTF_8));
    }
    return AdminResponse.text(result.status(), result.message());
  }

  private static AdminResponse preconditionFailed() {
    return AdminResponse.text(412, "precondition failed");
  }

  private AdminResponse tooLarge(long declared) {
    String size = declared >= 0 ? declared + " bytes" : "more than " + maxBodySize + " bytes";
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("Content-Type", AdminResponse.TEXT);
    headers.put("Connection", "close");
    return new AdminResponse(413, headers,
        ("request body too large: " + size + ", the limit is " + maxBodySize)
            .getBytes(StandardCharsets.UTF_8));
  }

  private static byte[] readAtMost(InputStream in, long limit) throws IOException {
    return in.readNBytes((int) Math.min(limit, Integer.MAX_VALUE - 8));
  }

  /**
   * Whether a request with this {@code Authorization} value gets past the token, for a server that decides before
   * reading a body (AdminServer answers 401 without reading it).
   */
  boolean admits(@Nullable String authorization) {
    return token == null || authorized(authorization);
  }

  private boolean authorized(@Nullable String authorization) {
    if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return false;
    }
    byte[] presented = authorization.substring(7).trim().getBytes(StandardCharsets.UTF_8);
    return MessageDigest.isEqual(presented, token);
  }

  private static boolean wantsJson(AdminRequest request) {
    String format = AdminPath.queryParameter(request.target(), "format");
    if (format != null) {
      return format.equalsIgnoreCase("json");
    }
    String accept = request.header("Accept");
    return accept != null && accept.toLowerCase(Locale.ROOT).contains("application/json");
  }

  private static AdminResponse jsonResponse(int status, byte[] body) {
    return new AdminResponse(status, Map.of("Content-Type", AdminResponse.JSON), body);
  }

  /** Configures an {@link AdminHandler}. */
  public static final class Builder {
    private final UpstreamRegistry registry;
    @Nullable private String token;
    private long maxBodySize;
    @Nullable private String plusApiPrefix;
    private boolean plusApiWrite;
    private final Map<String, Function<AdminRequest, AdminResponse>> routes = new HashMap<>();

    private Builder(UpstreamRegistry registry) {
      this.registry = requireNonNull(registry, "registry");
    }

    /** Requires {@code Authorization: Bearer TOKEN} on every request; 401 without it. */
    public Builder bearerToken(String token) {
      requireNonNull(token, "token");
      checkArgument(!token.isBlank(), "token must not be blank");
      this.token = token;
      return this;
    }

    /** The largest request body read (default: the registry's commands limit). */
    public Builder maxBodySize(long bytes) {
      checkArgument(bytes > 0, "maxBodySize must be > 0: %s", bytes);
      this.maxBodySize = bytes;
      return this;
    }

    /**
     * Answers NGINX Plus's API only ({@link PlusApi}), as its {@code api [write=on];} directive in {@code location
     * PREFIX}: the path after {@code prefix} is the API's ({@code PREFIX/9/http/upstreams}); read-only, changes
     * 405 {@code MethodDisabled}, unless {@code write}. Without this, the handler answers dyups's interface and the
     * API under {@code /api/} with writes on.
     */
    public Builder plusApiOnly(String prefix, boolean write) {
      this.plusApiPrefix = requireNonNull(prefix, "prefix");
      this.plusApiWrite = write;
      return this;
    }

    /**
     * Answers GET requests of {@code path} (exactly, as sent, before the query) with {@code handler}, behind the
     * same token, ahead of dyups's interface: the place for an application's own page such as Prometheus's {@code
     * /metrics}. Other methods on that path are 405.
     *
     * @throws IllegalArgumentException if {@code path} does not start with {@code /}
     */
    public Builder route(String path, Function<AdminRequest, AdminResponse> handler) {
      checkArgument(path.startsWith("/"), "path must start with /: %s", path);
      routes.put(path, requireNonNull(handler, "handler"));
      return this;
    }

    public AdminHandler build() {
      return new AdminHandler(this);
    }
  }
}
