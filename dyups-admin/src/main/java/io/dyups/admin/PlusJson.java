package io.dyups.admin;

import com.fasterxml.jackson.core.JsonGenerator;
import io.dyups.core.Peer;
import io.dyups.core.Upstream;
import io.dyups.core.UpstreamServer;
import io.dyups.parser.NginxUnits;
import io.dyups.parser.ServerSpec;
import io.dyups.parser.Zone;
import java.io.IOException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

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

  /** {@code NginxHTTPUpstreamMap}: each upstream by name, in listing order. */
  static byte[] upstreams(List<Upstream> upstreams) {
    return write(json -> {
      json.writeStartObject();
      for (Upstream upstream : upstreams) {
        json.writeFieldName(upstream.name());
        upstream(json, upstream);
      }
      json.writeEndObject();
    });
  }

  static byte[] upstream(Upstream upstream) {
    return write(json -> upstream(json, upstream));
  }

  // NginxHTTPUpstream: its peers and zone. keepalive (idle connections) and zombies are the proxy's to count,
  // queue is not supported; they are left out.
  private static void upstream(JsonGenerator json, Upstream upstream) throws IOException {
    json.writeStartObject();
    json.writeArrayFieldStart("peers");
    List<UpstreamServer> servers = upstream.servers();
    for (Peer peer : upstream.peers().asList()) {
      peer(json, peer, idOf(peer, servers));
    }
    json.writeEndArray();
    Zone zone = upstream.definition().zone();
    if (zone != null) {
      json.writeStringField("zone", zone.name());
    }
    json.writeEndObject();
  }

  /**
   * The id of the server a peer was built from: the server with the peer's address and the same line, else the first
   * with its address (a server with {@code service=} gives its peers SRV weights). The peers of a host name share
   * their server's id.
   */
  static int idOf(Peer peer, List<UpstreamServer> servers) {
    int byAddress = -1;
    for (UpstreamServer server : servers) {
      if (server.spec().address().equals(peer.address())) {
        if (server.spec().equals(peer.spec())) {
          return server.id();
        }
        if (byAddress < 0) {
          byAddress = server.id();
        }
      }
    }
    return byAddress;
  }

  // NginxHTTPUpstreamPeer: what the registry knows of a peer. The traffic statistics (requests, responses, sent,
  // received, fails, unavail, health_checks, downtime, selected, header_time, response_time) are not kept yet.
  private static void peer(JsonGenerator json, Peer peer, int id) throws IOException {
    ServerSpec spec = peer.spec();
    json.writeStartObject();
    json.writeNumberField("id", id);
    json.writeStringField("server", peer.toString());
    json.writeStringField("name", spec.address().toString());
    json.writeBooleanField("backup", spec.backup());
    json.writeNumberField("weight", spec.weight());
    json.writeStringField("state", peer.state().apiName());
    json.writeNumberField("active", peer.activeConnections());
    if (spec.maxConns() != 0) {
      json.writeNumberField("max_conns", spec.maxConns());
    }
    json.writeEndObject();
  }

  /** {@code NginxHTTPUpstreamConfServerMap}. */
  static byte[] servers(List<UpstreamServer> servers) {
    return write(json -> {
      json.writeStartArray();
      for (UpstreamServer server : servers) {
        server(json, server);
      }
      json.writeEndArray();
    });
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
