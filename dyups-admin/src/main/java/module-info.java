/**
 * dyups's HTTP admin interface on the public {@code io.dyups.core} API: start at {@link
 * io.dyups.admin.AdminHandler} (transport-neutral) and {@link io.dyups.admin.AdminServer} (which serves it).
 */
module io.dyups.admin {
  requires static transitive org.jspecify;
  requires transitive io.dyups.core;
  requires com.fasterxml.jackson.core;
  requires com.google.common;

  exports io.dyups.admin;
}
