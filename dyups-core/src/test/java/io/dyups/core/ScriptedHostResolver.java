package io.dyups.core;

import com.google.common.net.InetAddresses;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A {@link HostResolver} whose answers a test sets name by name, and which records every query. A name without an
 * answer is not found; an answer may be held back ({@link #hold}) until the test releases it, to see what waits
 * for a lookup and what does not. The DNS protocol itself is tested in {@code dyups-dns} against a real server.
 */
final class ScriptedHostResolver implements HostResolver {
  private final Map<String, Answer> addresses = new ConcurrentHashMap<>();
  private final Map<String, Answer> services = new ConcurrentHashMap<>();
  private final Map<String, CompletableFuture<Void>> held = new ConcurrentHashMap<>();
  final List<Query> queries = new CopyOnWriteArrayList<>();

  /** {@code name} resolves to {@code ips} (literals), valid for {@code ttl}. */
  ScriptedHostResolver answer(String name, Duration ttl, String... ips) {
    List<java.net.InetAddress> found = new ArrayList<>();
    for (String ip : ips) {
      found.add(InetAddresses.forString(ip));
    }
    addresses.put(name, Answer.addresses(found, ttl));
    return this;
  }

  /** {@code name} gets {@code answer}. */
  ScriptedHostResolver answer(String name, Answer answer) {
    addresses.put(name, answer);
    return this;
  }

  /** The service {@code name} has {@code records}. */
  ScriptedHostResolver service(String name, Duration ttl, ServiceRecord... records) {
    services.put(name, Answer.services(List.of(records), ttl));
    return this;
  }

  /** Lookups of {@code name} complete only when the returned future is completed. */
  CompletableFuture<Void> hold(String name) {
    return held.computeIfAbsent(name, ignored -> new CompletableFuture<>());
  }

  /** How many lookups of {@code name} were asked for. */
  long lookupsOf(String name) {
    return queries.stream().filter(query -> query.name().equals(name)).count();
  }

  @Override
  public CompletableFuture<Answer> lookUpAddresses(Query query) {
    queries.add(query);
    return answerOf(addresses, query);
  }

  @Override
  public CompletableFuture<Answer> lookUpService(Query query) {
    queries.add(query);
    return answerOf(services, query);
  }

  private CompletableFuture<Answer> answerOf(Map<String, Answer> answers, Query query) {
    CompletableFuture<Void> gate = held.getOrDefault(query.name(), CompletableFuture.completedFuture(null));
    // Read when the gate opens: a test may change the answer while it is held.
    return gate.thenApplyAsync(ignored -> answers.getOrDefault(query.name(), Answer.notFound(Duration.ofSeconds(10))));
  }

  @Override
  public void close() {}
}
