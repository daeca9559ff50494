# alloc.sh (run inside ../conn-cost/harness.sh, MODE as cost.sh takes it): bytes the proxy's event loop allocates per
# request (its thread's allocated= counter, jcmd Thread.print -e), three 6 s runs after a WARM of the same load; a
# count, not a time, so it does not move with the machine's other work.
here=$(cd "$(dirname "$0")" && pwd)
hdr=(); [ "${MODE:-client}" = client ] && hdr=(-H "Connection: close")
alloc() { jcmd $DYUPS_PID Thread.print -e | grep '"dyups-loop-' | head -1 | sed 's/.*allocated=\([0-9.]*[BKMG]\).*/\1/' |
  awk '{ n = $0 + 0; u = substr($0, length($0)); printf "%.0f\n", n * (u == "K" ? 1024 : u == "M" ? 1048576 : u == "G" ? 1073741824 : 1) }'; }
run() { wrk -t2 -c2 -d"$1" -s "$here/../conn-cost/lat2.lua" -H "Host: bench" "${hdr[@]}" "$DYUPS_URL" | grep RESULT; }
run ${WARM:-20s} >/dev/null
for i in 1 2 3; do
  a0=$(alloc); r=$(run 6s); a1=$(alloc)
  n=$(awk -v r="$(sed 's/.*rps=\([0-9]*\).*/\1/' <<<"$r")" 'BEGIN{print r*6}')
  echo "${LABEL:-} ${MODE:-client} $r loop_alloc_bytes_per_request=$(awk -v d=$((a1-a0)) -v n=$n 'BEGIN{printf "%.0f", d/n}')"
done
