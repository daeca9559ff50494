/*
 * Tokens of the nginx configuration language, as nginx's ngx_conf_read_token splits them.
 *
 * - Whitespace (space, tab, CR, LF) separates words; ';' '{' '}' stand alone where a word could start.
 * - '#' starts a comment only where a word could start; inside a word it is an ordinary character.
 * - Inside a word, '}' '"' '\'' and '#' are ordinary; ';' and '{' end it, except that '{' directly after '$'
 *   belongs to the word ("${var}").
 * - A backslash takes the next character literally, in words and in quoted strings.
 * - What must follow a closing quote (whitespace, ';', '{' or ')') is checked after lexing, because nginx
 *   reports the character that breaks the rule.
 * - The block of a directive whose name ends in "_by_lua_block" holds Lua, not directives: io.dyups.parser.LuaBlock
 *   reads it as OpenResty's Lua module does and gives the parser one LUA_BLOCK token in place of the block.
 */
lexer grammar NginxLexer;

tokens { LUA_BLOCK }

SEMI : ';' ;
LBRACE : '{' ;
RBRACE : '}' ;

DQUOTED : '"' (ESCAPE | ~["\\])* '"' ;
SQUOTED : '\'' (ESCAPE | ~['\\])* '\'' ;

// A string whose closing quote never comes: it runs to the end of the file, where nginx reports it.
UNTERMINATED
  : '"' (ESCAPE | ~["\\])* '\\'?
  | '\'' (ESCAPE | ~['\\])* '\\'?
  ;

WORD : WORD_START WORD_PART* ;

// A backslash as the very last character of the file: nothing is left for it to escape.
DANGLING_ESCAPE : '\\' ;

// Skipped, not kept on a hidden channel: nothing reads them, and they are about half of all tokens.
COMMENT : '#' ~[\n]* -> skip ;
WS : [ \t\r\n]+ -> skip ;

fragment ESCAPE : '\\' . ;
fragment DOLLAR : '$' '{'? ;
fragment WORD_START : ESCAPE | DOLLAR | ~[ \t\r\n;{}#"'\\$] ;
fragment WORD_PART : ESCAPE | DOLLAR | ~[ \t\r\n;{\\$] ;
