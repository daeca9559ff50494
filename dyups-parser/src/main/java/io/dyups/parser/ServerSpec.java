package io.dyups.parser;

import static com.google.common.base.Preconditions.checkArgument;
import static java.util.Objects.requireNonNull;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * One {@code server} line of an upstream block, with nginx's defaults filled in for what was not written.
 *
 * @param address where the server is
 * @param weight {@code weight=}, at least 1 (default 1)
 * @param maxFails {@code max_fails=}, 0 disables failure accounting (default 1)
 * @param failTimeout {@code fail_timeout=} (default 10s)
 * @param maxConns {@code max_conns=}, 0 means no limit (default 0)
 * @param backup {@code backup}
 * @param down {@code down}
 * @param slowStart {@code slow_start=} (default 0)
 * @param drain {@code drain}
 * @param resolve {@code resolve}: a host name is looked up again while the upstream lives, as its DNS answer's TTL
 *     (or the resolver's {@code valid=}) says; without it a name is looked up once, when the upstream is defined
 * @param route {@code route=} or {@code null}
 * @param service {@code service=} or {@code null}: the name is looked up as SRV records of this service
 *     ({@code _http._tcp.NAME} for {@code service=http}); only with {@code resolve}, a host name and no port
 */
public record ServerSpec(
    Address address,
    int weight,
    int maxFails,
    Duration failTimeout,
    int maxConns,
    boolean backup,
    boolean down,
    Duration slowStart,
    boolean drain,
    boolean resolve,
    @Nullable String route,
    @Nullable String service) {

  /** nginx's default {@code fail_timeout}. */
  public static final Duration DEFAULT_FAIL_TIMEOUT = Duration.ofSeconds(10);

  public ServerSpec {
    requireNonNull(address, "address");
    checkArgument(weight >= 1, "weight must be >= 1: %s", weight);
    checkArgument(maxFails >= 0, "maxFails must be >= 0: %s", maxFails);
    requireNonNull(failTimeout, "failTimeout");
    checkArgument(!failTimeout.isNegative(), "failTimeout must not be negative: %s", failTimeout);
    checkArgument(maxConns >= 0, "maxConns must be >= 0: %s", maxConns);
    requireNonNull(slowStart, "slowStart");
    checkArgument(!slowStart.isNegative(), "slowStart must not be negative: %s", slowStart);
    checkArgument(service == null || (resolve && address.kind() == Address.Kind.HOST
        && address.port() == Address.DEFAULT_PORT), "service= needs resolve and a host name without a port: %s",
        address);
  }

  /** True for a host name with {@code resolve}: looked up again while the upstream lives. */
  public boolean resolvesAtRunTime() {
    return resolve && address.kind() == Address.Kind.HOST;
  }

  /**
   * A server at {@code address} with every parameter at nginx's default; the {@code with…} methods set the others:
   * {@code ServerSpec.of(Address.parse("10.0.0.1:8080")).withWeight(3).withMaxFails(2)}.
   */
  public static ServerSpec of(Address address) {
    return new ServerSpec(
        address, 1, 1, DEFAULT_FAIL_TIMEOUT, 0, false, false, Duration.ZERO, false, false, null, null);
  }

  /**
   * This server with another address, every other parameter as it is.
   *
   * @throws IllegalArgumentException if the result is not a valid server (as the constructor checks)
   */
  public ServerSpec withAddress(Address address) {
    return new ServerSpec(address, weight, maxFails, failTimeout, maxConns, backup, down, slowStart, drain, resolve, route, service);
  }

  /**
   * This server with {@code weight=}, every other parameter as it is.
   *
   * @throws IllegalArgumentException if the result is not a valid server (as the constructor checks)
   */
  public ServerSpec withWeight(int weight) {
    return new ServerSpec(address, weight, maxFails, failTimeout, maxConns, backup, down, slowStart, drain, resolve, route, service);
  }

  /**
   * This server with {@code max_fails=}, every other parameter as it is.
   *
   * @throws IllegalArgumentException if the result is not a valid server (as the constructor checks)
   */
  public ServerSpec withMaxFails(int maxFails) {
    return new ServerSpec(address, weight, maxFails, failTimeout, maxConns, backup, down, slowStart, drain, resolve, route, service);
  }

  /**
   * This server with {@code fail_timeout=}, every other parameter as it is.
   *
   * @throws IllegalArgumentException if the result is not a valid server (as the constructor checks)
   */
  public ServerSpec withFailTimeout(Duration failTimeout) {
    return new ServerSpec(address, weight, maxFails, failTimeout, maxConns, backup, down, slowStart, drain, resolve, route, service);
  }

  /**
   * This server with {@code max_conns=}, every other parameter as it is.
   *
   * @throws IllegalArgumentException if the result is not a valid server (as the constructor checks)
   */
  public ServerSpec withMaxConns(int maxConns) {
    return new ServerSpec(address, weight, maxFails, failTimeout, maxConns, backup, down, slowStart, drain, resolve, route, service);
  }

  /**
   * This server with {@code backup} or not, every other parameter as it is.
   *
   * @throws IllegalArgumentException if the result is not a valid server (as the constructor checks)
   */
  public ServerSpec withBackup(boolean backup) {
    return new ServerSpec(address, weight, maxFails, failTimeout, maxConns, backup, down, slowStart, drain, resolve, route, service);
  }

  /**
   * This server with {@code down} or not, every other parameter as it is.
   *
   * @throws IllegalArgumentException if the result is not a valid server (as the constructor checks)
   */
  public ServerSpec withDown(boolean down) {
    return new ServerSpec(address, weight, maxFails, failTimeout, maxConns, backup, down, slowStart, drain, resolve, route, service);
  }

  /**
   * This server with {@code slow_start=}, every other parameter as it is.
   *
   * @throws IllegalArgumentException if the result is not a valid server (as the constructor checks)
   */
  public ServerSpec withSlowStart(Duration slowStart) {
    return new ServerSpec(address, weight, maxFails, failTimeout, maxConns, backup, down, slowStart, drain, resolve, route, service);
  }

  /**
   * This server with {@code drain} or not, every other parameter as it is.
   *
   * @throws IllegalArgumentException if the result is not a valid server (as the constructor checks)
   */
  public ServerSpec withDrain(boolean drain) {
    return new ServerSpec(address, weight, maxFails, failTimeout, maxConns, backup, down, slowStart, drain, resolve, route, service);
  }

  /**
   * This server with {@code resolve} or not, every other parameter as it is.
   *
   * @throws IllegalArgumentException if the result is not a valid server (as the constructor checks)
   */
  public ServerSpec withResolve(boolean resolve) {
    return new ServerSpec(address, weight, maxFails, failTimeout, maxConns, backup, down, slowStart, drain, resolve, route, service);
  }

  /**
   * This server with {@code route=} (null: none), every other parameter as it is.
   *
   * @throws IllegalArgumentException if the result is not a valid server (as the constructor checks)
   */
  public ServerSpec withRoute(@Nullable String route) {
    return new ServerSpec(address, weight, maxFails, failTimeout, maxConns, backup, down, slowStart, drain, resolve, route, service);
  }

  /**
   * This server with {@code service=} (null: none), every other parameter as it is.
   *
   * @throws IllegalArgumentException if the result is not a valid server (as the constructor checks)
   */
  public ServerSpec withService(@Nullable String service) {
    return new ServerSpec(address, weight, maxFails, failTimeout, maxConns, backup, down, slowStart, drain, resolve, route, service);
  }

  /**
   * The server line as canonical nginx text, {@code server 127.0.0.1:8080 weight=2;}, writing only the
   * parameters that differ from nginx's defaults.
   */
  public String toConfig() {
    // A service's ports come from its SRV records: nginx refuses a port written beside service=.
    String where = service != null ? address.host() : address.toConfig();
    StringBuilder out = new StringBuilder(48).append("server ").append(ConfigText.word(where));
    if (weight != 1) {
      out.append(" weight=").append(weight);
    }
    if (maxFails != 1) {
      out.append(" max_fails=").append(maxFails);
    }
    if (!failTimeout.equals(DEFAULT_FAIL_TIMEOUT)) {
      out.append(" fail_timeout=").append(NginxValues.formatTime(failTimeout));
    }
    if (maxConns != 0) {
      out.append(" max_conns=").append(maxConns);
    }
    if (!slowStart.isZero()) {
      out.append(" slow_start=").append(NginxValues.formatTime(slowStart));
    }
    if (route != null) {
      out.append(' ').append(ConfigText.word("route=" + route));
    }
    if (service != null) {
      out.append(' ').append(ConfigText.word("service=" + service));
    }
    if (backup) {
      out.append(" backup");
    }
    if (down) {
      out.append(" down");
    }
    if (drain) {
      out.append(" drain");
    }
    if (resolve) {
      out.append(" resolve");
    }
    return out.append(';').toString();
  }
}
