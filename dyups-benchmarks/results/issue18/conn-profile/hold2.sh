#!/usr/bin/env bash
# hold2.sh: the second hold of this session (run under cpu-run bench): base and c1 side by side (pair.sh), client
# connections renewed by the proxy (keepalive_requests 1), 8 rounds, then the same with the slots swapped; then a
# CPU profile of c1 under the profile's load (prof.sh).
here=$(cd "$(dirname "$0")" && pwd); out=${OUT:?}
h=$here/../conn-cost/harness.sh
export MODE=renew HTTP_EXTRA="keepalive_requests 1;" WARM=20s ROUNDS=8 DUR=6s
PROXY_JAR=$BASE LABEL=pair1 bash $h bash $here/pair.sh $BASE $C1 > $out/pair-renew-base-c1.txt 2>&1
PROXY_JAR=$C1 LABEL=pair2 bash $h bash $here/pair.sh $C1 $BASE > $out/pair-renew-c1-base.txt 2>&1
unset MODE WARM ROUNDS DUR
PROXY_JAR=$C1 UP_EXTRA="keepalive_requests 1;" OUT=$out/prof-c1.collapsed WARM=30s DUR=10s bash $h bash $here/prof.sh > $out/prof-c1.log 2>&1
