/**
 * The example reverse proxy, on Netty: it runs dyups's own example {@code nginx.conf} unchanged. Start at {@code
 * ProxyMain} (nginx's command line), which reads the configuration ({@code ProxyConfig}) and starts a {@code
 * ProxyServer}: the listeners and event loops, the request path ({@code ClientConnection}, {@code ProxyRequest})
 * that picks peers from an {@link io.dyups.core.UpstreamRegistry}, and the admin interface of {@code
 * io.dyups.admin}.
 */
@NullMarked
package io.dyups.examples;

import org.jspecify.annotations.NullMarked;
