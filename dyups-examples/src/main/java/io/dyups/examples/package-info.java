/**
 * The example reverse proxy, on Netty: it runs dyups's own example {@code nginx.conf} unchanged. Start at {@code
 * ProxyMain} (nginx's command line), which reads the configuration ({@code ProxyConfig}) and starts a {@code
 * ProxyServer}: the listeners and event loops, the request path ({@code ClientConnection}, {@code ProxyRequest})
 * that picks peers from an {@link io.dyups.core.UpstreamRegistry}, and the admin interface of {@code
 * io.dyups.admin}.
 *
 * <p>Not null-marked yet: the Netty proxy is new, and NullAway's findings in it are still to be worked through
 * with its owner. Error Prone's error-level checks run here as in every module.
 */
package io.dyups.examples;
