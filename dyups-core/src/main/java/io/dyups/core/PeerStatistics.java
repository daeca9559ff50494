package io.dyups.core;

import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * One peer's statistics at one moment, with the names and meanings of NGINX Plus's API
 * ({@code NginxHTTPUpstreamPeer}): read with {@link Peer#statistics()}. The request figures come from what the
 * application reports through its {@link PeerSelection}: {@link PeerSelection#succeeded(int, long, long, long, long)}
 * and {@link PeerSelection#failed(int, long, long, long, long)} count the response and the bytes with the request;
 * an application that reports only {@link PeerSelection#succeeded()} and {@link PeerSelection#failed()} gets
 * {@code requests}, {@code active}, {@code fails}, {@code unavail} and the times, and zeros for responses and bytes.
 * {@link PeerGroup#resetStatistics()} starts every count again from zero.
 *
 * <p>An upstream without {@code zone} keeps its balancing state once per worker, as each nginx worker process
 * does: the counts here add the workers' up; {@code unavail} counts each worker's taking the peer out, and
 * {@code downtime} is that of the worker whose out-periods were longest, plus the time the peer was unhealthy.
 *
 * @param requests requests sent to the peer: those finished and those still running ({@code active})
 * @param active requests running on the peer now
 * @param responses the responses reported, by the first digit of their status and by status
 * @param sent bytes sent to the peer, as reported
 * @param received bytes received from the peer, as reported
 * @param fails every request on the peer that failed
 * @param unavail how many times the peer was taken out for {@code max_fails} failures within {@code fail_timeout}
 * @param healthChecks the active health checks' figures
 * @param downtime how long the peer was out for failures or unhealthy, up to now
 * @param downstart when the peer went out or unhealthy, while it is; null while it is neither
 * @param selected when a request was last sent to the peer, null before the first: a request that went well does
 *     not read the clock, so the first read of the statistics that finds new requests dates them to itself (a
 *     dashboard that polls every second sees it to the second); a failure brings its own time
 * @param headerTime the average time to the response header over the responses reported with one; null before
 * @param responseTime the average time to the whole response over the responses reported with one; null before
 */
public record PeerStatistics(
    long requests,
    int active,
    Responses responses,
    long sent,
    long received,
    long fails,
    long unavail,
    HealthChecks healthChecks,
    Duration downtime,
    @Nullable Instant downstart,
    @Nullable Instant selected,
    @Nullable Duration headerTime,
    @Nullable Duration responseTime) {

  /**
   * Responses by status class and by status, NGINX Plus's {@code responses} object: {@code 1xx} to {@code 5xx},
   * {@code total}, which counts every response (a status of 600 to 999 only there and in the codes), and
   * {@code codes} (API version 7 and later): the count of each status reported at least once.
   *
   * @param codes the responses by status, in increasing order of status; immutable (a copy of the map given)
   */
  public record Responses(long informational, long successful, long redirection, long clientError,
      long serverError, long total, SortedMap<Integer, Long> codes) {
    public Responses {
      // Copied through Map: the copy sorts by status whatever order the map given was sorted in.
      codes = Collections.unmodifiableSortedMap(new TreeMap<>((Map<Integer, Long>) codes));
    }
  }

  /**
   * NGINX Plus's {@code health_checks}: checks made, those that failed, how many times the peer became unhealthy,
   * and whether the last check passed (null before the first).
   */
  public record HealthChecks(long checks, long fails, long unhealthy, @Nullable Boolean lastPassed) {}
}
