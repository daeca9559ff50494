#!/usr/bin/env bash
# Runs every benchmark of BENCHMARKS.md with its short settings and keeps the output under
# dyups-benchmarks/target/results/ (one log per part; the load average is written before and after each).
#
# Usage: dyups-benchmarks/run-benchmarks.sh [part...]
#   parts: pick update parse load footprint visibility proxy cluster loadheap
# Build first: mvn -B -DskipTests package
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
jar="$root/dyups-benchmarks/target/benchmarks.jar"
out="$root/dyups-benchmarks/target/results"
[ -f "$jar" ] || { echo "missing $jar: run mvn -B -DskipTests package first" >&2; exit 1; }
mkdir -p "$out"
short=(-f 1 -wi 3 -w 1s -i 5 -r 1s)
parts=("$@")
[ ${#parts[@]} -gt 0 ] || parts=(pick update parse load footprint visibility proxy cluster loadheap)

load() { echo "# $(date -u +%FT%TZ) load average: $(cut -d' ' -f1-3 /proc/loadavg)"; }

for part in "${parts[@]}"; do
  log="$out/$part.txt"
  echo "== $part -> $log"
  {
    load
    case "$part" in
      pick)
        for threads in 1 2; do
          java -jar "$jar" 'PickBenchmark|ArmeriaPickBenchmark|KeyHashBenchmark' -bm avgt -tu ns "${short[@]}" -t "$threads" -prof gc \
              -rf json -rff "$out/pick-t$threads.json"
          load
        done
        ;;
      update)
        java -jar "$jar" UpdateBenchmark "${short[@]}" -prof gc -rf json -rff "$out/update.json"
        ;;
      parse)
        java -jar "$jar" ParseBenchmark -f 1 -wi 3 -w 2s -i 5 -r 2s -prof gc -rf json -rff "$out/parse.json"
        ;;
      load)
        java -jar "$jar" LoadBenchmark -f 1 -wi 3 -i 5 -prof gc -rf json -rff "$out/load.json"
        ;;
      footprint)
        java -Xmx3g -cp "$jar" io.dyups.benchmarks.Footprint
        ;;
      visibility)
        java -cp "$jar" io.dyups.benchmarks.VisibilityProbe 20000
        ;;
      proxy)
        # Each part of the proxy benchmark on its own, so that no step holds the machine for long.
        for proxy_part in compare churn idle slow; do
          "$root/dyups-benchmarks/proxy-bench.sh" "$proxy_part"
        done
        ;;
      cluster)
        java -Xmx2g -cp "$jar" io.dyups.benchmarks.ClusterBenchmark propagation 10000
        load
        java -Xmx2g -cp "$jar" io.dyups.benchmarks.ClusterBenchmark throughput 10
        load
        java -Xmx4g -cp "$jar" io.dyups.benchmarks.ClusterBenchmark coldstart 100000
        load
        java -jar "$jar" 'ZooKeeperPickBenchmark|PickBenchmark.pick$' -p method=round_robin -bm avgt -tu ns "${short[@]}" \
            -prof gc -rf json -rff "$out/cluster-pick.json"
        ;;
      loadheap)
        java -Xmx4g -cp "$jar" io.dyups.benchmarks.LoadHeap 100000 4
        ;;
      *)
        echo "unknown part $part" >&2
        exit 1
        ;;
    esac
    load
  } 2>&1 | tee "$log" | grep -E '^(Benchmark|[A-Z][A-Za-z]+Benchmark\.)|load average|^==|^\$|Requests/sec|Latency|^ +(50|75|90|99)%|B/server|lag|seen|proxy check|check:|^\||^(dyups|nginx|admin|slow) |^(propagation|throughput|coldstart|load heap):' \
      | grep -v -E 'gc\.(count|time|alloc\.rate )|churn' || true
done
