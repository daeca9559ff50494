package io.dyups.core;

import io.dyups.parser.UpstreamBlock;
import java.lang.reflect.Method;
import java.util.List;
import org.jetbrains.kotlinx.lincheck.Actor;
import org.jetbrains.kotlinx.lincheck.execution.ExecutionScenario;
import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.StressOptions;
import org.junit.jupiter.api.Test;

/**
 * Lincheck's check that update, create-if-absent, delete, find and list are linearizable: every concurrent
 * history it tries has results some one-at-a-time order of the same operations would give. Model checking
 * explores thread interleavings systematically; stress runs them on real threads.
 */
@Param(name = "name", gen = IntGen.class, conf = "0:1")
@Param(name = "definition", gen = IntGen.class, conf = "0:2")
public class RegistryLinearizabilityTest {
  private static final UpstreamBlock[] DEFINITIONS = {
      UpstreamBlock.fromCommands("any", "server 10.0.0.1:80;"),
      UpstreamBlock.fromCommands("any", "least_conn; server 10.0.0.2:80; server 10.0.0.3:80;"),
      UpstreamBlock.fromCommands("any", "server 10.0.0.1:80; server 10.0.0.4:80 backup;"),
  };

  // Sizes (lincheck instruments every class the registry touches, and model checking tracks each of their memory
  // accesses, so an invocation costs tens of milliseconds): the default build explores 1 scenario with 1 actor
  // before and after the parallel part in 50 interleavings (about 15 s); the soak profile 100 scenarios with 5
  // before and after in 100 each. The history below, which model checking once found, is replayed in every build.
  private static final int ITERATIONS = Integer.getInteger("dyups.lincheck.iterations", 1);
  private static final int INVOCATIONS = Integer.getInteger("dyups.lincheck.invocations", 50);
  private static final int ACTORS_AROUND = Integer.getInteger("dyups.lincheck.actorsAround", 1);
  // A listing without the change counter's check (the bug this history found) fails within 50 interleavings; twice
  // that for margin (8 s).
  private static final int KNOWN_HISTORY_INVOCATIONS = 100;

  private final UpstreamRegistry registry = UpstreamRegistry.builder().build();

  @Operation
  public int update(@Param(name = "name") int name, @Param(name = "definition") int definition) {
    return registry.updateUpstream(DEFINITIONS[definition].withName("u" + name)).status();
  }

  @Operation
  public int create(@Param(name = "name") int name, @Param(name = "definition") int definition) {
    return registry.updateUpstream(DEFINITIONS[definition].withName("u" + name), UpstreamRegistry.ABSENT).status();
  }

  @Operation
  public int delete(@Param(name = "name") int name) {
    return registry.deleteUpstream("u" + name).status();
  }

  @Operation
  public String find(@Param(name = "name") int name) {
    Upstream upstream = registry.find("U" + name);
    return upstream == null ? "absent" : upstream.name() + " " + upstream.definition().servers();
  }

  @Operation
  public String list() {
    return registry.list().toString();
  }

  /**
   * The history model checking first found: a listing that ran while one upstream was created and another
   * deleted answered "none", a state that never was.
   */
  @Test
  void aListingRacingACreateAndADeleteSeesAStateThatWas() throws Exception {
    Method update = getClass().getMethod("update", int.class, int.class);
    Method delete = getClass().getMethod("delete", int.class);
    Method list = getClass().getMethod("list");
    ExecutionScenario scenario = new ExecutionScenario(
        List.of(new Actor(update, List.of(0, 1))),
        List.of(List.of(new Actor(list, List.of())),
            List.of(new Actor(update, List.of(1, 0)), new Actor(delete, List.of(0)))),
        List.of(), null);

    new ModelCheckingOptions().iterations(0).invocationsPerIteration(KNOWN_HISTORY_INVOCATIONS)
        .addCustomScenario(scenario).check(getClass());
  }

  @Test
  void isLinearizableUnderModelChecking() {
    new ModelCheckingOptions().iterations(ITERATIONS).invocationsPerIteration(INVOCATIONS).threads(2)
        .actorsPerThread(3).actorsBefore(ACTORS_AROUND).actorsAfter(ACTORS_AROUND).check(getClass());
  }

  @Test
  void isLinearizableUnderStress() {
    new StressOptions().iterations(ITERATIONS * 10).invocationsPerIteration(INVOCATIONS * 10).threads(3)
        .actorsPerThread(3).check(getClass());
  }
}
