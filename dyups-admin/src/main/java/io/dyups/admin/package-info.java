/**
 * dyups's admin interface ({@code dyups_interface}): list, detail, find, update and delete upstreams over HTTP,
 * answering as dyups does, with JSON listings, versions as ETags and an optional bearer token beyond it.
 *
 * <p>Start at {@link io.dyups.admin.AdminHandler}: {@code AdminHandler.of(registry)} answers one {@link
 * io.dyups.admin.AdminRequest} with one {@link io.dyups.admin.AdminResponse}, whatever server carried it. {@link
 * io.dyups.admin.AdminServer} serves a handler itself. Built on the public API of {@code io.dyups.core} only.
 *
 * <p>Every class here is thread-safe. Nothing in this package is null unless marked {@code @Nullable}.
 */
@NullMarked
package io.dyups.admin;

import org.jspecify.annotations.NullMarked;
