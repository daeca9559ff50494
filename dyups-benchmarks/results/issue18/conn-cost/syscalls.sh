# syscalls.sh (run inside harness.sh): the system calls of the proxy's JVM (every thread, strace -c -f) and of
# nginx's worker during 3 s of MODE's load (as in cost.sh) after a 5 s warm-up, with the connections made meanwhile,
# as counted by wrk (client: one per request) or by the socket() calls (backend).
hdr=(); [ "${MODE:-client}" = client ] && hdr=(-H "Connection: close")
out=${OUT:?}; mkdir -p "$out"
for who in dyups nginx; do
  if [ $who = dyups ]; then url=$DYUPS_URL; pid=$DYUPS_PID; f=-f; else url=$NGINX_URL; pid=$NGINX_WORKER; f=; fi
  wrk -t2 -c2 -d5s -H "Host: bench" "${hdr[@]}" $url >/dev/null
  ( sleep 1; timeout -s INT 3 strace -c $f -p $pid -o "$out/strace-$who.txt" 2>/dev/null ) &
  wrk -t2 -c2 -d5s -H "Host: bench" "${hdr[@]}" $url | grep Requests/sec | sed "s/^/$who /"; wait
done
