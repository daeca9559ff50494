#!/usr/bin/env bash
# Issue 16's ratio: PickBenchmark.pickReported (a pick whose request reports its status, times and bytes) divided by
# PickBenchmark.pick, for round robin, random and least_conn. On a shared machine the speed of a core drifts by more
# than the difference measured, from minute to minute, so the two are taken in pairs, one JMH fork each, one right
# after the other, in ABBA order (pick first in odd rounds, pickReported first in even ones); each round gives a ratio,
# and the ratios are averaged with a 95% Student interval. JMH JSON for each run goes to OUT.
#
# Usage: dyups-benchmarks/pick-reported.sh [rounds] [jar] [out]   (defaults: 8, the module's benchmarks.jar,
#        dyups-benchmarks/target/results/pick-reported). About 40 s per round. Build first: mvn -B -DskipTests package
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
rounds=${1:-8}
jar=${2:-"$root/dyups-benchmarks/target/benchmarks.jar"}
out=${3:-"$root/dyups-benchmarks/target/results/pick-reported"}
[ -f "$jar" ] || { echo "missing $jar: run mvn -B -DskipTests package first" >&2; exit 1; }
mkdir -p "$out"

run() {
  java -jar "$jar" "^io.dyups.benchmarks.PickBenchmark.$1\$" -p method=round_robin,random,least_conn \
    -bm avgt -tu ns -f 1 -wi 3 -w 1s -i 3 -r 1s -t 1 -prof gc -rf json -rff "$out/$2-$1.json" > "$out/$2-$1.txt" 2>&1
}

for r in $(seq 1 "$rounds"); do
  if [ $((r % 2)) = 1 ]; then run pick "$r"; run pickReported "$r"; else run pickReported "$r"; run pick "$r"; fi
  echo "# round $r $(date -u +%FT%TZ) load average: $(cut -d' ' -f1-3 /proc/loadavg)"
done

python3 - "$out" <<'PY'
import glob, json, math, os, statistics, sys

# Two-sided 95% Student t quantiles by degrees of freedom.
T95 = {1: 12.71, 2: 4.30, 3: 3.18, 4: 2.78, 5: 2.57, 6: 2.45, 7: 2.36, 8: 2.31, 9: 2.26, 10: 2.23, 11: 2.20,
       12: 2.18, 13: 2.16, 14: 2.14, 15: 2.13}
runs = {}
for path in glob.glob(os.path.join(sys.argv[1], '*-pick*.json')):
    round_, benchmark = os.path.basename(path)[:-len('.json')].split('-')
    for result in json.load(open(path)):
        alloc = result['secondaryMetrics'].get('gc.alloc.rate.norm', {}).get('score', float('nan'))
        runs.setdefault(result['params']['method'], {}).setdefault(int(round_), {})[benchmark] = (
            result['primaryMetric']['score'], alloc)
print('method        rounds   pick ns   reported ns   reported / pick (95%)   per round                      B/op')
for method in ('round_robin', 'random', 'least_conn'):
    pairs = [r for r in runs.get(method, {}).values() if 'pick' in r and 'pickReported' in r]
    if not pairs:
        continue
    ratios = [r['pickReported'][0] / r['pick'][0] for r in pairs]
    n = len(ratios)
    half = T95.get(n - 1, 1.96) * statistics.stdev(ratios) / math.sqrt(n) if n > 1 else float('nan')
    print(f"{method:12s} {n:7d} {statistics.mean(r['pick'][0] for r in pairs):9.2f} "
          f"{statistics.mean(r['pickReported'][0] for r in pairs):13.2f}   {statistics.mean(ratios):.3f} ± {half:.3f}"
          f"          {min(ratios):.2f}-{max(ratios):.2f} (median {statistics.median(ratios):.3f})"
          f"   {max(r['pickReported'][1] for r in pairs):.4f}")
PY
