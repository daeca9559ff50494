package io.dyups.admin;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.dyups.core.UpstreamServer;
import io.dyups.parser.Address;
import io.dyups.parser.NginxUnits;
import io.dyups.parser.ServerSpec;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * The body of an NGINX Plus API {@code POST} or {@code PATCH} of a server: one flat JSON object with the fields of
 * NGINX Plus's {@code NginxHTTPUpstreamConfServer} ({@code server}, {@code service}, {@code weight}, {@code
 * max_conns}, {@code max_fails}, {@code fail_timeout}, {@code slow_start}, {@code route}, {@code backup}, {@code
 * down}, {@code drain}), each checked as NGINX Plus checks it, with its error code. A field not sent is null.
 */
final class PlusServerFields {
  private static final JsonFactory FACTORY = new JsonFactory();

  @Nullable String server;
  @Nullable String service;
  @Nullable Integer weight;
  @Nullable Integer maxConns;
  @Nullable Integer maxFails;
  @Nullable Duration failTimeout;
  @Nullable Duration slowStart;
  @Nullable String route;
  @Nullable Boolean backup;
  @Nullable Boolean down;
  @Nullable Boolean drain;

  private PlusServerFields() {}

  /** A request NGINX Plus would refuse, with the answer it would give. */
  static final class BadRequest extends Exception {
    private static final long serialVersionUID = 1;
    private final int status;
    private final String code;

    BadRequest(int status, String text, String code) {
      super(text, null, false, false);
      this.status = status;
      this.code = code;
    }

    AdminResponse response() {
      return PlusJson.error(status, String.valueOf(getMessage()), code);
    }
  }

  private static BadRequest format(String text) {
    return new BadRequest(400, text, "UpstreamConfFormatError");
  }

  /**
   * Reads and checks the fields of {@code body}, at most {@code limit} bytes of it.
   *
   * @throws BadRequest with NGINX Plus's status and code: 415 {@code JsonError} for what is not JSON or not an
   *     object, 400 {@code UpstreamConfFormatError} for an unknown parameter, a nested object or list, or a value of
   *     the wrong type, and the field's own code for a value out of range
   * @throws IOException when the body cannot be read
   */
  static PlusServerFields read(InputStream body, long limit) throws IOException, BadRequest {
    byte[] bytes = body.readNBytes((int) Math.min(limit + 1, Integer.MAX_VALUE - 8));
    if (bytes.length > limit) {
      throw new BadRequest(413, "request body too large, the limit is " + limit + " bytes", "BodyReadError");
    }
    PlusServerFields fields = new PlusServerFields();
    try (JsonParser json = FACTORY.createParser(bytes)) {
      if (json.nextToken() != JsonToken.START_OBJECT) {
        throw new BadRequest(415, "json error", "JsonError");
      }
      for (JsonToken token = json.nextToken(); token != JsonToken.END_OBJECT; token = json.nextToken()) {
        String name = json.currentName();
        JsonToken value = json.nextToken();
        if (value == JsonToken.START_OBJECT || value == JsonToken.START_ARRAY) {
          throw format("nested object or list");
        }
        fields.set(name, value, json);
      }
      if (json.nextToken() != null) {
        throw new BadRequest(415, "json error", "JsonError");
      }
    } catch (JsonParseException e) {
      throw new BadRequest(415, "json error", "JsonError");
    }
    return fields;
  }

  private void set(String name, JsonToken value, JsonParser json) throws IOException, BadRequest {
    switch (name) {
      case "server" -> server = string(name, value, json);
      case "service" -> {
        String text = string(name, value, json);
        if (text.isEmpty()) {
          throw new BadRequest(400, "\"service\" is empty", "UpstreamBadService");
        }
        service = text;
      }
      case "route" -> route = string(name, value, json);
      case "weight" -> weight = atLeast(integer(name, value, json), 1, "weight", "UpstreamBadWeight");
      case "max_conns" -> maxConns = atLeast(integer(name, value, json), 0, "max_conns", "UpstreamBadMaxConns");
      case "max_fails" -> maxFails = atLeast(integer(name, value, json), 0, "max_fails", "UpstreamBadMaxFails");
      case "fail_timeout" -> failTimeout = time(string(name, value, json), "fail_timeout", "UpstreamBadFailTimeout");
      case "slow_start" -> slowStart = time(string(name, value, json), "slow_start", "UpstreamBadSlowStart");
      case "backup" -> backup = bool(name, value);
      case "down" -> down = bool(name, value);
      case "drain" -> drain = bool(name, value);
      default -> throw format("unknown parameter \"" + name + "\"");
    }
  }

