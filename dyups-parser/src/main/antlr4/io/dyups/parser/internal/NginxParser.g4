/*
 * The structure of an nginx configuration: directives of one or more words, each ended by ';' or by a block.
 * No actions: io.dyups.parser.DirectiveTreeBuilder turns the tree into Directive records.
 */
parser grammar NginxParser;

options { tokenVocab = NginxLexer; }

config : directive* EOF ;

directive : value+ (SEMI | block) ;

block : LBRACE directive* RBRACE ;

value : WORD | DQUOTED | SQUOTED ;
