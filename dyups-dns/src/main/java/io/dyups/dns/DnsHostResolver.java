package io.dyups.dns;

import static java.util.Objects.requireNonNull;

import io.dyups.core.HostResolver;
import io.netty.buffer.ByteBuf;
import io.netty.channel.AddressedEnvelope;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.dns.DefaultDnsQuestion;
import io.netty.handler.codec.dns.DefaultDnsRecordDecoder;
import io.netty.handler.codec.dns.DnsRawRecord;
import io.netty.handler.codec.dns.DnsRecord;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponse;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.handler.codec.dns.DnsSection;
import io.netty.resolver.dns.DnsNameResolver;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.resolver.dns.NoopDnsCache;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.Future;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * A {@link HostResolver} that asks DNS servers itself, as nginx's resolver does: the servers of a query (those of
 * the {@code resolver} directive) in turn, A and AAAA records as the query asks, CNAMEs followed, SRV records for
 * {@code service=}, and each answer's TTL (the least of the records it used) for the registry to look the name up
 * again when it runs out. Nothing is cached here: the registry keeps each answer as long as its TTL says.
 *
 * <p>A query without name servers (a server written with a name but without {@code resolve}, which nginx looks up
 * with getaddrinfo when it reads the configuration) is answered by {@link HostResolver#system()}, so the hosts file
 * and the system's configuration apply to it as they do to nginx.
 *
 * <p>Lookups run on one Netty event loop thread of the resolver's own, never on the caller's: both methods return
 * at once. Thread-safe. {@link #close()} stops the thread; lookups still running complete as failed.
 */
public final class DnsHostResolver implements HostResolver {
  /** How long one server is given before the next is asked: nginx's resend timeout (ngx_resolver_create). */
  private static final Duration ATTEMPT = Duration.ofSeconds(5);
  /** How many CNAMEs are followed for one name: nginx's NGX_RESOLVER_MAX_RECURSION. */
  private static final int MAX_RECURSION = 50;

  private final EventLoopGroup group;
  private final DnsNameResolver dns;
  private final HostResolver system;
  private volatile boolean closed;

  private DnsHostResolver() {
    this.group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("dyups-dns", true),
        NioIoHandler.newFactory());
    this.dns = new DnsNameResolverBuilder(group.next())
        .datagramChannelType(NioDatagramChannel.class)
        .socketChannelType(NioSocketChannel.class)
        .resolveCache(NoopDnsCache.INSTANCE)
        .queryTimeoutMillis(ATTEMPT.toMillis())
        .recursionDesired(true)
        .build();
    this.system = HostResolver.system();
  }

  /**
   * A resolver with its own event loop thread (a daemon) and no cache. Close it after the registry it serves.
   */
  public static DnsHostResolver create() {
    return new DnsHostResolver();
  }

  @Override
  public CompletableFuture<Answer> lookUpAddresses(Query query) {
    requireNonNull(query, "query");
    if (query.nameServers().isEmpty()) {
      return system.lookUpAddresses(query);
    }
    long deadline = System.nanoTime() + query.timeout().toNanos();
    CompletableFuture<Reply> v4 = query.ipv4()
        ? follow(query, query.name(), DnsRecordType.A, deadline, 0)
        : CompletableFuture.completedFuture(Reply.SKIPPED);
    CompletableFuture<Reply> v6 = query.ipv6()
        ? follow(query, query.name(), DnsRecordType.AAAA, deadline, 0)
        : CompletableFuture.completedFuture(Reply.SKIPPED);
    return v4.thenCombine(v6, DnsHostResolver::addresses)
        .completeOnTimeout(Answer.failed(TIMED_OUT), remaining(deadline), TimeUnit.NANOSECONDS);
  }

  @Override
  public CompletableFuture<Answer> lookUpService(Query query) {
    requireNonNull(query, "query");
    long deadline = System.nanoTime() + query.timeout().toNanos();
    return ask(query, query.name(), DnsRecordType.SRV, deadline, 0).thenApply(reply -> switch (reply.status()) {
      case FOUND -> Answer.services(reply.services(), Duration.ofSeconds(reply.ttl()));
      case NOT_FOUND -> Answer.notFound(null);
      case FAILED -> Answer.failed(reply.error());
    }).completeOnTimeout(Answer.failed(TIMED_OUT), remaining(deadline), TimeUnit.NANOSECONDS);
  }

  /**
   * The A and AAAA answers as one: A records first, as nginx's ngx_resolver_export lists them, valid as long as the
   * shorter-lived; found when either family has addresses, failed when neither has and a lookup got no answer.
   */
  private static Answer addresses(Reply v4, Reply v6) {
    List<InetAddress> found = new ArrayList<>();
    long ttl = Long.MAX_VALUE;
    String error = "";
    boolean failed = false;
    for (Reply reply : new Reply[] {v4, v6}) {
      if (reply == Reply.SKIPPED) {
        continue;
      }
      if (reply.status() == Status.FOUND && !reply.addresses().isEmpty()) {
        found.addAll(reply.addresses());
        ttl = Math.min(ttl, reply.ttl());
      } else if (reply.status() == Status.FAILED) {
        failed = true;
        error = reply.error();
      } else if (error.isEmpty()) {
        error = reply.error();
      }
    }
    if (!found.isEmpty()) {
      return Answer.addresses(found, Duration.ofSeconds(ttl));
    }
    return failed ? Answer.failed(error) : Answer.notFound(null);
  }

  /** Asks for {@code type} records of {@code name}, and again for the target of a CNAME the answer ends with. */
  private CompletableFuture<Reply> follow(Query query, String name, DnsRecordType type, long deadline, int depth) {
    return ask(query, name, type, deadline, 0).thenCompose(reply -> {
      String alias = reply.alias();
      if (reply.status() != Status.FOUND || !reply.addresses().isEmpty() || alias == null) {
        return CompletableFuture.completedFuture(reply);
      }
      if (depth >= MAX_RECURSION) {
        return CompletableFuture.completedFuture(Reply.failed("Server failure"));
      }
      return follow(query, alias, type, deadline, depth + 1).thenApply(next -> next.status() == Status.FOUND
          ? new Reply(Status.FOUND, next.addresses(), next.services(), next.alias(), Math.min(reply.ttl(),
              next.ttl()), "")
          : next);
    });
  }

  /**
   * One question to the query's servers: server {@code attempt} modulo their number is asked; when it gives no
   * answer in time (or cannot be reached), the next one is, until the query's deadline. An answer with an error
   * code is final, as in nginx.
   */
  private CompletableFuture<Reply> ask(Query query, String name, DnsRecordType type, long deadline, int attempt) {
    CompletableFuture<Reply> reply = new CompletableFuture<>();
    DefaultDnsQuestion question = new DefaultDnsQuestion(name + ".", type);
    Future<AddressedEnvelope<DnsResponse, InetSocketAddress>> sent;
    try {
      sent = query.nameServers().isEmpty() ? dns.query(question)
          : dns.query(query.nameServers().get(attempt % query.nameServers().size()), question);
    } catch (RuntimeException e) {
      return CompletableFuture.completedFuture(Reply.failed(String.valueOf(e.getMessage())));
    }
    sent.addListener(done -> {
      if (done.isSuccess()) {
        AddressedEnvelope<DnsResponse, InetSocketAddress> envelope = sent.getNow();
        try {
          reply.complete(read(envelope.content(), type));
        } catch (RuntimeException | UnknownHostException e) {
          reply.complete(Reply.failed("Format error"));
        } finally {
          ReferenceCountUtil.release(envelope);
        }
        return;
      }
      boolean more = attempt + 1 < Math.max(1, query.nameServers().size()) * 2 && remaining(deadline) > 0;
      if (more && !closed) {
        ask(query, name, type, deadline, attempt + 1).whenComplete((next, error) -> reply.complete(
            next != null ? next : Reply.failed(TIMED_OUT)));
      } else {
        reply.complete(Reply.failed(TIMED_OUT));
      }
    });
    return reply;
  }

  /** The records of {@code type} in an answer, the target of its last CNAME, and the least TTL of those used. */
  private static Reply read(DnsResponse response, DnsRecordType type) throws UnknownHostException {
    DnsResponseCode code = response.code();
    if (code.equals(DnsResponseCode.NXDOMAIN)) {
      return new Reply(Status.NOT_FOUND, List.of(), List.of(), null, 0, "Host not found");
    }
    if (!code.equals(DnsResponseCode.NOERROR)) {
      return Reply.failed(error(code));
    }
    List<InetAddress> addresses = new ArrayList<>();
    List<ServiceRecord> services = new ArrayList<>();
    String alias = null;
    long ttl = Long.MAX_VALUE;
    for (int i = 0, n = response.count(DnsSection.ANSWER); i < n; i++) {
      DnsRecord record = response.recordAt(DnsSection.ANSWER, i);
      if (!(record instanceof DnsRawRecord raw)) {
        continue;
      }
      ByteBuf content = raw.content();
      if (record.type().equals(DnsRecordType.CNAME)) {
        alias = trimDot(DefaultDnsRecordDecoder.decodeName(content.duplicate()));
        ttl = Math.min(ttl, record.timeToLive());
      } else if (record.type().equals(type) && type.equals(DnsRecordType.SRV)) {
        ByteBuf data = content.duplicate();
        int priority = data.readUnsignedShort();
        int weight = data.readUnsignedShort();
        int port = data.readUnsignedShort();
        services.add(new ServiceRecord(priority, weight, port, trimDot(DefaultDnsRecordDecoder.decodeName(data))));
        ttl = Math.min(ttl, record.timeToLive());
      } else if (record.type().equals(type)
          && content.readableBytes() == (type.equals(DnsRecordType.A) ? 4 : 16)) {
        byte[] bytes = new byte[content.readableBytes()];
        content.getBytes(content.readerIndex(), bytes);
        addresses.add(InetAddress.getByAddress(bytes));
        ttl = Math.min(ttl, record.timeToLive());
      }
    }
    if (addresses.isEmpty() && services.isEmpty() && alias == null) {
      // NOERROR without records of the type asked for: nginx takes it as a name that is not found.
      return new Reply(Status.NOT_FOUND, List.of(), List.of(), null, 0, "Host not found");
    }
    return new Reply(Status.FOUND, addresses, services, alias, ttl == Long.MAX_VALUE ? 0 : ttl, "");
  }

  private static final String TIMED_OUT = "Operation timed out";

  // ngx_resolver_strerror's words for the answer's code.
  private static String error(DnsResponseCode code) {
    return switch (code.intValue()) {
      case 1 -> "Format error";
      case 2 -> "Server failure";
      case 3 -> "Host not found";
      case 4 -> "Unimplemented";
      case 5 -> "Operation refused";
      default -> "Unknown error";
    };
  }

  private static String trimDot(String name) {
    return name.endsWith(".") && name.length() > 1 ? name.substring(0, name.length() - 1) : name;
  }

  private static long remaining(long deadline) {
    return Math.max(0, deadline - System.nanoTime());
  }

  /**
   * What one question got: its records of the type asked for, the target of a CNAME, the least TTL in seconds.
   */
  private record Reply(Status status, List<InetAddress> addresses, List<ServiceRecord> services,
      @Nullable String alias, long ttl, String error) {
    /** The family a query does not ask for. */
    static final Reply SKIPPED = new Reply(Status.NOT_FOUND, List.of(), List.of(), null, 0, "");

    static Reply failed(String error) {
      return new Reply(Status.FAILED, List.of(), List.of(), null, 0, error);
    }
  }

  @Override
  public void close() {
    closed = true;
    dns.close();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    system.close();
  }
}
