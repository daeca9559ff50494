# sched.sh (run inside harness.sh): the scheduler's view of one 2-connection round of each proxy, after a warm-up
# of each: perf sched record of the whole machine for REC seconds in the middle of a wrk run, then perf sched
# timehist, from which schedlat.py takes, for the proxy's loop thread (nginx: its worker), how long each time it
# was made runnable it waited for a core (sch delay), and what ran on the cores meanwhile.
here=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-/tmp/w18/sched}; mkdir -p "$out"; rec=${REC:-3}
loop_tid() { for t in /proc/$DYUPS_PID/task/*; do case "$(cat $t/comm)" in dyups-loop-*) basename $t;; esac; done | head -1; }
one() {  # label url tid round
  wrk -t2 -c2 -d$((rec + 3))s -s "$here/lat2.lua" -H "Host: bench" "$2" > "$out/$1-$4.wrk" &
  local w=$!
  sleep 1.5
  perf sched record -a -o "$out/$1-$4.data" -- sleep "$rec" > /dev/null 2>&1
  wait $w
  echo "== ${LABEL:-} $1 round $4: $(grep RESULT "$out/$1-$4.wrk") (load $(cut -d' ' -f1 /proc/loadavg))"
  perf sched timehist -i "$out/$1-$4.data" > "$out/$1-$4.timehist" 2>/dev/null
  python3 "$here/schedlat.py" "$out/$1-$4.timehist" "$3"
}
wrk -t2 -c2 -d${WARM:-10s} -H "Host: bench" $DYUPS_URL >/dev/null
wrk -t2 -c2 -d${WARM:-10s} -H "Host: bench" $NGINX_URL >/dev/null
LOOP=$(loop_tid)
for i in $(seq ${ROUNDS:-2}); do
  if [ $((i % 2)) = 1 ]; then one dyups $DYUPS_URL $LOOP $i; one nginx $NGINX_URL $NGINX_WORKER $i
  else one nginx $NGINX_URL $NGINX_WORKER $i; one dyups $DYUPS_URL $LOOP $i; fi
done
