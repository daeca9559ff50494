/*
 * The structure of an nginx configuration: directives of one or more words, each ended by ';' or by a block.
 * No actions: io.dyups.parser.SyntaxReader builds Directive records from the tokens the parser matches, without a
 * parse tree.
 */
parser grammar NginxParser;

options { tokenVocab = NginxLexer; }

// A directive is words, then ';', a block or a LUA_BLOCK token (the Lua code of a *_by_lua_block's whole block,
// read as one argument). It is written out in both rules rather than made a rule of its own, so that reading one
// makes no rule context: a large file has hundreds of thousands of directives.
config : ((WORD | DQUOTED | SQUOTED)+ (SEMI | block | LUA_BLOCK))* EOF ;

block : LBRACE ((WORD | DQUOTED | SQUOTED)+ (SEMI | block | LUA_BLOCK))* RBRACE ;
