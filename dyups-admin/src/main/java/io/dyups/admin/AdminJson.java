package io.dyups.admin;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.dyups.core.HostStatus;
import io.dyups.core.Peer;
import io.dyups.core.StoreStatus;
import io.dyups.core.Upstream;
import io.dyups.parser.Balancing;
import io.dyups.parser.HealthCheck;
import io.dyups.parser.KeepaliveSettings;
import io.dyups.parser.ServerSpec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.List;
import java.util.Locale;

/**
 * The JSON form of the admin listings. Times are in milliseconds. Every string goes through the generator, which
 * escapes it.
 */
final class AdminJson {
  private static final JsonFactory FACTORY = new JsonFactory();

  private AdminJson() {}

  static Body namesBody(List<String> names, StoreStatus store) {
    return json -> {
      json.writeStartObject();
      json.writeArrayFieldStart("upstreams");
      for (String name : names) {
        json.writeString(name);
      }
      json.writeEndArray();
      json.writeFieldName("store");
      store(json, store);
      json.writeEndObject();
    };
  }

  static Body upstreamsBody(List<Upstream> upstreams, StoreStatus store) {
    return json -> {
      json.writeStartObject();
      json.writeArrayFieldStart("upstreams");
      for (Upstream upstream : upstreams) {
        upstream(json, upstream);
      }
      json.writeEndArray();
      json.writeFieldName("store");
      store(json, store);
      json.writeEndObject();
    };
  }

  static byte[] store(StoreStatus store) {
    return write(json -> store(json, store));
  }

  /** Where the registry keeps its upstreams: connected or not, the last change applied, how far behind. */
  private static void store(JsonGenerator json, StoreStatus store) throws IOException {
    json.writeStartObject();
    json.writeStringField("kind", store.store());
    json.writeBooleanField("available", store.available());
    json.writeStringField("state", store.state());
    json.writeStringField("detail", store.detail());
    json.writeNumberField("lastVersion", store.lastVersion());
    Instant at = store.lastChangeAt();
    if (at == null) {
      json.writeNullField("lastChangeAt");
    } else {
      json.writeStringField("lastChangeAt", at.toString());
    }
    json.writeNumberField("pendingChanges", store.pendingChanges());
    json.writeNumberField("behindMillis", store.behindMillis());
    json.writeEndObject();
  }

  static Body upstreamBody(Upstream upstream) {
    return json -> upstream(json, upstream);
  }

  private static void upstream(JsonGenerator json, Upstream upstream) throws IOException {
    json.writeStartObject();
    json.writeStringField("name", upstream.name());
    json.writeNumberField("version", upstream.version());
    Balancing balancing = upstream.definition().balancing();
    json.writeObjectFieldStart("balancing");
    if (balancing instanceof Balancing.IpHash) {
      json.writeStringField("method", "ip_hash");
    } else if (balancing instanceof Balancing.Hash hash) {
      json.writeStringField("method", "hash");
      json.writeStringField("key", hash.key());
      json.writeBooleanField("consistent", hash.consistent());
    } else if (balancing instanceof Balancing.LeastConn) {
      json.writeStringField("method", "least_conn");
    } else if (balancing instanceof Balancing.Random random) {
      json.writeStringField("method", "random");
      json.writeBooleanField("two", random.two());
    } else {
      json.writeStringField("method", "round_robin");
    }
    json.writeEndObject();
    KeepaliveSettings keepalive = upstream.definition().keepalive();
    json.writeObjectFieldStart("keepalive");
    json.writeNumberField("connections", keepalive.connections());
    json.writeNumberField("requests", keepalive.requests());
    json.writeNumberField("time_ms", keepalive.time().toMillis());
    json.writeNumberField("timeout_ms", keepalive.timeout().toMillis());
    json.writeEndObject();
    HealthCheck check = upstream.definition().healthCheck();
    if (check != null) {
      json.writeObjectFieldStart("check");
      json.writeStringField("type", check.type().configName());
      json.writeNumberField("interval_ms", check.interval().toMillis());
      json.writeNumberField("timeout_ms", check.timeout().toMillis());
      json.writeNumberField("rise", check.rise());
      json.writeNumberField("fall", check.fall());
      json.writeBooleanField("default_down", check.defaultDown());
      json.writeNumberField("port", check.port());
      json.writeEndObject();
    }
    json.writeArrayFieldStart("servers");
    for (Peer peer : upstream.peers().asList()) {
      ServerSpec spec = peer.spec();
      json.writeStartObject();
      json.writeStringField("address", spec.address().toString());
      json.writeStringField("peer", peer.toString());
      json.writeNumberField("weight", spec.weight());
      json.writeNumberField("max_fails", spec.maxFails());
      json.writeNumberField("fail_timeout_ms", spec.failTimeout().toMillis());
      json.writeNumberField("max_conns", spec.maxConns());
      json.writeBooleanField("backup", spec.backup());
      json.writeBooleanField("down", spec.down());
      json.writeNumberField("active_connections", peer.activeConnections());
      json.writeNumberField("failures", peer.failures());
      json.writeBooleanField("healthy", peer.isHealthy());
      json.writeBooleanField("out", peer.isOut());
      json.writeBooleanField("available", peer.isAvailable());
      json.writeEndObject();
    }
    json.writeEndArray();
    hosts(json, upstream);
    json.writeEndObject();
  }

  // The servers written with a host name: what the name resolves to now, and why not when it does not.
  private static void hosts(JsonGenerator json, Upstream upstream) throws IOException {
    json.writeArrayFieldStart("hosts");
    for (HostStatus host : upstream.hosts()) {
      json.writeStartObject();
      json.writeStringField("server", host.server().address().toString());
      json.writeBooleanField("resolve", host.server().resolvesAtRunTime());
      json.writeStringField("state", host.state().name().toLowerCase(Locale.ROOT));
      json.writeArrayFieldStart("addresses");
      for (String address : host.addressNames()) {
        json.writeString(address);
      }
      json.writeEndArray();
      json.writeStringField("error", host.error());
      Instant checked = host.checked();
      if (checked != null) {
        json.writeNumberField("checked_ms", checked.toEpochMilli());
      }
      json.writeEndObject();
    }
    json.writeEndArray();
  }

  /** What one JSON answer writes; the admin module's JSON bodies are all written through {@link #bytes}. */
  interface Body {
    void writeTo(JsonGenerator json) throws IOException;
  }

  private static byte[] write(Body body) {
    return bytes(body, true);
  }

  /** {@code body} as JSON bytes, followed by a newline when {@code newline} (dyups's answers; the Plus API's not). */
  static byte[] bytes(Body body, boolean newline) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    try {
      writeTo(body, out, newline);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** Writes {@code body} to {@code out} as it is made (a streamed answer), as {@link #bytes} makes it. */
  static void writeTo(Body body, OutputStream out, boolean newline) throws IOException {
    try (JsonGenerator json = FACTORY.createGenerator(out)) {
      // The generator's own buffer goes to out as it fills; out stays open for the caller.
      json.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
      body.writeTo(json);
    }
    if (newline) {
      out.write('\n');
    }
  }
}
