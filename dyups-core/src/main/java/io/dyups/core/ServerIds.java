package io.dyups.core;

import com.google.common.hash.HashFunction;
import com.google.common.hash.Hashing;
import io.dyups.parser.ServerSpec;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The one rule that names servers by id. NGINX Plus numbers servers as they are added and keeps the numbers in its
 * shared memory and state file; here the id is derived from what every instance already agrees on, the servers'
 * text, so it needs no storage of its own and no agreement between instances:
 *
 * <p>a server's id is the 31-bit MurmurHash3 of its address as written ({@code 10.0.0.1:8080}, {@code
 * backend.local:80}, {@code unix:/path}); when a server written before it in the same upstream has that id (the
 * same address written twice, or a hash collision), the next free number is taken. So the id stays while the
 * address stays, whatever else changes on the line, across restarts and updates that keep the server; it can
 * move only when an earlier server with the same address is added or removed.
 *
 * <p>Worked example: {@code server a:80; server b:80; server a:80;} gives h(a), h(b), h(a)+1. Removing the second
 * {@code a:80} keeps h(a) and h(b); removing the first gives the second h(a).
 */
final class ServerIds {
  // A fixed, seedless hash: the ids must be the same in every JVM and every version of the library.
  private static final HashFunction HASH = Hashing.murmur3_32_fixed();

  private ServerIds() {}

  /** The id of each server of {@code servers}, in their order. */
  static int[] of(List<ServerSpec> servers) {
    int[] ids = new int[servers.size()];
    Set<Integer> taken = new HashSet<>(servers.size() * 2);
    for (int i = 0; i < ids.length; i++) {
      int id = hash(servers.get(i));
      while (!taken.add(id)) {
        id = (id + 1) & Integer.MAX_VALUE;
      }
      ids[i] = id;
    }
    return ids;
  }

  private static int hash(ServerSpec server) {
    return HASH.hashString(server.address().toConfig(), StandardCharsets.UTF_8).asInt() & Integer.MAX_VALUE;
  }
}