  private static String string(String name, JsonToken value, JsonParser json) throws IOException, BadRequest {
    if (value != JsonToken.VALUE_STRING) {
      throw format("invalid \"" + name + "\" value");
    }
    return json.getText();
  }

  private static long integer(String name, JsonToken value, JsonParser json) throws IOException, BadRequest {
    if (value != JsonToken.VALUE_NUMBER_INT) {
      throw format("invalid \"" + name + "\" value");
    }
    return json.getNumberType() == JsonParser.NumberType.BIG_INTEGER ? Long.MAX_VALUE : json.getLongValue();
  }

  private static int atLeast(long value, int least, String name, String code) throws BadRequest {
    if (value < least || value > Integer.MAX_VALUE) {
      throw new BadRequest(400, "invalid \"" + name + "\"", code);
    }
    return (int) value;
  }

  private static Duration time(String text, String name, String code) throws BadRequest {
    Duration time = NginxUnits.parseSeconds(text);
    if (time == null) {
      throw new BadRequest(400, "invalid \"" + name + "\"", code);
    }
    return time;
  }

  private static boolean bool(String name, JsonToken value) throws BadRequest {
    if (value == JsonToken.VALUE_TRUE || value == JsonToken.VALUE_FALSE) {
      return value == JsonToken.VALUE_TRUE;
    }
    throw format("invalid \"" + name + "\" value");
  }

  /**
   * The server a POST describes: its parameters on nginx's defaults. A host name is looked up again while the
   * upstream lives ({@code resolve}), as NGINX Plus watches the names of servers added through the API.
   */
  ServerSpec newServer() throws BadRequest {
    if (server == null) {
      throw format("missing \"server\" argument");
    }
    Address address = address(server);
    if (service != null) {
      if (address.kind() != Address.Kind.HOST) {
        throw new BadRequest(400, "service upstream \"" + server + "\" requires domain name", "UpstreamBadAddress");
      }
      if (server.contains(":")) {
        throw new BadRequest(400, "service upstream \"" + server + "\" may not have port", "UpstreamBadAddress");
      }
    }
    ServerSpec spec = ServerSpec.of(address);
    if (address.kind() == Address.Kind.HOST) {
      spec = spec.withResolve(true);
    }
    if (service != null) {
      spec = spec.withService(service);
    }
    if (backup != null) {
      spec = spec.withBackup(backup);
    }
    return applyTo(spec);
  }

  private static Address address(String text) throws BadRequest {
    try {
      return Address.parse(text);
    } catch (IllegalArgumentException e) {
      throw new BadRequest(400, String.valueOf(e.getMessage()), "UpstreamBadAddress");
    }
  }

  /**
   * Refuses what a PATCH may not change (NGINX Plus: the id, {@code backup} and {@code service}; the address, since
   * the id is the address's): the same value may be sent again, as NGINX Plus's clients send the whole server.
   */
  void checkImmutable(UpstreamServer current) throws BadRequest {
    ServerSpec spec = current.spec();
    if (server != null && !address(server).equals(spec.address())) {
      throw new BadRequest(400, "server \"" + current.id() + "\" address is immutable", "UpstreamServerImmutable");
    }
    if (backup != null && backup != spec.backup()) {
      throw new BadRequest(400, "server \"" + current.id() + "\" backup is immutable", "UpstreamServerImmutable");
    }
    if (service != null && !service.equals(spec.service())) {
      throw new BadRequest(400, "server \"" + current.id() + "\" service is immutable", "UpstreamServerImmutable");
    }
  }

  /** {@code spec} with the changeable fields that were sent. */
  ServerSpec applyTo(ServerSpec spec) {
    ServerSpec out = spec;
    if (weight != null) {
      out = out.withWeight(weight);
    }
    if (maxConns != null) {
      out = out.withMaxConns(maxConns);
    }
    if (maxFails != null) {
      out = out.withMaxFails(maxFails);
    }
    if (failTimeout != null) {
      out = out.withFailTimeout(failTimeout);
    }
    if (slowStart != null) {
      out = out.withSlowStart(slowStart);
    }
    if (route != null) {
      out = out.withRoute(route.isEmpty() ? null : route);
    }
    if (down != null) {
      out = out.withDown(down);
    }
    if (drain != null) {
      out = out.withDrain(drain);
    }
    return out;
  }
}
