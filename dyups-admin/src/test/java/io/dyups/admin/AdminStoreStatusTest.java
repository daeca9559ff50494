package io.dyups.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.dyups.core.UpstreamRegistry;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The registry's store on the admin interface: {@code GET /status}, and the {@code store} of JSON listings. */
class AdminStoreStatusTest {
  @TempDir Path dir;

  private static String get(AdminHandler handler, String target) {
    AdminResponse response = handler.handle(new AdminRequest("GET", target, Map.of(),
        new ByteArrayInputStream(new byte[0]), 0));
    assertThat(response.status()).isEqualTo(200);
    return new String(response.body(), StandardCharsets.UTF_8);
  }

  @Test
  void statusSaysWhichStoreWhetherItTakesChangesAndTheLastOneApplied() {
    Path file = dir.resolve("upstream.conf");
    try (UpstreamRegistry registry = UpstreamRegistry.builder().persistenceFile(file).build()) {
      long version = registry.updateUpstream("a", "server 10.0.0.1:80;").version();
      String status = get(AdminHandler.of(registry), "/status");
      assertThat(status).startsWith("store file\navailable yes\nstate open\ndetail " + file + "\nlast_version "
          + version + "\nlast_change_at 20").endsWith("\npending_changes 0\nbehind_ms 0\n");
    }
  }

  @Test
  void jsonListingsCarryTheStore() {
    try (UpstreamRegistry registry = UpstreamRegistry.builder().build()) {
      registry.updateUpstream("a", "server 10.0.0.1:80;");
      AdminHandler handler = AdminHandler.of(registry);
      for (String target : new String[] {"/list?format=json", "/detail?format=json", "/status?format=json"}) {
        assertThat(get(handler, target)).as(target)
            .contains("\"kind\":\"memory\",\"available\":true,\"state\":\"open\"").contains("\"lastVersion\":");
      }
    }
  }
}
