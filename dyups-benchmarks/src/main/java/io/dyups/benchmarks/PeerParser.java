package io.dyups.benchmarks;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * nginxparser ({@code com.github.odiszapc:nginxparser}) with the ANTLR 4.5.3 runtime it was generated for, in a
 * class loader of its own: dyups-parser needs ANTLR 4.13, which cannot read 4.5's serialized grammars, and both
 * must run in the same JMH fork. The two jars travel inside the benchmarks jar under {@code peer/}.
 */
final class PeerParser implements AutoCloseable {
  private final URLClassLoader loader;
  private final Path dir;
  private final MethodHandle readAntlr;
  private final MethodHandle readJavaCc;

  PeerParser() {
    try {
      dir = Files.createTempDirectory("dyups-peer-parser-");
      URL[] urls = {extract("nginxparser.jar"), extract("antlr4-runtime.jar")};
      loader = new URLClassLoader("nginxparser", urls, ClassLoader.getPlatformClassLoader());
      Class<?> config = loader.loadClass("com.github.odiszapc.nginxparser.NgxConfig");
      MethodHandles.Lookup lookup = MethodHandles.publicLookup();
      MethodType read = MethodType.methodType(config, InputStream.class);
      readAntlr = lookup.findStatic(config, "readAntlr", read).asType(
          MethodType.methodType(Object.class, InputStream.class));
      readJavaCc = lookup.findStatic(config, "readJavaCC", read).asType(
          MethodType.methodType(Object.class, InputStream.class));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("nginxparser is not in the benchmarks jar", e);
    }
  }

  private URL extract(String name) throws IOException {
    Path target = dir.resolve(name);
    try (InputStream in = PeerParser.class.getResourceAsStream("/peer/" + name)) {
      if (in == null) {
        throw new IOException("/peer/" + name + " is not in the benchmarks jar");
      }
      Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
    }
    return target.toUri().toURL();
  }

  /** nginxparser's ANTLR parser; its tree ({@code NgxConfig}). */
  Object parseAntlr(byte[] utf8) {
    try {
      return readAntlr.invokeExact((InputStream) new ByteArrayInputStream(utf8));
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable e) {
      throw new IllegalStateException(e);
    }
  }

  /** nginxparser's JavaCC parser, for reference. */
  Object parseJavaCc(byte[] utf8) {
    try {
      return readJavaCc.invokeExact((InputStream) new ByteArrayInputStream(utf8));
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable e) {
      throw new IllegalStateException("nginxparser (JavaCC) rejected the input", e);
    }
  }

  /**
   * Checks that nginxparser's ANTLR parser takes {@code utf8} without a syntax error. It recovers from errors and
   * only reports them on standard error, so that is what is watched.
   */
  void checkAccepts(byte[] utf8, String what) {
    PrintStream err = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      parseAntlr(utf8);
    } finally {
      System.setErr(err);
    }
    if (captured.size() > 0) {
      String errors = captured.toString(StandardCharsets.UTF_8);
      throw new IllegalStateException("nginxparser rejects " + what + ": "
          + errors.substring(0, Math.min(errors.length(), 500)));
    }
  }

  @Override
  public void close() throws IOException {
    loader.close();
    try (var files = Files.list(dir)) {
      for (Path path : (Iterable<Path>) files::iterator) {
        Files.delete(path);
      }
    }
    Files.delete(dir);
  }
}
