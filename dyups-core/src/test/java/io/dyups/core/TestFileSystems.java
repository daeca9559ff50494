package io.dyups.core;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Small real file systems for fault tests: a size-limited tmpfs (a full disk) that can be remounted read-only (a
 * condition root cannot write through, unlike a directory without write permission). Needs {@code mount}, which
 * needs root or CAP_SYS_ADMIN; {@link #canMount} says whether this machine allows it, so tests can assume it.
 * Not thread-safe; one instance per test, {@link #unmountAll} after it.
 */
final class TestFileSystems {
  private static Boolean canMount;
  private final List<Path> mounted = new ArrayList<>();

  /** Whether a tmpfs can be mounted here; tried once per JVM under {@code scratch}. */
  static synchronized boolean canMount(Path scratch) {
    if (canMount == null) {
      canMount = probe(scratch);
    }
    return canMount;
  }

  private static boolean probe(Path scratch) {
    try {
      Path at = Files.createTempDirectory(scratch, "mount-probe");
      if (run("mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", at.toString()) != 0) {
        return false;
      }
      run("umount", at.toString());
      Files.deleteIfExists(at);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Mounts a tmpfs of {@code size} (such as {@code 64k}) on the existing empty directory {@code at}. */
  void mountTmpfs(Path at, String size) throws IOException {
    check(run("mount", "-t", "tmpfs", "-o", "size=" + size + ",mode=0755", "tmpfs", at.toString()), "mount", at);
    mounted.add(at);
  }

  /** Remounts {@code at} read-only or read-write. */
  void remount(Path at, boolean readOnly) throws IOException {
    check(run("mount", "-o", readOnly ? "remount,ro" : "remount,rw", at.toString()), "remount", at);
  }

  /** Unmounts everything this instance mounted, latest first. */
  void unmountAll() throws IOException {
    for (int i = mounted.size() - 1; i >= 0; i--) {
      check(run("umount", mounted.get(i).toString()), "umount", mounted.get(i));
    }
    mounted.clear();
  }

  private static void check(int exit, String what, Path at) throws IOException {
    if (exit != 0) {
      throw new IOException(what + " " + at + " failed with exit status " + exit);
    }
  }

  private static int run(String... command) throws IOException {
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
      process.getOutputStream().close();
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      int exit = process.waitFor();
      if (exit != 0) {
        System.err.println(String.join(" ", command) + ": " + output.strip());
      }
      return exit;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted running " + command[0], e);
    } catch (IOException e) {
      // No mount command at all.
      return -1;
    }
  }
}
