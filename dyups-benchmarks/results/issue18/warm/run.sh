#!/usr/bin/env bash
# The standard 2-connection command with and without the renewal warm-up (and once with a JVM option), alternated
# in one hold of the CPU lock, the same jar (main 1dfbb12, built with `mvn -B -DskipTests package -pl dyups-examples
# -am` and copied to $JAR). Session of 2026-12-02 (fourth), BENCHMARKS.md section 5. Usage, from the repository:
#   ORDER="std renew renew std" START=0 JAR=/tmp/w18/main.jar OUT=/tmp/w18/std \
#     /work/notes/bin/cpu-run bench dyups-benchmarks/results/issue18/warm/run.sh
#   std    the standard command
#   renew  the same with RENEW_WARMUP=10s (proxy-bench.sh's header)
#   scale  the same as std with PROXY_JAVA_OPTS=-XX:CompileThresholdScaling=0.1
# Summaries: python3 dyups-benchmarks/results/issue18/conn-cost/rounds.py OUT/*.txt
i=${START:-0}
for v in ${ORDER:-std renew renew std}; do
  i=$((i+1))
  case $v in
    std) extra=() ;;
    renew) extra=(RENEW_WARMUP=${RENEW:-10s}) ;;
    scale) extra=(PROXY_JAVA_OPTS=-XX:CompileThresholdScaling=${SCALE:-0.1}) ;;
  esac
  env "${extra[@]}" PROXY_JAR=${JAR:-dyups-examples/target/dyups-proxy.jar} WARMUP=10s WORKERS=1 CONNECTIONS=2 \
    ROUNDS=3 DURATION=8s dyups-benchmarks/proxy-bench.sh compare > "${OUT:-/tmp}/$i-$v.txt" 2>&1
done
