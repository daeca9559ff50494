package io.dyups.micrometer;

import static java.util.Objects.requireNonNull;

import io.dyups.core.Peer;
import io.dyups.core.PeerStatistics;
import io.dyups.core.Upstream;
import io.dyups.core.UpstreamRegistry;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;
import org.jspecify.annotations.Nullable;

/**
 * Meters for every peer of every upstream of a registry: NGINX Plus's per-peer statistics ({@link PeerStatistics})
 * as Micrometer counters, gauges and time gauges, tagged {@code upstream} (its name), {@code server} (the address
 * connected to, as nginx names a peer) and {@code id} (the server's id, as the NGINX Plus API names it):
 *
 * <pre>
 * dyups.peer.requests            counter     requests sent to the peer
 * dyups.peer.responses           counter     responses, tag status=1xx, 2xx, 3xx, 4xx or 5xx
 * dyups.peer.responses.codes     counter     responses of one status, tag code=200, 404...: one counter for each
 *                                            status the peer answered at least once (the Plus API's codes)
 * dyups.peer.sent / .received    counter     bytes
 * dyups.peer.fails               counter     requests that failed
 * dyups.peer.unavail             counter     times taken out for max_fails
 * dyups.peer.health.checks / .health.fails / .health.unhealthy   counters of the active health checks
 * dyups.peer.active              gauge       requests running now
 * dyups.peer.state               gauge       1 up, 2 draining, 3 down, 4 unavail, 5 checking, 6 unhealthy
 *                                            (the numbers nginx-prometheus-exporter gives NGINX Plus's states)
 * dyups.peer.downtime            time gauge  time out or unhealthy so far
 * dyups.peer.header.time / .response.time   time gauges, the averages (NaN before the first response)
 * </pre>
 *
 * <p>The meters follow the registry: binding registers them for the upstreams there are, and a listener added to the
 * registry ({@link UpstreamRegistry#addListener}) adds the meters of new peers and removes those of peers gone, after
 * each change, looking only at the upstream changed. A peer that stays from one version of its upstream to the next keeps its meters, which read the
 * newest. The figures are read when the registry is scraped, each from {@link Peer#statistics()}; nothing is added
 * to the request path. A counter goes back to zero when the statistics are reset (NGINX Plus's {@code DELETE} of an
 * upstream), as counters do after a restart.
 *
 * <p>A status's counter is registered when the meters first see it: at a change of its upstream, or when the peer's
 * {@code dyups.peer.requests} is read (a scrape). A status first answered between two scrapes is therefore in the
 * second scrape after it at the latest, with every response of it counted; its counter stays (at zero after a reset)
 * while the peer does.
 *
 * <pre>{@code
 * UpstreamMetrics.of(registry).bindTo(meterRegistry);
 * }</pre>
 *
 * <p>Thread-safe; may be bound to several meter registries.
 */
public final class UpstreamMetrics implements MeterBinder {
  private final UpstreamRegistry registry;
  // One entry per meter registry bound; guarded by this.
  private final List<Binding> bindings = new ArrayList<>();
  private boolean listening;

  private UpstreamMetrics(UpstreamRegistry registry) {
    this.registry = requireNonNull(registry, "registry");
  }

  /**
   * Meters for {@code registry}'s peers, registered when bound.
   *
   * @throws NullPointerException if {@code registry} is null
   */
  public static UpstreamMetrics of(UpstreamRegistry registry) {
    return new UpstreamMetrics(registry);
  }

  /**
   * Registers the meters of every peer in {@code meters}, and keeps them following the registry's changes.
   *
   * @throws NullPointerException if {@code meters} is null
   */
  @Override
  public void bindTo(MeterRegistry meters) {
    requireNonNull(meters, "meters");
    boolean listen;
    synchronized (this) {
      listen = !listening;
      listening = true;
    }
    if (listen) {
      // Listening before the first sync: a change that lands in between is synced again after it, from the
      // registry's newest state.
      registry.addListener(change -> sync(change.name()));
    }
    synchronized (this) {
      Binding binding = new Binding(meters);
      bindings.add(binding);
      for (Upstream upstream : registry.detail()) {
        binding.sync(upstream.name(), peersOf(upstream));
      }
    }
  }

