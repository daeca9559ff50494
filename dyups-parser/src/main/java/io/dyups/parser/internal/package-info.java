/**
 * The lexer and parser ANTLR generates from {@code NginxLexer.g4} and {@code NginxParser.g4} at build time; not
 * exported. {@code io.dyups.parser.SyntaxReader} is the only user.
 *
 * <p>Not null-marked: ANTLR's generated accessors return null for a child that is absent, so their results are
 * unannotated and checked by the caller.
 */
@NullUnmarked
package io.dyups.parser.internal;

import org.jspecify.annotations.NullUnmarked;
