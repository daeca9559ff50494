package io.dyups.examples;

import java.io.IOException;

/** A malformed or unacceptable HTTP message, with the status to answer it with. */
final class HttpException extends IOException {
  private static final long serialVersionUID = 1L;
  final int status;

  HttpException(int status, String message) {
    super(message);
    this.status = status;
  }
}
