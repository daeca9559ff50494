# profile.sh (run inside harness.sh): what one connection costs dyups, measured after a 10 s warm-up of the same
# load (MODE as in cost.sh, or keepalive: neither renewed). OUT=directory for the profiles; STRACE=0: no strace.
#  - bytes allocated by the event loop per request (jcmd Thread.print -e: the thread's allocated= counter)
#  - allocation profile (async-profiler, event=alloc, total bytes) and CPU profile (event=cpu, 1 ms)
#  - system calls of the loop thread and of nginx's worker per request (strace -c, 3 s)
here=$(cd "$(dirname "$0")" && pwd)
out=${OUT:?}; mkdir -p "$out"
ap=/tmp/c18/ap/linux-x64/libasyncProfiler.so
hdr=(); [ "${MODE:-client}" = client ] && hdr=(-H "Connection: close")
loop_tid=$(for t in /proc/$DYUPS_PID/task/*; do [ "$(cat $t/comm)" = dyups-loop-1-1 ] && basename $t; done)
[ -n "$loop_tid" ] || loop_tid=$(for t in /proc/$DYUPS_PID/task/*; do case "$(cat $t/comm)" in dyups-loop*) basename $t; break;; esac; done)
echo "loop thread $loop_tid ($(cat /proc/$DYUPS_PID/task/$loop_tid/comm))"
# allocated= is printed with a unit (B, K, M): turned into bytes.
alloc() { jcmd $DYUPS_PID Thread.print -e | grep '"dyups-loop-' | head -1 | sed 's/.*allocated=\([0-9]*[BKMG]\).*/\1/' |
  awk '{ n = $0 + 0; u = substr($0, length($0)); print n * (u == "K" ? 1024 : u == "M" ? 1048576 : u == "G" ? 1073741824 : 1) }'; }
run() { wrk -t2 -c2 -d"$1" -s "$here/lat2.lua" -H "Host: bench" "${hdr[@]}" "$2" | grep RESULT; }
wrk -t2 -c2 -d10s -H "Host: bench" "${hdr[@]}" $DYUPS_URL >/dev/null
wrk -t2 -c2 -d10s -H "Host: bench" "${hdr[@]}" $NGINX_URL >/dev/null
a0=$(alloc); r=$(run 6s $DYUPS_URL); a1=$(alloc)
n=$(awk -v r="$(sed 's/.*rps=\([0-9]*\).*/\1/' <<<"$r")" 'BEGIN{print r*6}')
echo "${MODE:-client} dyups $r loop_alloc_bytes_per_request=$(( (a1-a0)/n ))"
java $here/Attach.java $DYUPS_PID $ap "start,event=alloc,total,file=$out/alloc.collapsed" >/dev/null
run 6s $DYUPS_URL | sed 's/^/alloc-profiled /'
java $here/Attach.java $DYUPS_PID $ap "stop,file=$out/alloc.collapsed,collapsed,total" >/dev/null
java $here/Attach.java $DYUPS_PID $ap "start,event=cpu,interval=1ms,file=$out/cpu.collapsed" >/dev/null
run 6s $DYUPS_URL | sed 's/^/cpu-profiled /'
java $here/Attach.java $DYUPS_PID $ap "stop,file=$out/cpu.collapsed,collapsed" >/dev/null
[ "${STRACE:-1}" = 1 ] || exit 0
( sleep 1; timeout -s INT 3 strace -c -f -p $loop_tid -o "$out/strace-dyups-loop.txt" ) &
r=$(run 5s $DYUPS_URL); wait; echo "strace dyups $r"
( sleep 1; timeout -s INT 3 strace -c -p $NGINX_WORKER -o "$out/strace-nginx-worker.txt" ) &
r=$(run 5s $NGINX_URL); wait; echo "strace nginx $r"
( sleep 1; timeout -s INT 3 strace -f -tt -p $loop_tid -o "$out/strace-dyups-loop-calls.txt" ) &
run 5s $DYUPS_URL >/dev/null; wait
( sleep 1; timeout -s INT 3 strace -tt -p $NGINX_WORKER -o "$out/strace-nginx-worker-calls.txt" ) &
run 5s $NGINX_URL >/dev/null; wait
