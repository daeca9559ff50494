package io.dyups.examples;

import java.nio.charset.StandardCharsets;

/** nginx-style error pages and reason phrases. */
final class ErrorPages {
  private ErrorPages() {}

  static String reason(int status) {
    return switch (status) {
      case 200 -> "OK";
      case 201 -> "Created";
      case 204 -> "No Content";
      case 301 -> "Moved Permanently";
      case 302 -> "Moved Temporarily";
      case 303 -> "See Other";
      case 304 -> "Not Modified";
      case 307 -> "Temporary Redirect";
      case 308 -> "Permanent Redirect";
      case 400 -> "Bad Request";
      case 401 -> "Unauthorized";
      case 403 -> "Forbidden";
      case 404 -> "Not Found";
      case 405 -> "Not Allowed";
      case 408 -> "Request Time-out";
      case 409 -> "Conflict";
      case 412 -> "Precondition Failed";
      case 413 -> "Request Entity Too Large";
      case 500 -> "Internal Server Error";
      case 502 -> "Bad Gateway";
      case 503 -> "Service Temporarily Unavailable";
      case 504 -> "Gateway Time-out";
      default -> "Status " + status;
    };
  }

  static byte[] page(int status) {
    String title = status + " " + reason(status);
    return ("<html>\r\n<head><title>" + title + "</title></head>\r\n<body>\r\n<center><h1>" + title
        + "</h1></center>\r\n<hr><center>dyups</center>\r\n</body>\r\n</html>\r\n")
        .getBytes(StandardCharsets.US_ASCII);
  }
}
