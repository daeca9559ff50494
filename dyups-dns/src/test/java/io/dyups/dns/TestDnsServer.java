package io.dyups.dns;

import com.google.common.net.InetAddresses;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.dns.DatagramDnsQuery;
import io.netty.handler.codec.dns.DatagramDnsQueryDecoder;
import io.netty.handler.codec.dns.DatagramDnsResponse;
import io.netty.handler.codec.dns.DatagramDnsResponseEncoder;
import io.netty.handler.codec.dns.DefaultDnsQuestion;
import io.netty.handler.codec.dns.DefaultDnsRawRecord;
import io.netty.handler.codec.dns.DnsQuestion;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.handler.codec.dns.DnsSection;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small authoritative DNS server on an ephemeral UDP port of 127.0.0.1, answering with the records a test sets:
 * A, AAAA, CNAME and SRV records with their TTLs, NXDOMAIN for unknown names, a chosen error code, or silence.
 * Built on Netty's DNS codec; a real server on a real socket, so the client under test is tested on the wire.
 */
final class TestDnsServer implements AutoCloseable {
  /** The records of one name and type, or an error code. */
  private record Reply(DnsResponseCode code, long ttl, List<byte[]> data) {}

  private final Map<String, Reply> replies = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> questions = new ConcurrentHashMap<>();
  private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  private final Channel channel;
  private volatile boolean silent;

  TestDnsServer() throws InterruptedException {
    channel = new Bootstrap().group(group).channel(NioDatagramChannel.class)
        .handler(new ChannelInitializer<DatagramChannel>() {
          @Override
          protected void initChannel(DatagramChannel ch) {
            ch.pipeline().addLast(new DatagramDnsQueryDecoder(), new DatagramDnsResponseEncoder(), new Responder());
          }
        })
        .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();
  }

  /** Where the server listens. */
  InetSocketAddress address() {
    return (InetSocketAddress) channel.localAddress();
  }

  private static String key(String name, DnsRecordType type) {
    String folded = name.toLowerCase(Locale.ROOT);
    return (folded.endsWith(".") ? folded : folded + ".") + " " + type.name();
  }

  /** {@code name} has these addresses (A records for IPv4 literals, AAAA for IPv6), with {@code ttl} seconds. */
  TestDnsServer addresses(String name, long ttl, String... ips) {
    List<byte[]> v4 = new ArrayList<>();
    List<byte[]> v6 = new ArrayList<>();
    for (String ip : ips) {
      byte[] bytes = InetAddresses.forString(ip).getAddress();
      (bytes.length == 4 ? v4 : v6).add(bytes);
    }
    replies.put(key(name, DnsRecordType.A), new Reply(DnsResponseCode.NOERROR, ttl, v4));
    replies.put(key(name, DnsRecordType.AAAA), new Reply(DnsResponseCode.NOERROR, ttl, v6));
    return this;
  }

  /** {@code name} is an alias of {@code target}, for every type. */
  TestDnsServer alias(String name, long ttl, String target) {
    byte[] data = encodeName(target);
    for (DnsRecordType type : List.of(DnsRecordType.A, DnsRecordType.AAAA)) {
      replies.put(key(name, type) + " CNAME", new Reply(DnsResponseCode.NOERROR, ttl, List.of(data)));
    }
    return this;
  }

  /** One SRV record of a service. */
  record Srv(int priority, int weight, int port, String target) {}

  /** The service {@code name} ({@code _http._tcp.NAME}) has these records. */
  TestDnsServer service(String name, long ttl, Srv... records) {
    List<byte[]> data = new ArrayList<>();
    for (Srv record : records) {
      byte[] target = encodeName(record.target());
      ByteBuf out = Unpooled.buffer(6 + target.length);
      out.writeShort(record.priority()).writeShort(record.weight()).writeShort(record.port()).writeBytes(target);
      data.add(copy(out));
    }
    replies.put(key(name, DnsRecordType.SRV), new Reply(DnsResponseCode.NOERROR, ttl, data));
    return this;
  }

  /** Every question about {@code name} gets {@code code} (such as SERVFAIL) and no records. */
  TestDnsServer error(String name, DnsResponseCode code) {
    for (DnsRecordType type : List.of(DnsRecordType.A, DnsRecordType.AAAA, DnsRecordType.SRV)) {
      replies.put(key(name, type), new Reply(code, 0, List.of()));
    }
    return this;
  }

  /** {@code name} no longer exists: NXDOMAIN. */
  TestDnsServer remove(String name) {
    String folded = name.toLowerCase(Locale.ROOT) + ". ";
    replies.keySet().removeIf(key -> key.startsWith(folded));
    return this;
  }

  /** While true, questions are received and never answered. */
  void silent(boolean silent) {
    this.silent = silent;
  }

  /** How many questions about {@code name} of {@code type} arrived. */
  int questions(String name, DnsRecordType type) {
    AtomicInteger count = questions.get(key(name, type));
    return count == null ? 0 : count.get();
  }

  private final class Responder extends SimpleChannelInboundHandler<DatagramDnsQuery> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, DatagramDnsQuery query) {
      DnsQuestion question = query.recordAt(DnsSection.QUESTION);
      String key = key(question.name(), question.type());
      questions.computeIfAbsent(key, ignored -> new AtomicInteger()).incrementAndGet();
      if (silent) {
        return;
      }
      DatagramDnsResponse response = new DatagramDnsResponse(query.recipient(), query.sender(), query.id());
      response.setRecursionAvailable(true);
      response.addRecord(DnsSection.QUESTION, new DefaultDnsQuestion(question.name(),
          question.type()));
      Reply alias = replies.get(key + " CNAME");
      Reply reply = replies.get(key);
      if (alias != null) {
        // As a recursive server answers: the alias first, then nothing more (the client asks for its target).
        response.addRecord(DnsSection.ANSWER, new DefaultDnsRawRecord(question.name(), DnsRecordType.CNAME,
            alias.ttl(), Unpooled.wrappedBuffer(alias.data().get(0))));
      } else if (reply == null) {
        response.setCode(DnsResponseCode.NXDOMAIN);
      } else {
        response.setCode(reply.code());
        for (byte[] data : reply.data()) {
          response.addRecord(DnsSection.ANSWER, new DefaultDnsRawRecord(question.name(), question.type(),
              reply.ttl(), Unpooled.wrappedBuffer(data)));
        }
      }
      ctx.writeAndFlush(response);
    }
  }

  private static byte[] encodeName(String name) {
    ByteBuf out = Unpooled.buffer();
    for (String label : name.split("\\.")) {
      byte[] bytes = label.getBytes(StandardCharsets.US_ASCII);
      out.writeByte(bytes.length).writeBytes(bytes);
    }
    out.writeByte(0);
    return copy(out);
  }

  private static byte[] copy(ByteBuf buffer) {
    byte[] bytes = new byte[buffer.readableBytes()];
    buffer.getBytes(buffer.readerIndex(), bytes);
    return bytes;
  }

  @Override
  public void close() {
    channel.close().awaitUninterruptibly();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
  }
}