  /**
   * Brings every binding's meters of one upstream in line with its peers now. A change costs its own upstream's
   * peers, not the registry's: a registry of 100 000 upstreams is changed as cheaply as one of ten.
   */
  private synchronized void sync(String name) {
    Upstream upstream = registry.find(name);
    Map<PeerKey, Peer> peers = upstream == null ? Map.of() : peersOf(upstream);
    for (Binding binding : bindings) {
      // Names are found without regard to case: the upstream found may be another spelling of the name changed
      // (deleted, then created again so), whose meters go under its own spelling.
      if (upstream == null || !upstream.name().equals(name)) {
        binding.sync(name, Map.of());
      }
      if (upstream != null) {
        binding.sync(upstream.name(), peers);
      }
    }
  }

  private static Map<PeerKey, Peer> peersOf(Upstream upstream) {
    Map<PeerKey, Peer> peers = new HashMap<>();
    for (Peer peer : upstream.peers().asList()) {
      peers.put(new PeerKey(upstream.name(), peer.toString(), upstream.serverId(peer)), peer);
    }
    return peers;
  }

  /** What names a peer's meters. */
  private record PeerKey(String upstream, String server, int id) {
    Tags tags() {
      return Tags.of("upstream", upstream, "server", server, "id", Integer.toString(id));
    }
  }

  /** The meters registered in one meter registry, by upstream and peer. */
  private static final class Binding {
    final MeterRegistry meters;
    final Map<String, Map<PeerKey, PeerMeters>> byUpstream = new HashMap<>();

    Binding(MeterRegistry meters) {
      this.meters = meters;
    }

    /** Makes the meters of upstream {@code name} those of {@code peers} (none: the upstream is gone). */
    void sync(String name, Map<PeerKey, Peer> peers) {
      Map<PeerKey, PeerMeters> byPeer = byUpstream.computeIfAbsent(name, key -> new HashMap<>());
      Set<PeerKey> gone = new HashSet<>(byPeer.keySet());
      gone.removeAll(peers.keySet());
      for (PeerKey key : gone) {
        PeerMeters removed = byPeer.remove(key);
        if (removed != null) {
          removed.remove();
        }
      }
      for (Map.Entry<PeerKey, Peer> entry : peers.entrySet()) {
        PeerMeters existing = byPeer.get(entry.getKey());
        if (existing != null) {
          existing.peer = entry.getValue();
          existing.addCodes(existing.peer.statistics());
        } else {
          byPeer.put(entry.getKey(), new PeerMeters(entry.getValue(), entry.getKey().tags(), meters));
        }
      }
      if (byPeer.isEmpty()) {
        byUpstream.remove(name);
      }
    }
  }

  /**
   * One peer's meters; they read the newest {@link Peer} of their key, which {@link Binding#sync} sets. The meters of
   * its statuses are added as they are first seen, by the sync or by a scrape's thread reading the requests: the
   * lock on this object keeps such an addition from racing with the removal of the peer's meters.
   */
  private static final class PeerMeters {
    volatile Peer peer;
    private final Tags tags;
    private final MeterRegistry meters;
    // Guarded by this: every meter registered, the statuses among them, and whether they were removed.
    private final List<Meter> registered = new ArrayList<>();
    private final Set<Integer> codes = new HashSet<>();
    private boolean removed;

