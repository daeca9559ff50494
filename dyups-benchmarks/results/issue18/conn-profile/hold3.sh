#!/usr/bin/env bash
# hold3.sh (run under cpu-run bench): base and c1 A B B A, first the event loop's bytes per request with client
# connections renewed by the proxy (alloc.sh), then the standard 2-connection command (proxy-bench.sh compare).
here=$(cd "$(dirname "$0")" && pwd); out=${OUT:?}
h=$here/../conn-cost/harness.sh
i=0
for jar in $BASE $C1 $C1 $BASE; do
  i=$((i+1)); PROXY_JAR=$jar LABEL=$i-$(basename $jar .jar) MODE=renew HTTP_EXTRA="keepalive_requests 1;" bash $h bash $here/alloc.sh >> $out/alloc-renew-abba.txt 2>&1
done
i=0
for jar in $BASE $C1 $C1 $BASE; do
  i=$((i+1))
  PROXY_JAR=$jar WARMUP=10s WORKERS=1 CONNECTIONS=2 ROUNDS=3 DURATION=8s bash $here/../../../proxy-bench.sh compare > $out/std-$i-$(basename $jar .jar).txt 2>&1
done
