#!/usr/bin/env bash
# abba.sh A.jar B.jar OUT: in one hold of the CPU lock (run it under cpu-run bench), ../conn-cost/cost.sh in
# ../conn-cost/harness.sh with the jars A B B A, each against nginx beside it. MODE and the nginx-side extras come
# from the environment, as cost.sh and harness.sh take them: client renewals decided by the proxy are
# MODE=renew HTTP_EXTRA="keepalive_requests 1;", backend renewals MODE=backend UP_EXTRA="keepalive_requests 1;".
here=$(cd "$(dirname "$0")" && pwd)
a=$1; b=$2; out=$3
i=0
for jar in "$a" "$b" "$b" "$a"; do
  i=$((i+1))
  echo "== run $i $(basename "$jar") $(date -u +%H:%M:%S)" >> "$out"
  PROXY_JAR=$jar LABEL="$i-$(basename "$jar" .jar)" bash "$here/../conn-cost/harness.sh" bash "$here/../conn-cost/cost.sh" >> "$out" 2>&1
done
