package io.dyups.admin;

/**
 * A request {@link AdminServer} refuses before the handler sees it, with the status and the reason nginx gives
 * (its log's words, such as {@code client sent invalid header line}). The connection is closed after the answer,
 * as nginx closes it after a refused request head. No stack trace: it is an answer, not a fault.
 */
final class HttpError extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int status;

  HttpError(int status, String reason) {
    super(reason, null, false, false);
    this.status = status;
  }

  int status() {
    return status;
  }
}
