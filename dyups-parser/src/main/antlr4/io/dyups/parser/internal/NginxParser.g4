/*
 * The structure of an nginx configuration: directives of one or more words, each ended by ';' or by a block.
 * No actions: io.dyups.parser.SyntaxReader turns the tree into Directive records.
 */
parser grammar NginxParser;

options { tokenVocab = NginxLexer; }

config : directive* EOF ;

// A LUA_BLOCK token stands for a *_by_lua_block's whole block: the Lua code, read as one argument.
directive : value+ (SEMI | block | LUA_BLOCK) ;

block : LBRACE directive* RBRACE ;

value : WORD | DQUOTED | SQUOTED ;
