package io.dyups.parser;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Where an upstream may stand (nginx's contexts), how the top level of a file is read, and dyups's own file of
 * upstreams, where anything else at the top level is refused.
 */
class ContextTest {
  private static final byte[] BOM = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};

  @TempDir Path dir;

  private static List<String> names(String text) {
    return NginxConfig.parse(text, "t.conf").upstreams().stream().map(UpstreamBlock::name).toList();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '~', value = {
      "upstream a { server 10.0.0.1; }~a",
      "events { } http { upstream a { server 10.0.0.1; } }~a",
      "worker_processes 2; events { } stream { upstream a { server 10.0.0.1:53; } }~a",
      "http { server { listen 80; } upstream a { server 10.0.0.1; } }~a",
      "upstream a { server 10.0.0.1; } server { listen 80; location / { proxy_pass http://a; } }~a",
      "http { map $x $y { upstream 1; default 0; } upstream a { server 10.0.0.1; } }~a",
      "http { types { text/html html; } upstream a { server 10.0.0.1; } }~a",
  })
  void upstreamsStandWhereNginxAllowsThem(String text, String name) {
    assertThat(names(text)).containsExactly(name);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '~', value = {
      "events { }\\nupstream a { server 10.0.0.1; }~\"upstream\" directive is not allowed here~2~1",
      "http { }\\nupstream a { server 10.0.0.1; }~\"upstream\" directive is not allowed here~2~1",
      "http { server {\\n  upstream a { server 10.0.0.1; } } }~\"upstream\" directive is not allowed here~2~3",
      "http { server { location / { upstream a { server b; } } } }~\"upstream\" directive is not allowed here~1~30",
      "events { upstream a { server 10.0.0.1; } }~\"upstream\" directive is not allowed here~1~10",
      "events { } upstream a;~\"upstream\" directive is not allowed here~1~12",
      "upstream a { server 10.0.0.1; }\\nhttp { }~\"http\" directive is not allowed here~2~1",
      "upstream a { server 10.0.0.1; }\\nevents { }~\"events\" directive is not allowed here~2~1",
      "upstream a { server 10.0.0.1; upstream b { server c; } }~\"upstream\" directive is not allowed here~1~31",
      "upstream a { server 10.0.0.1; } http { upstream b { server c; } }~\"http\" directive is not allowed here~1~33",
  })
  void upstreamsElsewhereAreNotAllowedHere(String text, String reason, int line, int column) {
    String config = text.replace("\\n", "\n");

    assertThatThrownBy(() -> NginxConfig.parse(config, "t.conf").upstreams())
        .isInstanceOfSatisfying(ConfigSyntaxException.class, e -> {
          assertThat(e.reason()).isEqualTo(reason);
          assertThat(e.position()).isEqualTo(new SourcePosition("t.conf", line, column));
        });
  }

  @Test
  void anUpstreamInTheCommandsOfAnUpstreamIsNotAllowedHere() {
    assertThatThrownBy(() -> UpstreamBlock.fromCommands("u", "server a; upstream b { server c; }"))
        .isInstanceOfSatisfying(ConfigSyntaxException.class, e -> assertThat(e.getMessage())
            .isEqualTo("\"upstream\" directive is not allowed here in commands:1:11"));
  }

  @Test
  void anIncludedFileIsReadInTheContextOfItsInclude() throws IOException {
    Files.writeString(dir.resolve("upstreams.conf"), "upstream a { server 10.0.0.1; }\n");
    Files.writeString(dir.resolve("site.conf"), "server { include upstreams.conf; }\n");
    Path good = Files.writeString(dir.resolve("good.conf"), "events { }\nhttp { include upstreams.conf; }\n");
    Path bad = Files.writeString(dir.resolve("bad.conf"), "events { }\nhttp { include site.conf; }\n");

    assertThat(NginxConfig.load(good).upstreams()).extracting(UpstreamBlock::name).containsExactly("a");
    assertThatThrownBy(() -> NginxConfig.load(bad).upstreams())
        .isInstanceOfSatisfying(ConfigSyntaxException.class, e -> {
          assertThat(e.reason()).isEqualTo("\"upstream\" directive is not allowed here");
          assertThat(e.file()).endsWith("upstreams.conf");
          assertThat(e.line()).isEqualTo(1);
        });
  }

  @Test
  void aByteOrderMarkIsPartOfTheFirstWordAsNginxReadsIt() {
    byte[] text = concat(BOM, "upstream a { server 10.0.0.1; }\n".getBytes(StandardCharsets.UTF_8));

    NginxConfig config = NginxConfig.parse(text, "bom.conf");

    assertThat(config.directives().get(0).name()).isEqualTo("\uFEFFupstream");
    assertThatThrownBy(config::upstreams)
        .isInstanceOfSatisfying(ConfigSyntaxException.class, e -> assertThat(e.getMessage())
            .isEqualTo("unknown directive \"\\ufeffupstream\" in bom.conf:1:1"));
  }

  @Test
  void theUpstreamFileGivesItsBlocksInOrder() throws IOException {
    Path file = Files.writeString(dir.resolve("dyups.conf"),
        "upstream keep1 { server 10.0.0.1; }\nupstream keep2 { least_conn; server 10.0.0.2; }\n");
    List<UpstreamBlock> blocks = new ArrayList<>();

    UpstreamBlock.readAll(file, blocks::add, warning -> { });

    assertThat(blocks).extracting(UpstreamBlock::name).containsExactly("keep1", "keep2");
    assertThat(blocks.get(1).balancing()).isEqualTo(new Balancing.LeastConn());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '~', value = {
      "upstream keep1 { server 10.0.0.1; }\\nupstrem keep2 { server 10.0.0.2; }~unknown directive \"upstrem\"~2~1",
      "include other.conf;~unknown directive \"include\"~1~1",
      "server { listen 80; }~unknown directive \"server\"~1~1",
      "http { upstream a { server 10.0.0.1; } }~unknown directive \"http\"~1~1",
      "upstream a { server 10.0.0.1; } upstream A { server 10.0.0.2; }~duplicate upstream \"A\"~1~33",
  })
  void theUpstreamFileRefusesAnythingItsOwnerWouldNotWriteBack(String text, String reason, int line, int column)
      throws IOException {
    Path file = Files.writeString(dir.resolve("dyups.conf"), text.replace("\\n", "\n"));

    assertThatThrownBy(() -> UpstreamBlock.readAll(file, block -> { }, warning -> { }))
        .isInstanceOfSatisfying(ConfigSyntaxException.class, e -> {
          assertThat(e.reason()).isEqualTo(reason);
          assertThat(e.position()).isEqualTo(new SourcePosition(file.toString(), line, column));
        });
  }

  @Test
  void theUpstreamFileRefusesAByteOrderMark() throws IOException {
    Path file = dir.resolve("dyups.conf");
    Files.write(file, concat(BOM, "upstream keep1 { server 10.0.0.1; }\n".getBytes(StandardCharsets.UTF_8)));

    assertThatThrownBy(() -> UpstreamBlock.readAll(file, block -> { }, warning -> { }))
        .isInstanceOfSatisfying(ConfigSyntaxException.class, e -> assertThat(e.getMessage())
            .isEqualTo("unknown directive \"\\ufeffupstream\" in " + file + ":1:1"));
  }

  @Test
  void theUpstreamFileReadsBackWhatToConfigWrote() throws IOException {
    UpstreamBlock a = UpstreamBlock.fromCommands("a", "hash $uri consistent; server 10.0.0.1 weight=2;");
    UpstreamBlock b = UpstreamBlock.fromCommands("b", "server unix:/run/b.sock backup; server 10.0.0.3;");
    Path file = dir.resolve("dyups.conf");
    Files.write(file, NginxConfig.toBytes(a.toConfig() + b.toConfig()));
    List<UpstreamBlock> blocks = new ArrayList<>();

    UpstreamBlock.readAll(file, blocks::add, warning -> { });

    assertThat(blocks).containsExactly(a, b);
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = new byte[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
