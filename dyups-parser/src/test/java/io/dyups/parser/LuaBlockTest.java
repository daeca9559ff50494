package io.dyups.parser;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * OpenResty's {@code *_by_lua_block}: the block is one chunk of Lua, read as lua-nginx-module reads it. The rows
 * follow the module's own tests (t/132-lua-blocks.t): braces inside strings, comments and long brackets do not
 * count.
 */
class LuaBlockTest {
  private static Directive only(String text) {
    List<Directive> directives = NginxConfig.parse(text.replace("\\n", "\n"), "t.conf").directives();
    assertThat(directives).hasSize(1);
    return directives.get(0);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '~', quoteCharacter = '`', value = {
      "content_by_lua_block { ngx.say(\"}\") }~` ngx.say(\"}\") `",
      "content_by_lua_block { ngx.say('{1, 2)') }~` ngx.say('{1, 2)') `",
      "content_by_lua_block { local t = {a = 1, b = {2}} }~` local t = {a = 1, b = {2}} `",
      "content_by_lua_block { --[[ {{{ ]] --[==[ }}} ]==] x() }~` --[[ {{{ ]] --[==[ }}} ]==] x() `",
      "content_by_lua_block {\\n  --}} {}\\n  x()\\n}~`\\n  --}} {}\\n  x()\\n`",
      "content_by_lua_block { s = [[}content{]] }~` s = [[}content{]] `",
      "content_by_lua_block { s = [=[ ]] } ]=] }~` s = [=[ ]] } ]=] `",
      "content_by_lua_block { print(\"\\\"}{!\\\"\") }~` print(\"\\\"}{!\\\"\") `",
      "content_by_lua_block {ngx.say(\"hello, world\", {\"!\"})}~`ngx.say(\"hello, world\", {\"!\"})`",
      "content_by_lua_block { a = \"x\\n{\" }~` a = \"x\\n{\" } `",
      "content_by_lua_block { local t1, t2 = {\"hello world\"}, {1} ngx.say(t1[t2[1]]) }"
          + "~` local t1, t2 = {\"hello world\"}, {1} ngx.say(t1[t2[1]]) `",
  })
  void theBlockIsOneChunkOfLua(String text, String code) {
    String expected = code.replace("\\n", "\n");
    // A quote that does not close on its line is ordinary code, so the brace after it counts.
    if (text.startsWith("content_by_lua_block { a = \"x")) {
      assertThat(only(text + " }").args()).containsExactly(expected);
      return;
    }

    Directive directive = only(text);

    assertThat(directive.name()).isEqualTo("content_by_lua_block");
    assertThat(directive.args()).containsExactly(expected);
    assertThat(directive.hasBlock()).isFalse();
  }

  /** The name is the directive's value, as nginx compares it: quotes and escapes resolved first. */
  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '~', quoteCharacter = '`', value = {
      "\"content_by_lua_block\" { x({}) }~content_by_lua_block",
      "'access_by_lua_block' { x({}) }~access_by_lua_block",
      "my\\\\_by_lua_block { x({}) }~my\\_by_lua_block",
      "\"my\\\"_by_lua_block\" { x({}) }~my\"_by_lua_block",
  })
  void aQuotedOrEscapedNameIsALuaBlockToo(String text, String name) {
    Directive directive = only(text);

    assertThat(directive.name()).isEqualTo(name);
    assertThat(directive.args()).containsExactly(" x({}) ");
    assertThat(directive.hasBlock()).isFalse();
  }

  @Test
  void setByLuaBlockKeepsItsVariableBeforeTheCode() {
    Directive directive = only("set_by_lua_block $res { return 1+1 }");

    assertThat(directive.args()).containsExactly("$res", " return 1+1 ");
    assertThat(directive.argPositions()).extracting(SourcePosition::column).containsExactly(18, 24);
  }

  @Test
  void upstreamsLoadBesideLuaBlocks() {
    String text = """
        events { }
        http {
            init_by_lua_block { glob = "init by lua }here{" }
            upstream api { server 10.0.0.1:8080; }
            server {
                location / {
                    access_by_lua_block {
                        local allowed = {"10.0.0.1", "10.0.0.2"}
                        if not allowed[ngx.var.remote_addr] then return ngx.exit(403) end
                    }
                    proxy_pass http://api;
                }
            }
            upstream web { server 10.0.0.2:8080; }
        }
        """;

    NginxConfig config = NginxConfig.parse(text, "nginx.conf");

    assertThat(config.upstreams()).extracting(UpstreamBlock::name).containsExactly("api", "web");
    Directive location = config.directives().get(1).children().get(2).children().get(0);
    assertThat(location.children()).extracting(Directive::name).containsExactly("access_by_lua_block", "proxy_pass");
    assertThat(location.children().get(1).position().line()).isEqualTo(11);
  }

  @Test
  void luaCodeIsWrittenBackBetweenBracesAndReadsBackEqual() {
    String text = "location / {\n    content_by_lua_block { local t = {\"}\"} --[[ { ]] }\n}\n";
    List<Directive> tree = NginxConfig.parse(text, "t").directives();

    String written = NginxConfig.write(tree);

    assertThat(written).isEqualTo(text);
    assertThat(TokenizerTest.render(NginxConfig.parse(written, "again").directives()))
        .isEqualTo(TokenizerTest.render(tree));
  }

  @Test
  void luaCodeThatWouldNotReadBackWholeIsWrittenAsAQuotedArgument() {
    Directive directive = new Directive("content_by_lua_block", List.of("x } y"),
        List.of(new SourcePosition("t", 1, 1)), null, new SourcePosition("t", 1, 1));

    String written = NginxConfig.write(List.of(directive));

    assertThat(written).isEqualTo("content_by_lua_block \"x } y\";\n");
    assertThat(NginxConfig.parse(written, "t").directives().get(0).args()).containsExactly("x } y");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '~', value = {
      "content_by_lua_block {\\n  ngx.say(\"hello\")\\n~unexpected end of file, expecting terminating characters for "
          + "lua code block~1~22",
      "content_by_lua_block {\\n  f({\\n~unexpected end of file, expecting terminating characters for lua code "
          + "block~2~5",
      "content_by_lua_block {\\n  ngx.say([[hello, world\")\\n}~Lua code block missing the closing long bracket "
          + "\"]]\", the inlined Lua code may be too long~2~11",
      "content_by_lua_block {\\n  ngx.say(--[=[hello)\\n}~Lua code block missing the closing long bracket "
          + "\"]=]\", the inlined Lua code may be too long~2~11",
  })
  void anUnterminatedChunkIsRefusedInTheModulesWords(String text, String reason, int line, int column) {
    assertThatThrownBy(() -> NginxConfig.parse(text.replace("\\n", "\n"), "t.conf"))
        .isInstanceOfSatisfying(ConfigSyntaxException.class, e -> {
          assertThat(e.reason()).isEqualTo(reason);
          assertThat(e.position()).isEqualTo(new SourcePosition("t.conf", line, column));
        });
  }

  @Test
  void aLuaDirectiveWithoutABlockIsAnOrdinaryDirective() {
    assertThat(only("content_by_lua_block \"ngx.say(1)\";").args()).containsExactly("ngx.say(1)");
    assertThat(only("content_by_lua 'ngx.say(\"{\")';").args()).containsExactly("ngx.say(\"{\")");
  }
}
