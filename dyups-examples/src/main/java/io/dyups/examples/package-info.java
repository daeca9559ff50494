/**
 * The example reverse proxy: it runs dyups's own example {@code nginx.conf} unchanged. Start at {@code ProxyMain}
 * (nginx's command line), which reads the configuration ({@code ProxyConfig}) and starts a {@code ProxyServer}:
 * the listeners, the request loop that picks peers from an {@link io.dyups.core.UpstreamRegistry}, and the admin
 * interface of {@code io.dyups.admin}.
 *
 * <p>Nothing in this package is null unless marked {@code @Nullable}.
 */
@NullMarked
package io.dyups.examples;

import org.jspecify.annotations.NullMarked;
