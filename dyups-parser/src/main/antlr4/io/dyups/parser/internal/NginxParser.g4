/*
 * The structure of an nginx configuration: directives of one or more words, each ended by ';' or by a block.
 * No actions: io.dyups.parser.SyntaxReader builds Directive records from the tokens the parser matches, without a
 * parse tree. A word is not a rule of its own, so that matching one makes no rule context.
 */
parser grammar NginxParser;

options { tokenVocab = NginxLexer; }

config : directive* EOF ;

// A LUA_BLOCK token stands for a *_by_lua_block's whole block: the Lua code, read as one argument.
directive : (WORD | DQUOTED | SQUOTED)+ (SEMI | block | LUA_BLOCK) ;

block : LBRACE directive* RBRACE ;

