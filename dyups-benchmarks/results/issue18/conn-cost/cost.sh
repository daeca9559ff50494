# cost.sh (run inside harness.sh): what a new connection costs each proxy, 2 connections, alternating dyups and
# nginx, ROUNDS rounds of DUR each after a warm-up of each. MODE=client: wrk sends "Connection: close" (a new
# client connection per request; backends kept alive); MODE=backend: clients kept alive, the upstream has
# keepalive_requests 1 (UP_EXTRA; a new backend connection per request). Per request: requests/s, latency,
# the proxy's CPU time (dyups: the whole JVM; nginx: its worker) and the JIT's CPU time during the round.
here=$(cd "$(dirname "$0")" && pwd)
dur=${DUR:-6s}; rounds=${ROUNDS:-3}
hdr=(); [ "${MODE:-client}" = client ] && hdr=(-H "Connection: close")
ticks() { awk '{print $14+$15}' /proc/$1/stat; }
jit() { local s=0 t; for t in /proc/$DYUPS_PID/task/*; do case "$(cat $t/comm)" in C1*|C2*) s=$((s+$(awk '{print $14+$15}' $t/stat)));; esac; done; echo $s; }
one() {  # label url pid
  local j0 c0 r j1 c1 n
  j0=$(jit); c0=$(ticks $3)
  r=$(wrk -t2 -c2 -d"$dur" -s "$here/lat2.lua" -H "Host: bench" "${hdr[@]}" "$2" | grep RESULT)
  c1=$(ticks $3); j1=$(jit)
  n=$(sed 's/.*rps=\([0-9]*\).*/\1/' <<<"$r")
  echo "${LABEL:-} ${MODE:-client} $1 $r cpu_us=$(awk -v t=$((c1-c0)) -v n=$n -v d=${dur%s} 'BEGIN{printf "%.1f", t*10000/(n*d)}') jit_ms=$(( (j1-j0)*10 )) (load $(cut -d' ' -f1 /proc/loadavg))"
}
wrk -t2 -c2 -d${WARM:-10s} -H "Host: bench" "${hdr[@]}" $DYUPS_URL >/dev/null
wrk -t2 -c2 -d${WARM:-10s} -H "Host: bench" "${hdr[@]}" $NGINX_URL >/dev/null
for i in $(seq $rounds); do
  if [ $((i % 2)) = 1 ]; then one dyups $DYUPS_URL $DYUPS_PID; one nginx $NGINX_URL $NGINX_WORKER
  else one nginx $NGINX_URL $NGINX_WORKER; one dyups $DYUPS_URL $DYUPS_PID; fi
done