    PeerMeters(Peer peer, Tags tags, MeterRegistry meters) {
      this.peer = peer;
      this.tags = tags;
      this.meters = meters;
      counter(meters, tags, "dyups.peer.requests", "Requests sent to the peer", null, s -> {
        addCodes(s);
        return s.requests();
      });
      String[] classes = {"1xx", "2xx", "3xx", "4xx", "5xx"};
      List<ToDoubleFunction<PeerStatistics>> byClass = List.of(
          s -> s.responses().informational(), s -> s.responses().successful(), s -> s.responses().redirection(),
          s -> s.responses().clientError(), s -> s.responses().serverError());
      for (int i = 0; i < classes.length; i++) {
        counter(meters, tags.and("status", classes[i]), "dyups.peer.responses",
            "Responses from the peer by status class", null, byClass.get(i));
      }
      counter(meters, tags, "dyups.peer.sent", "Bytes sent to the peer", "bytes", PeerStatistics::sent);
      counter(meters, tags, "dyups.peer.received", "Bytes received from the peer", "bytes",
          PeerStatistics::received);
      counter(meters, tags, "dyups.peer.fails", "Requests on the peer that failed", null, PeerStatistics::fails);
      counter(meters, tags, "dyups.peer.unavail", "Times the peer was taken out for max_fails failures", null,
          PeerStatistics::unavail);
      counter(meters, tags, "dyups.peer.health.checks", "Active health checks of the peer", null,
          s -> s.healthChecks().checks());
      counter(meters, tags, "dyups.peer.health.fails", "Active health checks of the peer that failed", null,
          s -> s.healthChecks().fails());
      counter(meters, tags, "dyups.peer.health.unhealthy", "Times the peer became unhealthy", null,
          s -> s.healthChecks().unhealthy());
      registered.add(Gauge.builder("dyups.peer.active", this, m -> m.peer.activeConnections())
          .description("Requests running on the peer").tags(tags).register(meters));
      registered.add(Gauge.builder("dyups.peer.state", this, m -> stateNumber(m.peer.state()))
          .description("1 up, 2 draining, 3 down, 4 unavail, 5 checking, 6 unhealthy").tags(tags)
          .register(meters));
      time(meters, tags, "dyups.peer.downtime", "Time the peer was out or unhealthy", PeerStatistics::downtime);
      time(meters, tags, "dyups.peer.header.time", "Average time to the peer's response header",
          PeerStatistics::headerTime);
      time(meters, tags, "dyups.peer.response.time", "Average time to the peer's whole response",
          PeerStatistics::responseTime);
      addCodes(peer.statistics());
    }

    /** Registers a counter for each status in {@code statistics} that has none yet. */
    synchronized void addCodes(PeerStatistics statistics) {
      if (removed) {
        return;
      }
      for (Integer code : statistics.responses().codes().keySet()) {
        if (codes.add(code)) {
          counter(meters, tags.and("code", code.toString()), "dyups.peer.responses.codes",
              "Responses from the peer by status", null,
              s -> s.responses().codes().getOrDefault(code, 0L));
        }
      }
    }

    /** Removes every meter of the peer; none is added after. */
    synchronized void remove() {
      removed = true;
      for (Meter meter : registered) {
        meters.remove(meter);
      }
      registered.clear();
    }

    private synchronized void counter(MeterRegistry meters, Tags tags, String name, String description,
        @Nullable String unit, ToDoubleFunction<PeerStatistics> figure) {
      FunctionCounter.Builder<PeerMeters> builder =
          FunctionCounter.builder(name, this, m -> figure.applyAsDouble(m.peer.statistics()))
              .description(description).tags(tags);
      if (unit != null) {
        builder.baseUnit(unit);
      }
      registered.add(builder.register(meters));
    }

    private interface TimeFigure {
      @Nullable Duration of(PeerStatistics statistics);
    }

    private synchronized void time(MeterRegistry meters, Tags tags, String name, String description, TimeFigure figure) {
      registered.add(TimeGauge.builder(name, this, TimeUnit.MILLISECONDS, m -> {
        Duration time = figure.of(m.peer.statistics());
        return time == null ? Double.NaN : time.toMillis();
      }).description(description).tags(tags).register(meters));
    }
  }

  /** The number nginx-prometheus-exporter gives each of NGINX Plus's peer states. */
  static int stateNumber(Peer.State state) {
    return switch (state) {
      case UP -> 1;
      case DRAINING -> 2;
      case DOWN -> 3;
      case UNAVAIL -> 4;
      case CHECKING -> 5;
      case UNHEALTHY -> 6;
    };
  }
}
