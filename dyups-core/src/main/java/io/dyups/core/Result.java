package io.dyups.core;

import static java.util.Objects.requireNonNull;

/**
 * What a change to the registry came to: an HTTP-style status and a message, as dyups's
 * {@code ngx_dyups_update_upstream} and {@code ngx_dyups_delete_upstream} return them.
 *
 * <ul>
 *   <li>200 {@code success}: the change is made and visible to every thread.
 *   <li>400: the commands or the name are wrong; the message says what and where ({@code file:line:column}).
 *   <li>404: there is no such upstream to delete.
 *   <li>409: another change held the lock (try-lock mode: {@code wait and try again}), or the upstream's version
 *       was not the one expected.
 *   <li>413: the commands are larger than the registry accepts.
 *   <li>500: a server-side fault, such as a persistence file that could not be written; nothing changed.
 * </ul>
 *
 * As in dyups: 500 is the server's fault, 409 means send the same change again later, anything else means fix
 * the change.
 */
public record Result(int status, String message) {
  public static final int OK = 200;
  public static final int BAD_REQUEST = 400;
  public static final int NOT_FOUND = 404;
  public static final int CONFLICT = 409;
  public static final int TOO_LARGE = 413;
  public static final int SERVER_ERROR = 500;

  static final Result SUCCESS = new Result(OK, "success");
  static final Result LOCKED = new Result(CONFLICT, "wait and try again");

  public Result {
    requireNonNull(message, "message");
  }

  /** True for 200: the change was made. */
  public boolean isSuccess() {
    return status == OK;
  }
}
