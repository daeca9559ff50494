package io.dyups.core;

import java.util.SplittableRandom;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * The changes the crash test's child applies, one per sequence number. Change {@code n} depends only on
 * {@code n} and on which upstreams exist, so the parent can replay the same sequence on a model and know the
 * exact registry state after every acknowledged change.
 */
enum CrashWorkload {
  /** Replaces one upstream again and again: every write has the same shape. */
  ONE_UPSTREAM {
    @Override
    Change change(long seq, Predicate<String> exists) {
      SplittableRandom random = new SplittableRandom(seq);
      return Change.update("solo", servers(random, 1 + random.nextInt(4)));
    }
  },
  /** Creates and replaces up to 48 upstreams with varied balancing: the file has many blocks. */
  MANY_UPSTREAMS {
    @Override
    Change change(long seq, Predicate<String> exists) {
      SplittableRandom random = new SplittableRandom(seq);
      String name = "svc" + random.nextInt(48);
      String[] methods = {"", "least_conn;", "ip_hash;", "hash $request_uri consistent;", "random;"};
      String method = methods[random.nextInt(methods.length)];
      String keepalive = random.nextBoolean() ? "" : "keepalive " + (1 + random.nextInt(64)) + ";";
      return Change.update(name, method + servers(random, 1 + random.nextInt(8)) + keepalive);
    }
  },
  /** Deletes an upstream when it exists, else creates it: the file grows, shrinks and empties. */
  DELETES {
    @Override
    Change change(long seq, Predicate<String> exists) {
      SplittableRandom random = new SplittableRandom(seq);
      String name = "d" + random.nextInt(6);
      return exists.test(name) ? Change.delete(name) : Change.update(name, servers(random, 1 + random.nextInt(3)));
    }
  },
  /** Replaces three upstreams of up to 2,500 servers each: writes of hundreds of KiB, long enough to be cut. */
  LARGE_BODIES {
    @Override
    Change change(long seq, Predicate<String> exists) {
      SplittableRandom random = new SplittableRandom(seq);
      return Change.update("big" + random.nextInt(3), servers(random, 500 + random.nextInt(2000)));
    }
  };

  /** Change number {@code seq}; {@code exists} says whether an upstream of that name exists before it. */
  abstract Change change(long seq, Predicate<String> exists);

  /** One change: update {@code name} with {@code commands}, or delete it when they are null. */
  record Change(String name, @Nullable String commands) {
    static Change update(String name, String commands) {
      return new Change(name, commands);
    }

    static Change delete(String name) {
      return new Change(name, null);
    }

    boolean isDelete() {
      return commands == null;
    }

    Result applyTo(UpstreamRegistry registry) {
      return isDelete() ? registry.deleteUpstream(name) : registry.updateUpstream(name, commands);
    }
  }

  private static String servers(SplittableRandom random, int count) {
    StringBuilder out = new StringBuilder(count * 48);
    for (int i = 0; i < count; i++) {
      out.append("server 10.").append(random.nextInt(256)).append('.').append(random.nextInt(256)).append('.')
          .append(random.nextInt(256)).append(':').append(1 + random.nextInt(65535));
      if (random.nextInt(3) == 0) {
        out.append(" weight=").append(1 + random.nextInt(100));
      }
      if (random.nextInt(4) == 0) {
        out.append(" max_fails=").append(random.nextInt(10)).append(" fail_timeout=")
            .append(1 + random.nextInt(120)).append('s');
      }
      out.append(";\n");
    }
    return out.toString();
  }
}
