package io.dyups.parser;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * A parsed nginx configuration: the directive tree, and the upstream blocks in it.
 *
 * <p>Text is split into tokens exactly as nginx's {@code ngx_conf_read_token} does. Everything this class throws
 * for bad input is a {@link ConfigSyntaxException} whose message is nginx's wording plus {@code file:line:column}.
 * Instances are immutable and safe to share between threads.
 *
 * <p><b>Bytes.</b> nginx reads a configuration as bytes: a comment or a quoted string may hold bytes that are not
 * UTF-8 (a Latin-1 comment, say). Files are read as UTF-8, and each byte that is not part of well-formed UTF-8
 * becomes the character U+DC80 to U+DCFF (0xDC00 plus the byte; Python calls this "surrogateescape"), which no
 * well-formed text holds. Such values keep their bytes: {@link #toBytes} gives back exactly the bytes read, and
 * text holding them parses as those bytes would. Where a value must be text (an upstream name, a unix socket
 * path) a raw byte is refused with its position. A file that begins with a UTF-8 byte order mark is read as
 * nginx reads it: the mark is part of the first word.
 *
 * <p><b>OpenResty.</b> The block of a directive named {@code *_by_lua_block} is Lua code, read as the Lua module
 * reads it (its braces, strings and comments) and kept as the directive's last argument, without a block.
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
   * Parses configuration bytes, as nginx reads a file: UTF-8, with any other bytes kept (see the class
   * description). {@code include} directives are not followed.
   *
   * @param sourceName the name positions and messages use for these bytes, such as a file name
   * @throws ConfigSyntaxException when nginx would reject the bytes
   */
  public static NginxConfig parse(byte[] bytes, String sourceName) {
    requireNonNull(bytes, "bytes");
    requireNonNull(sourceName, "sourceName");
    return new NginxConfig(sourceName, SyntaxReader.read(bytes, sourceName));
  }

  /**
   * The bytes of text this parser produced (a value, a directive tree written by {@link #write}, an upstream's
   * {@link UpstreamBlock#toConfig()}): UTF-8, with each character U+DC80 to U+DCFF written as the byte it stands
   * for. Bytes read from a file give back those bytes; text written this way parses back to equal values.
   *
   * @throws IllegalArgumentException when the text holds a lone surrogate other than U+DC80 to U+DCFF, which no
   *     bytes stand for
   */
  public static byte[] toBytes(String text) {
    requireNonNull(text, "text");
    return ConfigBytes.encode(text);
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
    byte[] bytes = readMainFile(file);
    // An absolute, normalized path to a file always has a parent.
    Path confDir = requireNonNull(file.getParent(), "parent");
    Deque<Path> reading = new ArrayDeque<>();
    reading.push(file);
    List<Directive> tree = includes(SyntaxReader.read(bytes, file.toString()), confDir, reading);
    return new NginxConfig(file.toString(), tree);
  }

  /**
   * Every upstream of a configuration file and the files it includes, given to {@code action} one at a time in
   * the order written: what {@code load(mainFile).upstreams()} returns, with nginx's warnings (such as
   * {@code load balancing method redefined}) given to {@code warnings}. When a block is rejected, the blocks
   * before it have been given already: a caller that must not half-apply a file collects them first.
   *
   * <p>{@code action} and {@code warnings} are called on the calling thread. A large file is read ahead meanwhile,
   * in pieces parsed on a thread per core (started and ended within the call), on a machine of more than one core.
   *
   * @throws IOException when {@code mainFile} itself cannot be read
   * @throws ConfigSyntaxException when any file is rejected, an include cannot be followed, or a block is rejected
   */
  public static void forEachUpstream(
      Path mainFile, Consumer<? super UpstreamBlock> action, Consumer<? super ConfigWarning> warnings)
      throws IOException {
    requireNonNull(action, "action");
    requireNonNull(warnings, "warnings");
    Path file = mainFile.toAbsolutePath().normalize();
    byte[] bytes = readMainFile(file);
    // An absolute, normalized path to a file always has a parent.
    Path confDir = requireNonNull(file.getParent(), "parent");
    Deque<Path> reading = new ArrayDeque<>();
    reading.push(file);
    UpstreamCollector collector = new UpstreamCollector(action, warnings);
    // One top-level directive at a time: a large upstream.conf is never held whole as directives (and is read
    // ahead, in pieces on a thread per core, while this one builds the upstreams).
    try {
      ReadAhead.read(bytes, file.toString(), directive -> {
        try {
          collector.topLevel(includes(List.of(directive), confDir, reading));
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
    collector.finish();
  }

  /**
   * The main file's bytes; an error that is not about the file names it, so no caller prints a reason without
   * the file it is about.
   */
  static byte[] readMainFile(Path file) throws IOException {
    try {
      return Files.readAllBytes(file);
    } catch (FileSystemException e) {
      throw e;
    } catch (IOException e) {
      throw new IOException("cannot read \"" + file + "\": " + e.getMessage(), e);
    }
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
   * Every {@code upstream NAME { ... }} block of the configuration, in the order written, validated as nginx
   * validates them: names that {@link UpstreamBlock#foldName} makes equal are a duplicate, a shared memory zone
   * needs a size somewhere and one size only, and an upstream stands only where nginx allows it: inside
   * {@code http} or {@code stream}, or at the top level of a file that is an http-level fragment. The top level
   * is nginx.conf's main level when its first top-level {@code upstream}, {@code events}, {@code http},
   * {@code stream} or {@code mail} is not {@code upstream}; an upstream there, in a {@code server}, a
   * {@code location} or another upstream is refused with {@code "upstream" directive is not allowed here}.
   * Warnings nginx would log are dropped; {@link #forEachUpstream} gives them.
   *
   * @throws ConfigSyntaxException for the first block nginx would reject
   */
  public List<UpstreamBlock> upstreams() {
    List<UpstreamBlock> result = new ArrayList<>();
    UpstreamCollector collector = new UpstreamCollector(result::add, warning -> { });
    collector.topLevel(directives);
    collector.finish();
    return result;
  }

  /** The directives as canonical nginx text, four spaces per level, quoting arguments only where needed. */
  public static String write(List<Directive> directives) {
    StringBuilder out = new StringBuilder();
    ConfigText.write(directives, out, 0);
    return out.toString();
  }

  /** The directives with included files' directives in place of their includes; the same list when none. */
  private static List<Directive> includes(List<Directive> directives, Path confDir, Deque<Path> reading)
      throws IOException {
    // Made at the first directive that changes, with the ones before it: most lists (every upstream's servers, a
    // streamed read's one top-level directive) have no include and are returned as they are, with no copy.
    List<Directive> result = null;
    for (int i = 0; i < directives.size(); i++) {
      Directive directive = directives.get(i);
      if (directive.name().equals("include") && !directive.hasBlock()) {
        if (directive.args().size() != 1) {
          throw UpstreamModelBuilder.invalidArgumentCount(directive);
        }
        result = started(result, directives, i);
        for (Path file : resolve(directive, confDir)) {
          if (reading.contains(file)) {
            throw new ConfigSyntaxException(
                "include of \"" + file + "\" makes a cycle", directive.argPositions().get(0));
          }
          byte[] bytes;
          try {
            bytes = Files.readAllBytes(file);
          } catch (NoSuchFileException e) {
            throw new ConfigSyntaxException(
                "open() \"" + file + "\" failed (2: No such file or directory)", directive.position());
          } catch (IOException e) {
            throw new ConfigSyntaxException(
                "open() \"" + file + "\" failed (" + e.getMessage() + ")", directive.position());
          }
          reading.push(file);
          result.addAll(includes(SyntaxReader.read(bytes, file.toString()), confDir, reading));
          reading.pop();
        }
      } else if (directive.hasBlock()) {
        List<Directive> children = includes(directive.children(), confDir, reading);
        // A block without includes is kept as it is: most blocks (every upstream of an upstream.conf) have none.
        if (children == directive.children()) {
          if (result != null) {
            result.add(directive);
          }
        } else {
          result = started(result, directives, i);
          result.add(new Directive(
              directive.name(), directive.args(), directive.argPositions(), children, directive.position()));
        }
      } else if (result != null) {
        result.add(directive);
      }
    }
    return result != null ? result : directives;
  }

  // The list includes() returns once directive `changed` differs: the directives before it, unchanged.
  private static List<Directive> started(@Nullable List<Directive> result, List<Directive> directives, int changed) {
    if (result != null) {
      return result;
    }
    List<Directive> made = new ArrayList<>(directives.size() + 8);
    made.addAll(directives.subList(0, changed));
    return made;
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
