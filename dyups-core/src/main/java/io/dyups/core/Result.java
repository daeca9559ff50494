package io.dyups.core;

import static java.util.Objects.requireNonNull;

/**
 * What a change to the registry came to: a {@link Kind} that callers test, dyups's HTTP-style status for it, a
 * message for people, and the version the change left. Callers tell outcomes apart by {@link #kind()}, never by
 * the message, whose words may change.
 *
 * <p>As in dyups: {@link Kind#FAILED} is the server's fault; {@link Kind#LOCKED} means send the same change again
 * later; {@link Kind#VERSION_CONFLICT} means read the upstream again and decide anew (sending the same change again
 * never succeeds); anything else means fix the change.
 *
 * @param kind what happened
 * @param message {@code success}, or what is wrong and where ({@code file:line:column} for syntax)
 * @param version after a successful update, the new version of the upstream (so optimistic concurrency needs no
 *     {@link UpstreamRegistry#find} after it); after a version conflict, the version found ({@link
 *     UpstreamRegistry#ABSENT} when there was none); otherwise {@link UpstreamRegistry#ABSENT}
 */
public record Result(Kind kind, String message, long version) {
  /** The outcomes of a change, each with the status dyups answers it with. */
  public enum Kind {
    /** 200 {@code success}: the change is made and visible to every thread. */
    SUCCESS(200),
    /** 400: the commands or the name are wrong; the message says what and where. */
    INVALID(400),
    /** 404: there is no such upstream to delete. */
    NOT_FOUND(404),
    /** 409 {@code wait and try again}: another change held the lock (dyups's {@code dyups_trylock}). */
    LOCKED(409),
    /** 409: the upstream is not at the version the change expected; another change won. */
    VERSION_CONFLICT(409),
    /** 413: the commands are larger than the registry accepts; the message says what the limit is. */
    TOO_LARGE(413),
    /** 500: a server-side fault, such as a persistence file that could not be written; nothing changed. */
    FAILED(500),
    /** 503: the registry is {@linkplain UpstreamRegistry#close() closed}; nothing changed. */
    CLOSED(503),
    /**
     * 503: the store that keeps upstreams in agreement (ZooKeeper) cannot be reached now; nothing changed, and the
     * registry goes on serving the upstreams it holds. Send the change again later.
     */
    UNAVAILABLE(503);

    private final int status;

    Kind(int status) {
      this.status = status;
    }

    /** The HTTP status dyups answers this outcome with. */
    public int status() {
      return status;
    }
  }

  static final Result LOCKED = new Result(Kind.LOCKED, "wait and try again", UpstreamRegistry.ABSENT);

  /**
   * @throws NullPointerException if {@code kind} or {@code message} is null
   */
  public Result {
    requireNonNull(kind, "kind");
    requireNonNull(message, "message");
  }

  static Result success(long version) {
    return new Result(Kind.SUCCESS, "success", version);
  }

  static Result of(Kind kind, String message) {
    return new Result(kind, message, UpstreamRegistry.ABSENT);
  }

  /** dyups's status for this outcome: {@code kind().status()}. */
  public int status() {
    return kind.status();
  }

  /** True when the change was made. */
  public boolean isSuccess() {
    return kind == Kind.SUCCESS;
  }
}
