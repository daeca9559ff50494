package io.dyups.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.dyups.core.UpstreamRegistry;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What nginx warns about when it reads an upstream ({@code load balancing method redefined}) is logged when a change
 * carries it too, naming the upstream, as dyups logs what {@code ngx_conf_parse} warns about in its commands.
 */
class ChangeWarningsTest {
  private final Logger logger = Logger.getLogger(UpstreamRegistry.class.getName());
  private final List<LogRecord> records = new CopyOnWriteArrayList<>();
  private final Handler handler = new Handler() {
    @Override
    public void publish(LogRecord record) {
      records.add(record);
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  };
  private UpstreamRegistry registry;

  @BeforeEach
  void listen() {
    logger.addHandler(handler);
    registry = UpstreamRegistry.builder().build();
  }

  @AfterEach
  void stopListening() {
    registry.close();
    logger.removeHandler(handler);
  }

  private AdminResponse post(String commands) {
    byte[] body = commands.getBytes(StandardCharsets.UTF_8);
    return AdminHandler.of(registry).handle(new AdminRequest("POST", "/upstream/u", Map.of(),
        new ByteArrayInputStream(body), body.length));
  }

  @Test
  void aSecondBalancingMethodIsAcceptedAndLoggedAsNginxWarns() {
    AdminResponse response = post("ip_hash;\nleast_conn; server 10.0.0.1;");

    assertThat(response.status()).isEqualTo(200);
    assertThat(records).singleElement().satisfies(record -> {
      assertThat(record.getLevel()).isEqualTo(Level.WARNING);
      assertThat(record.getMessage())
          .isEqualTo("upstream \"u\": load balancing method redefined in commands:2:1");
    });
  }

  @Test
  void aChangeWithoutWarningsLogsNothing() {
    post("least_conn; server 10.0.0.1;");

    assertThat(records).isEmpty();
  }
}
