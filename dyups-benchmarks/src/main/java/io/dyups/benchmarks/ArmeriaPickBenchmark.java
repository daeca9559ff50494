package io.dyups.benchmarks;

import com.linecorp.armeria.client.ClientRequestContext;
import com.linecorp.armeria.client.Endpoint;
import com.linecorp.armeria.client.endpoint.EndpointGroup;
import com.linecorp.armeria.client.endpoint.EndpointSelectionStrategy;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The peer of {@link PickBenchmark}: Armeria's weighted round robin over the same 10 endpoints and weights. Its
 * selector has no find-by-name and no release step, so it does less per operation than dyups's pick.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class ArmeriaPickBenchmark {
  EndpointGroup group;
  ClientRequestContext context;

  @Setup
  public void setUp() {
    List<Endpoint> endpoints = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      endpoints.add(Endpoint.of("127.0.0.1", 8001 + i).withWeight(PickBenchmark.weight(i, "1-5")));
    }
    group = EndpointGroup.of(EndpointSelectionStrategy.weightedRoundRobin(), endpoints);
    context = ClientRequestContext.of(HttpRequest.of(HttpMethod.GET, "/"));
  }

  @TearDown
  public void tearDown() {
    group.close();
  }

  @Benchmark
  public Endpoint weightedRoundRobin(CpuTime cpu) {
    cpu.ops++;
    return group.selectNow(context);
  }
}
