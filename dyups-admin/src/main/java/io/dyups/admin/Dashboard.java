package io.dyups.admin;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The live dashboard's static files, served under {@code /dashboard}: one page, its script and its style sheet,
 * read once from the admin module's jar. They hold no data, so they are served without the bearer token; the page
 * asks for the token and sends it with every call it makes to the same APIs a script uses (dyups's {@code /detail},
 * {@code /upstream/NAME} and NGINX Plus's {@code /api/9/http/upstreams}).
 *
 * <p>Every answer carries a Content-Security-Policy that allows only the server's own script, style and requests
 * (no inline script, no other origin, no framing), so that an upstream or server name containing markup can
 * never run as code even if the page were to write it as HTML, which it does not.
 */
final class Dashboard {
  /** Where the page is. */
  static final String PATH = "dashboard";

  static final String POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
      + "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

  private static final Map<String, Asset> ASSETS = load(Map.of(
      "", "text/html; charset=utf-8",
      "dashboard.js", "text/javascript; charset=utf-8",
      "dashboard.css", "text/css; charset=utf-8"));

  private Dashboard() {}

  private record Asset(String contentType, byte[] bytes) {}

  /** True when {@code path} (decoded segments) is the dashboard's: it starts with {@code dashboard}. */
  static boolean serves(List<String> path) {
    return !path.isEmpty() && path.get(0).equals(PATH);
  }

  /** The file at {@code path} ({@code [dashboard]} is the page); 404 for any other, 405 for other methods. */
  static AdminResponse handle(String method, List<String> path) {
    if (!method.equals("GET") && !method.equals("HEAD")) {
      return new AdminResponse(405, Map.of("Allow", "GET, HEAD"), new byte[0]);
    }
    Asset asset = path.size() == 1 ? ASSETS.get("") : path.size() == 2 ? ASSETS.get(path.get(1)) : null;
    if (asset == null) {
      return AdminResponse.empty(404);
    }
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("Content-Type", asset.contentType());
    headers.put("Content-Security-Policy", POLICY);
    headers.put("X-Content-Type-Options", "nosniff");
    headers.put("Referrer-Policy", "no-referrer");
    // The files change only with the jar; revalidating each load keeps a page and its script of one version.
    headers.put("Cache-Control", "no-cache");
    return new AdminResponse(200, headers, asset.bytes());
  }

  private static Map<String, Asset> load(Map<String, String> types) {
    Map<String, Asset> assets = new LinkedHashMap<>();
    types.forEach((name, type) -> {
      String file = "dashboard/" + (name.isEmpty() ? "dashboard.html" : name);
      try (InputStream in = Dashboard.class.getResourceAsStream(file)) {
        if (in == null) {
          throw new IllegalStateException("the admin module's jar lacks " + file);
        }
        assets.put(name, new Asset(type, in.readAllBytes()));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + file + " from the admin module's jar", e);
      }
    });
    return Map.copyOf(assets);
  }
}
