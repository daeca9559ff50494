package io.dyups.admin;

import com.fasterxml.jackson.core.JsonGenerator;
import io.dyups.core.Peer;
import io.dyups.core.PeerStatistics;
import io.dyups.core.Upstream;
import io.dyups.core.UpstreamServer;
import io.dyups.parser.NginxUnits;
import io.dyups.parser.ServerSpec;
import io.dyups.parser.Zone;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import org.jspecify.annotations.Nullable;

/**
 * The JSON of NGINX Plus's API, field for field as its reference ({@code nginx_api.yaml} of nginx.org, API
 * version 9) names them: {@code NginxHTTPUpstream}, {@code NginxHTTPUpstreamPeer}, {@code
 * NginxHTTPUpstreamConfServer} and {@code NginxError}. A field the registry has no figure for is left out rather
 * than invented (README: the NGINX Plus API).
 */
final class PlusJson {

  private PlusJson() {}

  static AdminResponse ok(int status, byte[] body) {
    return new AdminResponse(status, Map.of("Content-Type", AdminResponse.JSON), body);
  }

  /**
   * NGINX Plus's error object. Its {@code request_id} is nginx's {@code $request_id}: 32 random hex digits, made
   * here for each error since the registry's callers have no request id of their own.
   */
  static AdminResponse error(int status, String text, String code) {
    byte[] id = new byte[16];
    ThreadLocalRandom.current().nextBytes(id);
    return ok(status, write(json -> {
      json.writeStartObject();
      json.writeObjectFieldStart("error");
      json.writeNumberField("status", status);
      json.writeStringField("text", text);
      json.writeStringField("code", code);
      json.writeEndObject();
      json.writeStringField("request_id", HexFormat.of().formatHex(id));
      json.writeStringField("href", PlusApi.REFERENCE);
      json.writeEndObject();
    }));
  }

  static byte[] versions(int newest) {
    return write(json -> {
      json.writeStartArray();
      for (int version = 1; version <= newest; version++) {
        json.writeNumber(version);
      }
      json.writeEndArray();
    });
  }

  static byte[] strings(List<String> strings) {
    return write(json -> {
      json.writeStartArray();
      for (String each : strings) {
        json.writeString(each);
      }
      json.writeEndArray();
    });
  }

  /** The first API version whose peers' {@code responses} carry {@code codes} (NGINX Plus R25). */
  static final int CODES_SINCE = 7;

  /**
   * {@code NginxHTTPUpstreamMap}: each upstream by name, in listing order, with the fields {@code ?fields=} named
   * ({@code peers}, {@code zone}): null writes them all, an empty set none (NGINX Plus: only the names); in the
   * shape of API {@code version}.
   */
  static AdminJson.Body upstreams(List<Upstream> upstreams, @Nullable Set<String> fields, int version) {
    return json -> {
      json.writeStartObject();
      for (Upstream upstream : upstreams) {
        json.writeFieldName(upstream.name());
        upstream(json, upstream, fields, version);
      }
      json.writeEndObject();
    };
  }

  static AdminJson.Body upstream(Upstream upstream, @Nullable Set<String> fields, int version) {
    return json -> upstream(json, upstream, fields, version);
  }

  // NginxHTTPUpstream: its peers and zone. keepalive (idle connections) and zombies are the proxy's to count,
  // queue is not supported; they are left out.
  private static void upstream(JsonGenerator json, Upstream upstream, @Nullable Set<String> fields, int version)
      throws IOException {
    json.writeStartObject();
    if (fields == null || fields.contains("peers")) {
      json.writeArrayFieldStart("peers");
      for (Peer peer : upstream.peers().asList()) {
        peer(json, peer, upstream.serverId(peer), version);
      }
      json.writeEndArray();
    }
    Zone zone = upstream.definition().zone();
    if (zone != null && (fields == null || fields.contains("zone"))) {
      json.writeStringField("zone", zone.name());
    }
    json.writeEndObject();
  }

