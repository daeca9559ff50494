# prof.sh (run inside ../conn-cost/harness.sh with HTTP_EXTRA="keepalive_requests 1;" UP_EXTRA="keepalive_requests 1;"):
# a CPU profile of the proxy while every request renews a client connection (the close the proxy decides after its
# answer, a lingering close, as at keepalive_requests 1000) and a backend connection. WARM of wrk first (the JIT
# needs more than 10 s of this load, fourth session), then async-profiler 4.2 (event=cpu, interval=1ms) for DUR.
# OUT=file for the collapsed stacks.
here=$(cd "$(dirname "$0")" && pwd)
ap=${AP:-/work/notes/ap/linux-x64/libasyncProfiler.so}
out=${OUT:?}
run() { wrk -t2 -c2 -d"$1" -s "$here/../conn-cost/lat2.lua" -H "Host: bench" "$DYUPS_URL" | grep RESULT; }
run ${WARM:-30s} | sed 's/^/warm /'
java $here/../conn-cost/Attach.java $DYUPS_PID $ap "start,event=cpu,interval=1ms,file=$out" >/dev/null
run ${DUR:-10s} | sed 's/^/cpu-profiled /'
java $here/../conn-cost/Attach.java $DYUPS_PID $ap "stop,file=$out,collapsed" >/dev/null
