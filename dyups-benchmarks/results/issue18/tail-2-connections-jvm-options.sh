#!/usr/bin/env bash
cd /work/main
for opts in "" "-XX:+UseSerialGC" "-Ddyups.transport=epoll" "-XX:+UseSerialGC -XX:TieredStopAtLevel=1" ""; do
  echo "=== opts: '$opts'"
  PROXY_JAVA_OPTS="$opts" WARMUP=10s WORKERS=1 CONNECTIONS="2" ROUNDS=2 DURATION=8s dyups-benchmarks/proxy-bench.sh compare 2>&1 | grep -E "^(dyups|nginx) 2 RESULT"
done
