package io.dyups.core;

import static com.google.common.base.Preconditions.checkArgument;
import static java.util.Objects.requireNonNull;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * Looks host names up for an {@link UpstreamRegistry}: the addresses of a name (A and AAAA records) and the SRV
 * records of a service. The registry decides what to ask and when to ask again (nginx's rules: a server's name
 * when its upstream is defined, a name with {@code resolve} again when its answer's TTL runs out); a resolver only
 * answers. Give one to {@link UpstreamRegistry.Builder#hostResolver}; by default the registry uses {@link
 * #system()}, the JDK's resolver, which knows no TTL. {@code io.dyups.dns.DnsHostResolver} (module {@code
 * dyups-dns}) asks the DNS servers of nginx's {@code resolver} directive and gives each answer's TTL.
 *
 * <p>The registry never calls a resolver while it holds its write lock or on the path of a request. Both lookups
 * return at once and complete later, on a thread of the resolver; a lookup never completes exceptionally: what went
 * wrong is an {@link Answer} with status {@link Status#FAILED}. Implementations are thread-safe.
 */
public interface HostResolver extends AutoCloseable {
  /**
   * The addresses of {@code query.name()}, in the order the resolver gives them (for a name with {@code resolve}
   * the registry puts IPv4 addresses first, as nginx's resolver does).
   */
  CompletableFuture<Answer> lookUpAddresses(Query query);

  /**
   * The SRV records of {@code query.name()}, a service name such as {@code _http._tcp.backend.local}; their targets'
   * addresses are looked up by the registry with {@link #lookUpAddresses}.
   */
  CompletableFuture<Answer> lookUpService(Query query);

  /** Stops the resolver: lookups in progress complete as failed. Idempotent. */
  @Override
  void close();

  /**
   * The JDK's resolver ({@link InetAddress#getAllByName}), on a small pool of daemon threads: the system's name
   * servers, hosts file and cache (and the JDK's {@code networkaddress.cache.ttl}), so it ignores the query's name
   * servers, gives no TTL, and cannot look up SRV records. What nginx uses for a name without {@code resolve}
   * (getaddrinfo) is the nearest to it; the JDK lists IPv4 addresses first unless {@code
   * java.net.preferIPv6Addresses} says otherwise.
   */
  static HostResolver system() {
    return new SystemHostResolver();
  }

  /**
   * One lookup.
   *
   * @param name the name to look up, without a trailing dot
   * @param nameServers the DNS servers to ask, in order; empty: the system's
   * @param ipv4 look up A records (addresses only)
   * @param ipv6 look up AAAA records (addresses only)
   * @param timeout how long the lookup may take in all (nginx's {@code resolver_timeout})
   */
  record Query(String name, List<InetSocketAddress> nameServers, boolean ipv4, boolean ipv6, Duration timeout) {
    /**
     * @throws IllegalArgumentException if {@code name} is empty, both families are off or {@code timeout} is not
     *     positive
     */
    public Query {
      requireNonNull(name, "name");
      checkArgument(!name.isEmpty(), "name must not be empty");
      nameServers = List.copyOf(nameServers);
      checkArgument(ipv4 || ipv6, "ipv4 and ipv6 cannot both be off");
      checkArgument(timeout.compareTo(Duration.ZERO) > 0, "timeout must be positive: %s", timeout);
    }
  }

  /** How a lookup ended. */
  enum Status {
    /** The name has records of the kind asked for. */
    FOUND,
    /** The name does not exist, or has no records of the kind asked for (NXDOMAIN, or an empty answer). */
    NOT_FOUND,
    /** No answer: a timeout, a server failure, a refusal, a network error. */
    FAILED
  }

  /**
   * One SRV record (RFC 2782).
   *
   * @param priority lower first: nginx makes the records of the lowest priority primary servers, the others backup
   * @param weight the share of the record within its priority
   * @param port where the target listens
   * @param target the name of the host, without a trailing dot
   */
  record ServiceRecord(int priority, int weight, int port, String target) {
    /** @throws IllegalArgumentException if a number is outside 0..65535 or the target is empty */
    public ServiceRecord {
      checkArgument(priority >= 0 && priority <= 65535, "priority must be 0-65535: %s", priority);
      checkArgument(weight >= 0 && weight <= 65535, "weight must be 0-65535: %s", weight);
      checkArgument(port >= 0 && port <= 65535, "port must be 0-65535: %s", port);
      requireNonNull(target, "target");
      checkArgument(!target.isEmpty(), "target must not be empty");
    }
  }

  /**
   * What a lookup found.
   *
   * @param status how it ended
   * @param addresses for {@link #lookUpAddresses}: the addresses found (empty unless {@link Status#FOUND})
   * @param services for {@link #lookUpService}: the records found (empty unless {@link Status#FOUND})
   * @param ttl how long the answer may be used (the least TTL of its records; for {@link Status#NOT_FOUND}, the
   *     zone's negative TTL when known), or {@code null} when the resolver does not know
   * @param error what went wrong, in a few words (empty when found)
   */
  record Answer(Status status, List<InetAddress> addresses, List<ServiceRecord> services, @Nullable Duration ttl,
      String error) {
    public Answer {
      requireNonNull(status, "status");
      addresses = List.copyOf(addresses);
      services = List.copyOf(services);
      requireNonNull(error, "error");
      checkArgument(ttl == null || !ttl.isNegative(), "ttl must not be negative: %s", ttl);
      checkArgument(status == Status.FOUND || (addresses.isEmpty() && services.isEmpty()),
          "only a found answer has records");
    }

    /** Addresses found, with the answer's TTL ({@code null}: unknown). */
    public static Answer addresses(List<InetAddress> addresses, @Nullable Duration ttl) {
      return addresses.isEmpty() ? notFound(ttl)
          : new Answer(Status.FOUND, addresses, List.of(), ttl, "");
    }

    /** SRV records found, with the answer's TTL ({@code null}: unknown). */
    public static Answer services(List<ServiceRecord> services, @Nullable Duration ttl) {
      return services.isEmpty() ? notFound(ttl)
          : new Answer(Status.FOUND, List.of(), services, ttl, "");
    }

    /** No such name, or no records of the kind asked for. */
    public static Answer notFound(@Nullable Duration ttl) {
      return new Answer(Status.NOT_FOUND, List.of(), List.of(), ttl, "Host not found");
    }

    /** No answer, for the reason given. */
    public static Answer failed(String error) {
      return new Answer(Status.FAILED, List.of(), List.of(), null, error);
    }
  }
}
