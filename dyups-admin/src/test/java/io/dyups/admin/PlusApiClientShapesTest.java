package io.dyups.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.dyups.core.Peer;
import io.dyups.core.PeerSelection;
import io.dyups.core.UpstreamRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The upstream JSON as a client we did not write decodes it: nginx-plus-go-client (the client of the NGINX Ingress
 * Controller and of nginx-prometheus-exporter), whose {@code client/nginx.go} declares {@code Upstream}, {@code
 * Peer}, {@code Responses} and {@code HealthChecks} with Go types. Go's decoder leaves a field it does not know aside
 * and fails on a value of the wrong type (a string where it wants {@code uint64}, a negative or fractional number),
 * so a misspelt name reads as 0 and a wrong type breaks the whole scrape. The tables below are those structs' JSON
 * names and types (read from the client's sources, v3, commit 0234a06); every field dyups writes must be one of
 * them, with its type.
 */
class PlusApiClientShapesTest {
  private enum GoType { STRING, INT, UINT, BOOL, OBJECT, ARRAY }

  // Upstream: Zone string, Peers []Peer, Queue, Keepalive int, Zombies int.
  private static final Map<String, GoType> UPSTREAM = Map.of(
      "zone", GoType.STRING, "peers", GoType.ARRAY, "queue", GoType.OBJECT, "keepalive", GoType.INT,
      "zombies", GoType.INT);

  // Peer (encoding/json matches names ignoring case; the tagged ones by their tag).
  private static final Map<String, GoType> PEER = new LinkedHashMap<>();

  static {
    for (String name : new String[] {"server", "service", "name", "selected", "downstart", "state"}) {
      PEER.put(name, GoType.STRING);
    }
    PEER.put("responses", GoType.OBJECT);
    PEER.put("ssl", GoType.OBJECT);
    PEER.put("health_checks", GoType.OBJECT);
    for (String name : new String[] {"id", "max_conns", "weight"}) {
      PEER.put(name, GoType.INT);
    }
    for (String name : new String[] {"requests", "sent", "received", "fails", "unavail", "active", "downtime",
        "header_time", "response_time"}) {
      PEER.put(name, GoType.UINT);
    }
    PEER.put("backup", GoType.BOOL);
  }

  // Responses: codes (per status), 1xx..5xx and total as uint64.
  private static final Map<String, GoType> RESPONSES = Map.of(
      "codes", GoType.OBJECT, "1xx", GoType.UINT, "2xx", GoType.UINT, "3xx", GoType.UINT, "4xx", GoType.UINT,
      "5xx", GoType.UINT, "total", GoType.UINT);

  // HealthChecks: checks, fails, unhealthy as uint64, last_passed bool.
  private static final Map<String, GoType> HEALTH_CHECKS = Map.of(
      "checks", GoType.UINT, "fails", GoType.UINT, "unhealthy", GoType.UINT, "last_passed", GoType.BOOL);

  private final UpstreamRegistry registry = UpstreamRegistry.builder().build();

  @AfterEach
  void close() {
    registry.close();
  }

  @Test
  void everyUpstreamAndPeerFieldHasTheNameAndTypeTheGoClientDecodes() throws IOException {
    registry.updateUpstream("backend", "zone backend 64k; server 127.0.0.1:9 max_fails=1 max_conns=5;"
        + " server 127.0.0.1:10 weight=3; server 127.0.0.1:11 backup; check interval=1000 default_down=false;");
    registry.updateUpstream("plain", "server 10.0.0.1:80 drain; server 10.0.0.2:80;");
    PeerSelection selection = new PeerSelection();
    for (int i = 0; i < 8; i++) {
      selection.start(registry.find("backend").peers(), null, null);
      Peer peer = selection.next();
      if (peer.address().toString().equals("127.0.0.1:9")) {
        selection.failed();
      } else {
        selection.succeeded(200 + i, 1_000_000L, 2_000_000L, 10, 20);
      }
    }
    registry.find("backend").peers().asList().get(1).setHealthy(false);

    byte[] body = PlusApi.of(registry, false).handle(new AdminRequest("GET", "/api/9/http/upstreams",
        Map.of(), java.io.InputStream.nullInputStream(), -1)).body();

    Set<String> seen = new TreeSet<>();
    try (JsonParser json = new JsonFactory().createParser(body)) {
      assertThat(json.nextToken()).isEqualTo(JsonToken.START_OBJECT);
      while (json.nextToken() == JsonToken.FIELD_NAME) {
        json.nextToken();
        checkObject(json, UPSTREAM, "upstream", seen);
      }
    }
    // The figures the exporter graphs are all there.
    assertThat(seen).contains("peer.requests", "peer.responses", "responses.2xx", "responses.codes", "peer.fails",
        "peer.unavail",
        "peer.downtime", "peer.downstart", "peer.selected", "peer.header_time", "peer.response_time",
        "peer.health_checks", "peer.state", "peer.active", "peer.max_conns", "upstream.zone");
    assertThat(seen).anyMatch(field -> field.startsWith("codes."));
    assertThat(new String(body, StandardCharsets.UTF_8)).contains("\"state\":\"draining\"", "\"state\":\"unavail\"",
        "\"state\":\"unhealthy\"");
  }

  // HTTPCodes: a uint64 for each status it knows, tagged with the status's three digits ("200"); a status it does not
  // know is left aside by the decoder, so every name must be three digits and every value a count.
  private static void checkCodes(JsonParser json, Set<String> seen) throws IOException {
    assertThat(json.currentToken()).as("codes").isEqualTo(JsonToken.START_OBJECT);
    while (json.nextToken() == JsonToken.FIELD_NAME) {
      String name = json.currentName();
      seen.add("codes." + name);
      assertThat(name).as("codes field").matches("[1-9][0-9][0-9]");
      assertThat(json.nextToken()).as("codes." + name).isEqualTo(JsonToken.VALUE_NUMBER_INT);
      assertThat(json.getLongValue()).as("codes." + name).isPositive();
    }
  }

  // Checks the object the parser is at against its Go struct, recording "kind.field" of every field seen.
  private static void checkObject(JsonParser json, Map<String, GoType> struct, String kind, Set<String> seen)
      throws IOException {
    assertThat(json.currentToken()).as(kind).isEqualTo(JsonToken.START_OBJECT);
    while (json.nextToken() == JsonToken.FIELD_NAME) {
      String name = json.currentName();
      seen.add(kind + "." + name);
      GoType type = struct.get(name);
      assertThat(type).as("%s field %s is not in the Go client's struct", kind, name).isNotNull();
      JsonToken value = json.nextToken();
      switch (type) {
        case STRING -> assertThat(value).as(kind + "." + name).isEqualTo(JsonToken.VALUE_STRING);
        case BOOL -> assertThat(value).as(kind + "." + name).isIn(JsonToken.VALUE_TRUE, JsonToken.VALUE_FALSE);
        case INT -> assertThat(value).as(kind + "." + name).isEqualTo(JsonToken.VALUE_NUMBER_INT);
        case UINT -> {
          assertThat(value).as(kind + "." + name).isEqualTo(JsonToken.VALUE_NUMBER_INT);
          assertThat(json.getLongValue()).as(kind + "." + name).isNotNegative();
        }
        case OBJECT -> {
          Map<String, GoType> inner = switch (name) {
            case "responses" -> RESPONSES;
            case "health_checks" -> HEALTH_CHECKS;
            case "codes" -> null;
            default -> throw new AssertionError("no table for " + kind + "." + name);
          };
          if (inner == null) {
            checkCodes(json, seen);
          } else {
            checkObject(json, inner, name, seen);
          }
        }
        case ARRAY -> {
          assertThat(value).as(kind + "." + name).isEqualTo(JsonToken.START_ARRAY);
          while (json.nextToken() != JsonToken.END_ARRAY) {
            checkObject(json, PEER, "peer", seen);
          }
        }
      }
    }
  }
}
