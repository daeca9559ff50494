package io.dyups.examples;

import io.dyups.parser.ConfigSyntaxException;
import io.netty.util.ResourceLeakDetector;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * The example proxy's command line, as nginx's: {@code -p PREFIX} (default: the current directory),
 * {@code -c FILE} (default {@code conf/nginx.conf} under the prefix), {@code -t} to test the configuration and
 * exit. Runs until stopped (Ctrl-C or SIGTERM).
 */
public final class ProxyMain {
  private ProxyMain() {}

  public static void main(String[] args) {
    // Netty's leak detector samples buffer allocations with a stack trace each: a debugging aid that costs the proxy
    // a few percent of its throughput. It stays off unless asked for (-Dio.netty.leakDetection.level=...); the
    // tests run with it at paranoid.
    if (System.getProperty("io.netty.leakDetection.level") == null) {
      ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
    }
    // The listeners resume TLS sessions from the JDK's server cache, which honours ssl_session_timeout, rather than
    // from stateless tickets, which the JDK resumes at any age (ServerTls says more). The JDK reads the switch as
    // each context is made, so it is set before the configuration is read, unless given (-D...=true).
    if (System.getProperty(ServerTls.TICKETS_PROPERTY) == null) {
      System.setProperty(ServerTls.TICKETS_PROPERTY, "false");
    }
    int status = run(args, System.out, System.err, true);
    if (status != 0) {
      System.exit(status);
    }
  }

  /**
   * Runs the command line; returns the exit status. With {@code wait} it serves until the JVM is asked to stop.
   */
  static int run(String[] args, PrintStream out, PrintStream err, boolean wait) {
    Path prefix = Path.of("");
    String configName = null;
    boolean test = false;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "-p" -> {
          if (++i >= args.length) {
            err.println("dyups: option \"-p\" requires directory name");
            return 1;
          }
          prefix = Path.of(args[i]);
        }
        case "-c" -> {
          if (++i >= args.length) {
            err.println("dyups: option \"-c\" requires file name");
            return 1;
          }
          configName = args[i];
        }
        case "-t" -> test = true;
        case "-h", "-?" -> {
          out.println("Usage: java -jar dyups-proxy.jar [-p prefix] [-c filename] [-t]");
          return 0;
        }
        default -> {
          err.println("dyups: invalid option: \"" + args[i] + "\"");
          return 1;
        }
      }
    }
    Path configFile = prefix.resolve(configName == null ? "conf/nginx.conf" : configName).toAbsolutePath()
        .normalize();
    ProxyConfig config;
    try {
      if (!Files.isRegularFile(configFile)) {
        err.println("dyups: [emerg] open() \"" + configFile + "\" failed (2: No such file or directory)");
        return 1;
      }
      config = ProxyConfig.load(prefix, configFile);
      if (test) {
        // Load the upstreams too: a test must catch everything a start would.
        ProxyServer.checkUpstreams(config);
      }
    } catch (ConfigSyntaxException e) {
      err.println("dyups: [emerg] " + e.reason() + " in " + e.file() + ":" + e.line() + ":" + e.column());
      if (test) {
        err.println("dyups: configuration file " + configFile + " test failed");
      }
      return 1;
    } catch (IOException | UncheckedIOException e) {
      err.println("dyups: [emerg] " + e.getMessage());
      return 1;
    }
    if (test) {
      err.println("dyups: the configuration file " + configFile + " syntax is ok");
      err.println("dyups: configuration file " + configFile + " test is successful");
      return 0;
    }
    ProxyServer server;
    try {
      server = ProxyServer.start(config);
    } catch (ConfigSyntaxException e) {
      err.println("dyups: [emerg] " + e.reason() + " in " + e.file() + ":" + e.line() + ":" + e.column());
      return 1;
    } catch (IOException | UncheckedIOException e) {
      err.println("dyups: [emerg] " + e.getMessage());
      return 1;
    }
    err.println("dyups: listening on " + server.listening() + " (prefix " + config.prefix() + ")");
    if (!wait) {
      server.close();
      return 0;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.close();
      stopped.countDown();
    }, "dyups-shutdown"));
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 0;
  }
}
