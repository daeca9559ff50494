/**
 * Reads nginx configuration as nginx tokenizes it and gives a typed model of its {@code upstream} blocks.
 *
 * <p>Start at {@link io.dyups.parser.NginxConfig}: {@code load(path)} follows {@code include} and gives every
 * {@link io.dyups.parser.UpstreamBlock}; {@link io.dyups.parser.UpstreamBlock#fromCommands} reads the inside of one
 * block (the body of a dyups update). Each block holds its {@link io.dyups.parser.ServerSpec} lines, its {@link
 * io.dyups.parser.Balancing} method, its {@link io.dyups.parser.KeepaliveSettings} and Tengine's {@link
 * io.dyups.parser.HealthCheck}; {@link io.dyups.parser.UpstreamBlock#toConfig()} writes it back as nginx syntax.
 * Errors are one unchecked {@link io.dyups.parser.ConfigSyntaxException} in nginx's words, with file, line and
 * column.
 *
 * <p>Every value is immutable and safe to share between threads. Nothing here is null unless marked
 * {@code @Nullable}.
 */
@NullMarked
package io.dyups.parser;

import org.jspecify.annotations.NullMarked;
