# cycle.sh (run inside harness.sh): each client connection's cycle, taken inside the proxy and not by wrk, dyups
# and nginx alternating over ROUNDS rounds of DUR seconds after a warm-up of each: the time from one answer handed
# to the kernel to the next on the same connection (wrk's latency for the next request plus wrk's own turn-around),
# without wrk's correction. dyups: the loop's io_uring WRITEV submissions (perf record of io_uring_submit_req);
# nginx: its worker's writev calls (syscalls:sys_enter_writev/sys_exit_writev; those to a backend are told apart by
# their size). cycle.py prints the distribution beside wrk's own, corrected, percentiles.
here=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-/tmp/w18/cycle}; mkdir -p "$out"; dur=${DUR:-5}
one() {  # label url pid round events
  perf record -q -e "$5" -p "$3" -o "$out/$1-$4.data" -- sleep $((dur + 1)) > /dev/null 2>&1 &
  local p=$!; sleep 0.5
  wrk -t2 -c2 -d${dur}s -s "$here/lat2.lua" -H "Host: bench" "$2" > "$out/$1-$4.wrk"
  wait $p
  echo "== ${LABEL:-} $1 round $4: $(grep RESULT "$out/$1-$4.wrk") (load $(cut -d' ' -f1 /proc/loadavg))"
  perf script -i "$out/$1-$4.data" -F tid,time,event,trace > "$out/$1-$4.script" 2>/dev/null
  python3 "$here/cycle.py" "$out/$1-$4.script"
}
wrk -t2 -c2 -d${WARM:-10s} -H "Host: bench" $DYUPS_URL >/dev/null
wrk -t2 -c2 -d${WARM:-10s} -H "Host: bench" $NGINX_URL >/dev/null
du=io_uring:io_uring_submit_req; ng=syscalls:sys_enter_writev,syscalls:sys_exit_writev
for i in $(seq ${ROUNDS:-2}); do
  if [ $((i % 2)) = 1 ]; then one dyups $DYUPS_URL $DYUPS_PID $i $du; one nginx $NGINX_URL $NGINX_WORKER $i $ng
  else one nginx $NGINX_URL $NGINX_WORKER $i $ng; one dyups $DYUPS_URL $DYUPS_PID $i $du; fi
done
