package io.dyups.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.StringWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every {@code java} snippet of README.md compiles against the library as a reader would paste it: as the body of a
 * method that declares no checked exception (so a snippet must handle or declare what it throws itself), or, when it
 * declares methods of its own, as members of a class. The few names a snippet uses without defining them are
 * declared around it: {@code registry}, {@code upstream}, {@code clientAddress} and {@code send(Address)}.
 */
class ReadmeSnippetsTest {
  private static final Path README = Path.of("..", "README.md");
  private static final Pattern JAVA_BLOCK = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL);
  private static final String IMPORTS = "import io.dyups.admin.*; import io.dyups.core.*; import io.dyups.parser.*;"
      + " import io.dyups.zookeeper.*; import java.io.*; import java.net.*; import java.nio.file.*; import java.time.*; import java.util.*;\n";
  private static final String CONTEXT = "  UpstreamRegistry registry; Upstream upstream; InetAddress clientAddress;\n"
      + "  abstract boolean send(Address address);\n";

  @TempDir Path classes;

  static Stream<Named<String>> snippets() throws IOException {
    String readme = Files.readString(README, StandardCharsets.UTF_8);
    List<Named<String>> snippets = new ArrayList<>();
    Matcher block = JAVA_BLOCK.matcher(readme);
    while (block.find()) {
      int line = readme.substring(0, block.start()).split("\n", -1).length;
      snippets.add(Named.of("README.md:" + line, block.group(1)));
    }
    return snippets.stream();
  }

  @Test
  void theReadmeHasJavaSnippets() throws IOException {
    assertThat(snippets()).hasSizeGreaterThanOrEqualTo(5);
  }

  @Test
  void theQuickStartRunsTheProxyFromACopyUnderTarget() throws IOException {
    // The proxy writes its dyups_upstream_conf and logs under its prefix: a prefix in the clone would leave it
    // dirty (the tracked dyups-examples/conf/conf/upstream.conf rewritten).
    String readme = Files.readString(README, StandardCharsets.UTF_8);
    Matcher run = Pattern.compile("java -jar \\S+ -p (\\S+)").matcher(readme);
    assertThat(run.find()).as("a java -jar ... -p PREFIX line").isTrue();
    String prefix = run.group(1);

    assertThat(prefix).matches("(.*/)?target/.+");
    assertThat(readme).contains("cp -R dyups-examples/conf " + prefix + "/");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("snippets")
  void snippetCompiles(String snippet) {
    String asStatements = IMPORTS + "abstract class Snippet {\n" + CONTEXT + "  void run() {\n" + snippet + "\n  }\n}\n";
    String asMembers = IMPORTS + "abstract class Snippet {\n" + CONTEXT + snippet + "\n}\n";

    String statementErrors = compile(asStatements);
    String memberErrors = statementErrors.isEmpty() ? "" : compile(asMembers);

    assertThat(statementErrors.isEmpty() || memberErrors.isEmpty())
        .as("as statements:%n%s%nas class members:%n%s", statementErrors, memberErrors).isTrue();
  }

  private String compile(String source) {
    JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
    DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
    JavaFileObject file = new SimpleJavaFileObject(URI.create("string:///Snippet.java"), JavaFileObject.Kind.SOURCE) {
      @Override
      public CharSequence getCharContent(boolean ignoreEncodingErrors) {
        return source;
      }
    };
    String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    StringWriter out = new StringWriter();
    boolean compiled = compiler.getTask(out, null, diagnostics,
        List.of("-proc:none", "-classpath", classPath, "-d", classes.toString()), null, List.of(file)).call();
    if (compiled) {
      return "";
    }
    StringBuilder errors = new StringBuilder(out.toString());
    diagnostics.getDiagnostics().forEach(d -> errors.append(d.getLineNumber()).append(": ")
        .append(d.getMessage(null)).append('\n'));
    return errors.toString();
  }
}
