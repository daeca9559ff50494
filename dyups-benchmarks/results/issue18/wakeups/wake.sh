# wake.sh (run inside harness.sh): who runs, sleeps and is woken per request at 2 connections, dyups and nginx
# alternating over ROUNDS rounds of DUR after a warm-up of each. Per round: wrk's RESULT line, then every thread of
# the proxy (dyups: its whole JVM; nginx: its worker) and of the backends that ran, per request (threads.py), then
# the kernel's own count of io_uring and scheduler events in the proxy's threads (perf stat on tracepoints:
# io_uring_queue_async_work is a request handed to an io-wq worker thread; poll_arm a receive or send that found
# nothing to do and waits on the socket; task_add the socket's readiness queued as work for the loop's thread).
here=$(cd "$(dirname "$0")" && pwd)
dur=${DUR:-6s}; rounds=${ROUNDS:-3}; out=${OUT:-/tmp/w18/wake}; mkdir -p "$out"
bpid=$(pgrep -f "nginx.*backends" | head -1); bw=$(pgrep -P "$bpid" | head -1)
ev=io_uring:io_uring_queue_async_work,io_uring:io_uring_submit_req,io_uring:io_uring_poll_arm,io_uring:io_uring_task_add,io_uring:io_uring_task_work_run,io_uring:io_uring_cqring_wait,sched:sched_switch,sched:sched_wakeup,sched:sched_waking
one() {  # label url pid round
  local f="$out/$1-$4" r n
  python3 "$here/threads.py" snap $3 $bw > "$f.before"
  perf stat -x, -e "$ev" -p "$3" -o "$f.perf" -- sleep ${dur%s} 2>/dev/null &
  local pp=$!
  r=$(wrk -t2 -c2 -d"$dur" -s "$here/lat2.lua" -H "Host: bench" "$2" | grep RESULT)
  python3 "$here/threads.py" snap $3 $bw > "$f.after"
  wait $pp
  n=$(sed 's/.*requests=\([0-9]*\).*/\1/' <<<"$r")
  echo "== ${LABEL:-} $1 round $4: $r (load $(cut -d' ' -f1 /proc/loadavg))"
  python3 "$here/threads.py" diff "$f.before" "$f.after" "$n"
  awk -F, -v n="$n" '/^[0-9]/ { printf "  %-36s %10d  %.3f per request\n", $3, $1, $1 / n }' "$f.perf"
}
wrk -t2 -c2 -d${WARM:-10s} -H "Host: bench" $DYUPS_URL >/dev/null
wrk -t2 -c2 -d${WARM:-10s} -H "Host: bench" $NGINX_URL >/dev/null
for i in $(seq $rounds); do
  if [ $((i % 2)) = 1 ]; then one dyups $DYUPS_URL $DYUPS_PID $i; one nginx $NGINX_URL $NGINX_WORKER $i
  else one nginx $NGINX_URL $NGINX_WORKER $i; one dyups $DYUPS_URL $DYUPS_PID $i; fi
done