  // NginxHTTPUpstreamPeer, in the reference's order. responses has codes from version 7, each status reported at
  // least once; ssl is the proxy's; downstart, selected, header_time and response_time only once they have a
  // value, and health_checks' last_passed after the first check, as NGINX Plus writes them.
  private static void peer(JsonGenerator json, Peer peer, int id, int version) throws IOException {
    ServerSpec spec = peer.spec();
    PeerStatistics stats = peer.statistics();
    json.writeStartObject();
    json.writeNumberField("id", id);
    json.writeStringField("server", peer.toString());
    json.writeStringField("name", spec.address().toString());
    json.writeBooleanField("backup", spec.backup());
    json.writeNumberField("weight", spec.weight());
    json.writeStringField("state", peer.state().apiName());
    json.writeNumberField("active", stats.active());
    if (spec.maxConns() != 0) {
      json.writeNumberField("max_conns", spec.maxConns());
    }
    json.writeNumberField("requests", stats.requests());
    PeerStatistics.Responses responses = stats.responses();
    json.writeObjectFieldStart("responses");
    json.writeNumberField("1xx", responses.informational());
    json.writeNumberField("2xx", responses.successful());
    json.writeNumberField("3xx", responses.redirection());
    json.writeNumberField("4xx", responses.clientError());
    json.writeNumberField("5xx", responses.serverError());
    if (version >= CODES_SINCE) {
      json.writeObjectFieldStart("codes");
      for (Map.Entry<Integer, Long> code : responses.codes().entrySet()) {
        json.writeNumberField(code.getKey().toString(), code.getValue());
      }
      json.writeEndObject();
    }
    json.writeNumberField("total", responses.total());
    json.writeEndObject();
    json.writeNumberField("sent", stats.sent());
    json.writeNumberField("received", stats.received());
    json.writeNumberField("fails", stats.fails());
    json.writeNumberField("unavail", stats.unavail());
    PeerStatistics.HealthChecks checks = stats.healthChecks();
    json.writeObjectFieldStart("health_checks");
    json.writeNumberField("checks", checks.checks());
    json.writeNumberField("fails", checks.fails());
    json.writeNumberField("unhealthy", checks.unhealthy());
    Boolean lastPassed = checks.lastPassed();
    if (lastPassed != null) {
      json.writeBooleanField("last_passed", lastPassed);
    }
    json.writeEndObject();
    json.writeNumberField("downtime", stats.downtime().toMillis());
    Instant downstart = stats.downstart();
    if (downstart != null) {
      json.writeStringField("downstart", time(downstart));
    }
    Instant selected = stats.selected();
    if (selected != null) {
      json.writeStringField("selected", time(selected));
    }
    Duration headerTime = stats.headerTime();
    if (headerTime != null) {
      json.writeNumberField("header_time", headerTime.toMillis());
    }
    Duration responseTime = stats.responseTime();
    if (responseTime != null) {
      json.writeNumberField("response_time", responseTime.toMillis());
    }
    json.writeEndObject();
  }

  // NGINX Plus's times: ISO 8601 in UTC with milliseconds, "2026-11-30T22:01:09.123Z".
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  static String time(Instant instant) {
    return TIME.format(instant);
  }

  /** {@code NginxHTTPUpstreamConfServerMap}. */
  static AdminJson.Body servers(List<UpstreamServer> servers) {
    return json -> {
      json.writeStartArray();
      for (UpstreamServer server : servers) {
        server(json, server);
      }
      json.writeEndArray();
    };
  }

  /**
   * A JSON answer 200 of the Plus API: streamed when {@code large} (written as it is sent), otherwise made whole;
   * the same bytes either way.
   */
  static AdminResponse answer(Map<String, String> headers, boolean large, AdminJson.Body body) {
    Map<String, String> all = new LinkedHashMap<>(headers);
    all.put("Content-Type", AdminResponse.JSON);
    return AdminResponse.listing(200, all, large, out -> AdminJson.writeTo(body, out, false));
  }

  static byte[] server(UpstreamServer server) {
    return write(json -> server(json, server));
  }

  // NginxHTTPUpstreamConfServer, in the reference's order; drain and service only when set, as NGINX Plus writes
  // them.
  private static void server(JsonGenerator json, UpstreamServer server) throws IOException {
    ServerSpec spec = server.spec();
    json.writeStartObject();
    json.writeNumberField("id", server.id());
    json.writeStringField("server", spec.service() != null ? spec.address().host() : spec.address().toString());
    if (spec.service() != null) {
      json.writeStringField("service", spec.service());
    }
    json.writeNumberField("weight", spec.weight());
    json.writeNumberField("max_conns", spec.maxConns());
    json.writeNumberField("max_fails", spec.maxFails());
    json.writeStringField("fail_timeout", NginxUnits.formatTime(spec.failTimeout()));
    json.writeStringField("slow_start", NginxUnits.formatTime(spec.slowStart()));
    json.writeStringField("route", spec.route() == null ? "" : spec.route());
    json.writeBooleanField("backup", spec.backup());
    json.writeBooleanField("down", spec.down());
    if (spec.drain()) {
      json.writeBooleanField("drain", true);
    }
    json.writeEndObject();
  }

  private static byte[] write(AdminJson.Body body) {
    return AdminJson.bytes(body, false);
  }
}
