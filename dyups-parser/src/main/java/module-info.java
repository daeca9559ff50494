/**
 * nginx configuration syntax, tokenized exactly as nginx does, and a typed model of {@code upstream} blocks: start
 * at {@link io.dyups.parser.NginxConfig}. The ANTLR-generated lexer and parser ({@code io.dyups.parser.internal})
 * are not exported.
 */
module io.dyups.parser {
  requires static transitive org.jspecify;
  requires com.google.common;
  requires org.antlr.antlr4.runtime;

  exports io.dyups.parser;
}
