package io.dyups.parser;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * A parsed nginx configuration: the directive tree, and the upstream blocks in it.
 *
 * <p>Text is split into tokens exactly as nginx's {@code ngx_conf_read_token} does. Everything this class throws
 * for bad input is a {@link ConfigSyntaxException} whose message is nginx's wording plus {@code file:line:column}.
 * Instances are immutable and safe to share between threads.
 */
public final class NginxConfig {
  private final String source;
  private final List<Directive> directives;

  private NginxConfig(String source, List<Directive> directives) {
    this.source = source;
    this.directives = List.copyOf(directives);
  }

  /**
   * Parses configuration text. {@code include} directives are not followed (there is no file system to follow
   * them in): they stay in the tree as ordinary directives.
   *
   * @param sourceName the name positions and messages use for this text, such as a file name
   * @throws ConfigSyntaxException when nginx would reject the text
   */
  public static NginxConfig parse(String text, String sourceName) {
    requireNonNull(text, "text");
    requireNonNull(sourceName, "sourceName");
    return new NginxConfig(sourceName, SyntaxReader.read(text, sourceName));
  }

  /**
   * Reads a configuration file and every file it includes. As in nginx, a relative {@code include} path is
   * resolved against the directory of {@code mainFile}; a pattern with {@code * ? [...]} includes every matching
   * file in sorted order (none is fine), a plain path that does not exist is an error, and so is an include that
   * would read a file already being read (a cycle). Each directive's position names the file it came from.
   *
   * @throws IOException when {@code mainFile} itself cannot be read
   * @throws ConfigSyntaxException when any file is rejected, or an include cannot be followed
   */
  public static NginxConfig load(Path mainFile) throws IOException {
    requireNonNull(mainFile, "mainFile");
    Path file = mainFile.toAbsolutePath().normalize();
    String text = Files.readString(file, StandardCharsets.UTF_8);
    // An absolute, normalized path to a file always has a parent.
    Path confDir = requireNonNull(file.getParent(), "parent");
    Deque<Path> reading = new ArrayDeque<>();
    reading.push(file);
    List<Directive> tree = includes(SyntaxReader.read(text, file.toString()), confDir, reading);
    return new NginxConfig(file.toString(), tree);
  }

  /** The name of the text or the path of the main file this configuration came from. */
  public String source() {
    return source;
  }

  /** The top-level directives, with included files' directives in place of their {@code include}. */
  public List<Directive> directives() {
    return directives;
  }

  /**
   * Every {@code upstream NAME { ... }} block anywhere in the configuration, in the order written, validated as
   * nginx validates them (names compared ignoring case must be unique).
   *
   * @throws ConfigSyntaxException for the first block nginx would reject
   */
  public List<UpstreamBlock> upstreams() {
    return UpstreamModelBuilder.collect(directives);
  }

  /** The directives as canonical nginx text, four spaces per level, quoting arguments only where needed. */
  public static String write(List<Directive> directives) {
    StringBuilder out = new StringBuilder();
    ConfigText.write(directives, out, 0);
    return out.toString();
  }

  private static List<Directive> includes(List<Directive> directives, Path confDir, Deque<Path> reading)
      throws IOException {
    List<Directive> result = new ArrayList<>(directives.size());
    for (Directive directive : directives) {
      if (directive.name().equals("include") && !directive.hasBlock()) {
        if (directive.args().size() != 1) {
          throw UpstreamModelBuilder.invalidArgumentCount(directive);
        }
        for (Path file : resolve(directive, confDir)) {
          if (reading.contains(file)) {
            throw new ConfigSyntaxException(
                "include of \"" + file + "\" makes a cycle", directive.argPositions().get(0));
          }
          String text;
          try {
            text = Files.readString(file, StandardCharsets.UTF_8);
          } catch (NoSuchFileException e) {
            throw new ConfigSyntaxException(
                "open() \"" + file + "\" failed (2: No such file or directory)", directive.position());
          } catch (IOException e) {
            throw new ConfigSyntaxException(
                "open() \"" + file + "\" failed (" + e.getMessage() + ")", directive.position());
          }
          reading.push(file);
          result.addAll(includes(SyntaxReader.read(text, file.toString()), confDir, reading));
          reading.pop();
        }
      } else if (directive.hasBlock()) {
        result.add(new Directive(
            directive.name(),
            directive.args(),
            directive.argPositions(),
            includes(directive.children(), confDir, reading),
            directive.position()));
      } else {
        result.add(directive);
      }
    }
    return result;
  }

  /** The files an include names: one path, or the sorted matches of a glob pattern. */
  private static List<Path> resolve(Directive include, Path confDir) throws IOException {
    String pattern = include.args().get(0);
    Path path = confDir.resolve(pattern).normalize();
    if (!isGlob(pattern)) {
      return List.of(path);
    }
    List<Path> candidates = List.of(path.getRoot());
    for (Path part : path.getRoot().relativize(path)) {
      String name = part.toString();
      List<Path> next = new ArrayList<>();
      for (Path dir : candidates) {
        if (!isGlob(name)) {
          next.add(dir.resolve(name));
          continue;
        }
        if (!Files.isDirectory(dir)) {
          continue;
        }
        PathMatcher matcher = FileSystems.getDefault().getPathMatcher("glob:" + escapeBraces(name));
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
          for (Path entry : entries) {
            Path entryName = entry.getFileName();
            // POSIX glob: a leading dot must be matched by a dot in the pattern.
            if (entryName.toString().startsWith(".") && !name.startsWith(".")) {
              continue;
            }
            if (matcher.matches(entryName)) {
              next.add(entry);
            }
          }
        }
      }
      candidates = next;
    }
    List<Path> files = new ArrayList<>();
    for (Path candidate : candidates) {
      if (Files.exists(candidate)) {
        files.add(candidate);
      }
    }
    files.sort(null);
    return files;
  }

  private static boolean isGlob(String pattern) {
    return pattern.indexOf('*') >= 0 || pattern.indexOf('?') >= 0 || pattern.indexOf('[') >= 0;
  }

  // nginx's glob has no brace alternatives; Java's does, so braces must match literally.
  private static String escapeBraces(String name) {
    return name.replace("{", "\\{").replace("}", "\\}");
  }

  @Override
  public String toString() {
    return "NginxConfig[" + source + ", " + directives.size() + " directives]";
  }
}
