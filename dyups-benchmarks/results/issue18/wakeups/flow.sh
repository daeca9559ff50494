# flow.sh (run inside harness.sh): each request's way through the dyups proxy's ring, at 2 connections after a
# warm-up: perf record of the loop's io_uring submissions and completions for REC seconds in the middle of a wrk
# run; flow.py splits each request's time in the proxy into its steps.
here=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-/tmp/w18/flow}; mkdir -p "$out"; rec=${REC:-2}
wrk -t2 -c2 -d${WARM:-10s} -H "Host: bench" $DYUPS_URL >/dev/null
for i in $(seq ${ROUNDS:-1}); do
  # the record spans the whole wrk run (WHOLE=1) or REC seconds in its middle
  if [ "${WHOLE:-0}" = 1 ]; then
    perf record -q -e io_uring:io_uring_submit_req,io_uring:io_uring_complete -p "$DYUPS_PID" -o "$out/dyups-$i.data" -- sleep $((rec + 1)) > /dev/null 2>&1 &
    w=$!; sleep 0.5
    wrk -t2 -c2 -d${rec}s -s "$here/lat2.lua" -H "Host: bench" "$DYUPS_URL" > "$out/dyups-$i.wrk"
  else
    wrk -t2 -c2 -d$((rec + 3))s -s "$here/lat2.lua" -H "Host: bench" "$DYUPS_URL" > "$out/dyups-$i.wrk" &
    w=$!; sleep 1.5
    perf record -q -e io_uring:io_uring_submit_req,io_uring:io_uring_complete,sched:sched_waking,sched:sched_switch -a -o "$out/dyups-$i.data" -- sleep "$rec" > /dev/null 2>&1
  fi
  wait $w
  echo "== ${LABEL:-} dyups round $i: $(grep RESULT "$out/dyups-$i.wrk") (load $(cut -d' ' -f1 /proc/loadavg))"
  perf script -i "$out/dyups-$i.data" -F tid,cpu,time,event,trace > "$out/dyups-$i.script" 2>/dev/null
  python3 "$here/flow.py" "$out/dyups-$i.script"
done
