package io.dyups.examples;

import java.nio.charset.StandardCharsets;

/** nginx's error pages and reason phrases (ngx_http_special_response.c), signed "dyups". */
final class ErrorPages {
  private ErrorPages() {}

  static String reason(int status) {
    return switch (status) {
      case 100 -> "Continue";
      case 200 -> "OK";
      case 201 -> "Created";
      case 204 -> "No Content";
      case 206 -> "Partial Content";
      case 301 -> "Moved Permanently";
      case 302 -> "Moved Temporarily";
      case 303 -> "See Other";
      case 304 -> "Not Modified";
      case 307 -> "Temporary Redirect";
      case 308 -> "Permanent Redirect";
      case 400, RequestChecks.HEADER_TOO_LARGE -> "Bad Request";
      case 401 -> "Unauthorized";
      case 403 -> "Forbidden";
      case 404 -> "Not Found";
      case 405 -> "Not Allowed";
      case 408 -> "Request Time-out";
      case 409 -> "Conflict";
      case 411 -> "Length Required";
      case 412 -> "Precondition Failed";
      case 413 -> "Request Entity Too Large";
      case 414 -> "Request-URI Too Large";
      case 429 -> "Too Many Requests";
      case 500 -> "Internal Server Error";
      case 501 -> "Not Implemented";
      case 502 -> "Bad Gateway";
      case 503 -> "Service Temporarily Unavailable";
      case 504 -> "Gateway Time-out";
      case 505 -> "HTTP Version Not Supported";
      default -> "Status " + status;
    };
  }

  /** The status line's code: nginx answers its internal 494 as 400. */
  static int wireStatus(int status) {
    return status == RequestChecks.HEADER_TOO_LARGE ? 400 : status;
  }

  @SuppressWarnings("StringConcatToTextBlock") // the page's CRLF line ends read better as escapes
  static byte[] page(int status) {
    String html;
    if (status == RequestChecks.HEADER_TOO_LARGE) {
      html = "<html>\r\n<head><title>400 Request Header Or Cookie Too Large</title></head>\r\n<body>\r\n"
          + "<center><h1>400 Bad Request</h1></center>\r\n<center>Request Header Or Cookie Too Large</center>\r\n"
          + "<hr><center>dyups</center>\r\n</body>\r\n</html>\r\n";
    } else {
      String title = status + " " + reason(status);
      html = "<html>\r\n<head><title>" + title + "</title></head>\r\n<body>\r\n<center><h1>" + title
          + "</h1></center>\r\n<hr><center>dyups</center>\r\n</body>\r\n</html>\r\n";
    }
    return html.getBytes(StandardCharsets.US_ASCII);
  }
}
