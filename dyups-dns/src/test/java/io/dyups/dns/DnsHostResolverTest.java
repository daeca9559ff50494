package io.dyups.dns;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.net.InetAddresses;
import io.dyups.core.HostResolver;
import io.dyups.core.HostResolver.Answer;
import io.dyups.core.HostResolver.Query;
import io.dyups.core.HostResolver.ServiceRecord;
import io.dyups.core.HostResolver.Status;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponseCode;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link DnsHostResolver} on the wire, against a DNS server started by the test. */
class DnsHostResolverTest {
  private TestDnsServer server;
  private DnsHostResolver resolver;

  @BeforeEach
  void start() throws InterruptedException {
    server = new TestDnsServer();
    resolver = DnsHostResolver.create();
  }

  @AfterEach
  void stop() {
    resolver.close();
    server.close();
  }

  private Query query(String name, boolean ipv4, boolean ipv6, Duration timeout) {
    return new Query(name, List.of(server.address()), ipv4, ipv6, timeout);
  }

  private Answer addresses(String name) throws Exception {
    return resolver.lookUpAddresses(query(name, true, true, Duration.ofSeconds(5))).get(10, TimeUnit.SECONDS);
  }

  private static List<InetAddress> ips(String... literals) {
    return List.of(literals).stream().map(InetAddresses::forString).toList();
  }

  @Test
  void givesTheARecordsThenTheAaaaRecordsWithTheLeastTtl() throws Exception {
    server.addresses("backend.test", 30, "10.0.0.1", "2001:db8::1", "10.0.0.2");

    Answer answer = addresses("backend.test");

    assertThat(answer.status()).isEqualTo(Status.FOUND);
    assertThat(answer.addresses()).containsExactlyElementsOf(ips("10.0.0.1", "10.0.0.2", "2001:db8::1"));
    assertThat(answer.ttl()).isEqualTo(Duration.ofSeconds(30));
  }

  @Test
  void asksOnlyForTheFamiliesTheQueryWants() throws Exception {
    server.addresses("backend.test", 30, "10.0.0.1", "2001:db8::1");

    Answer answer = resolver.lookUpAddresses(query("backend.test", true, false, Duration.ofSeconds(5)))
        .get(10, TimeUnit.SECONDS);

    assertThat(answer.addresses()).containsExactlyElementsOf(ips("10.0.0.1"));
    assertThat(server.questions("backend.test", DnsRecordType.AAAA)).isZero();
  }

  @Test
  void aNameThatDoesNotExistIsNotFound() throws Exception {
    Answer answer = addresses("nothing.test");

    assertThat(answer.status()).isEqualTo(Status.NOT_FOUND);
    assertThat(answer.error()).isEqualTo("Host not found");
  }

  @Test
  void aServerFailureIsAFailedLookupInNginxWords() throws Exception {
    server.error("backend.test", DnsResponseCode.SERVFAIL);

    Answer answer = addresses("backend.test");

    assertThat(answer.status()).isEqualTo(Status.FAILED);
    assertThat(answer.error()).isEqualTo("Server failure");
  }

  @Test
  void aServerThatDoesNotAnswerTimesOutWithinTheQuerysTimeout() throws Exception {
    server.addresses("backend.test", 30, "10.0.0.1");
    server.silent(true);
    long start = System.nanoTime();

    Answer answer = resolver.lookUpAddresses(query("backend.test", true, true, Duration.ofMillis(300)))
        .get(10, TimeUnit.SECONDS);

    assertThat(answer.status()).isEqualTo(Status.FAILED);
    assertThat(answer.error()).isEqualTo("Operation timed out");
    assertThat(server.questions("backend.test", DnsRecordType.A)).isPositive();
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(5000);
  }

  @Test
  void theNextServerIsAskedWhenOneDoesNotAnswer() throws Exception {
    try (TestDnsServer second = new TestDnsServer()) {
      server.silent(true);
      second.addresses("backend.test", 30, "10.0.0.7");
      Query query = new Query("backend.test", List.of(server.address(), second.address()), true, false,
          Duration.ofSeconds(15));

      Answer answer = resolver.lookUpAddresses(query).get(20, TimeUnit.SECONDS);

      assertThat(answer.addresses()).containsExactlyElementsOf(ips("10.0.0.7"));
    }
  }

  @Test
  void anAliasIsFollowedAndTheLeastTtlOfTheChainKept() throws Exception {
    server.alias("www.test", 10, "backend.test").addresses("backend.test", 300, "10.0.0.1");

    Answer answer = addresses("www.test");

    assertThat(answer.addresses()).containsExactlyElementsOf(ips("10.0.0.1"));
    assertThat(answer.ttl()).isEqualTo(Duration.ofSeconds(10));
  }

  @Test
  void givesTheSrvRecordsOfAService() throws Exception {
    server.service("_http._tcp.svc.test", 20, new TestDnsServer.Srv(10, 5, 8080, "a.svc.test"),
        new TestDnsServer.Srv(20, 0, 8081, "b.svc.test"));

    Answer answer = resolver.lookUpService(query("_http._tcp.svc.test", true, true, Duration.ofSeconds(5)))
        .get(10, TimeUnit.SECONDS);

    assertThat(answer.status()).isEqualTo(Status.FOUND);
    assertThat(answer.services()).containsExactly(new ServiceRecord(10, 5, 8080, "a.svc.test"),
        new ServiceRecord(20, 0, 8081, "b.svc.test"));
    assertThat(answer.ttl()).isEqualTo(Duration.ofSeconds(20));
  }

  @Test
  void aQueryWithoutServersIsAnsweredAsGetaddrinfoWould() throws Exception {
    Query query = new Query("localhost", List.of(), true, false, Duration.ofSeconds(5));

    Answer answer = resolver.lookUpAddresses(query).get(10, TimeUnit.SECONDS);

    assertThat(answer.status()).isEqualTo(Status.FOUND);
    assertThat(answer.addresses()).allSatisfy(address -> assertThat(address.isLoopbackAddress()).isTrue());
    assertThat(server.questions("localhost", DnsRecordType.A)).isZero();
  }

  @Test
  void aClosedResolverAnswersFailed() throws Exception {
    HostResolver closed = DnsHostResolver.create();
    closed.close();

    Answer answer = closed.lookUpAddresses(query("backend.test", true, true, Duration.ofSeconds(1)))
        .get(10, TimeUnit.SECONDS);

    assertThat(answer.status()).isEqualTo(Status.FAILED);
  }
}
