package io.dyups.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The module's descriptor as compiled: what it exports and what it requires. Tests run on the class path (see the
 * parent POM), so this is where the module boundary itself is pinned.
 */
class ModuleDescriptorTest {
  private static ModuleDescriptor descriptor() throws IOException, URISyntaxException {
    Path classes = Path.of(UpstreamMetrics.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    try (InputStream in = Files.newInputStream(classes.resolve("module-info.class"))) {
      return ModuleDescriptor.read(in);
    }
  }

  @Test
  void exportsOnlyTheApiPackage() throws Exception {
    ModuleDescriptor module = descriptor();

    assertThat(module.name()).isEqualTo("io.dyups.micrometer");
    assertThat(module.exports().stream().map(ModuleDescriptor.Exports::source))
        .containsExactlyInAnyOrder("io.dyups.micrometer");
  }

  @Test
  void requiresOnlyTheCoreAndMicrometer() throws Exception {
    assertThat(descriptor().requires().stream().map(ModuleDescriptor.Requires::name).collect(Collectors.toSet()))
        .containsExactlyInAnyOrder("java.base", "org.jspecify", "io.dyups.core", "micrometer.core");
  }
}
