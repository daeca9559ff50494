#!/usr/bin/env bash
# The example proxy beside nginx 1.22.1, in one run, on the same backends, driven by the same wrk commands.
#
#   backends  one nginx process (worker_processes 1) serving `return 200` on two ports: as fast as a backend gets,
#             and the same for both proxies
#   dyups     dyups-examples/target/dyups-proxy.jar, worker_processes W (W event loops), upstream `bench` of the two
#             backends with `keepalive 64` POSTed through its admin interface, proxy_http_version 1.1 and
#             proxy_set_header Connection "" (nginx's keepalive recipe, which the proxy follows as nginx does)
#   nginx     nginx with worker_processes W and the same upstream, keepalive and directives
#   nginx-nk  nginx without upstream keepalive (nginx's defaults): a second reference only
#
# Both proxies write the access log in nginx's combined format, buffered (buffer=64k flush=1s). Rounds alternate
# the order of dyups and nginx; each measurement is `wrk -t2 -cC -dD` with a Lua script that prints requests/s and
# p50/p99/p99.9 (wrk's --latency stops at p99), beside the proxy's CPU time per request meanwhile (user + system of
# its processes, from /proc: what each proxy costs the shared cores; the raw lines split it into user and system
# time, the proxy's own code and the kernel's work on its behalf), the time its threads waited for a core per
# request (schedstat) and its context switches per request, voluntary and involuntary; for dyups also the CPU time
# of the JVM's compiler threads during the measurement (jit_ms: the JIT still at work). Parts (all by default):
#
#   compare   requests/s and latency at 2, 50 and 1000 connections, ROUNDS rounds
#   churn     an upstream replaced 20 times a second through the admin interface during a 50-connection run
#   idle      RSS with 10 000 idle keep-alive clients (each sent one request), dyups and nginx
#   slow      10 000 slow clients (a header line every 10 s) on the traffic port: p99 of the admin interface and of
#             fresh traffic meanwhile
#   close     (not in the default set) what a new client connection costs: wrk sends `Connection: close`, so each
#             request comes on a new connection (the backends stay kept alive), at CLOSE_CONNECTIONS (default 2),
#             ROUNDS rounds alternating dyups and nginx after a WARMUP of each; requests/s is connections/s and the
#             CPU per request is what a connection and its one request cost each proxy
#   tls       (not in the default set) TLS on each side, at TLS_CONNECTIONS (default "2 50"), ROUNDS rounds:
#             tls-client: wrk over https to `listen ... ssl` (the same certificate, protocols and ciphers' defaults
#             on both), proxied to the plain backends; tls-backend: wrk over http, proxied with `proxy_pass
#             https://benchtls` to the backends' TLS ports (keepalive 64, proxy_ssl_session_reuse on: the default
#             of both). Certificates are made with openssl for the run.
#
# Usage: dyups-benchmarks/proxy-bench.sh [part...]     (env: DURATION=10s ROUNDS=3 WORKERS=2 CONNECTIONS="2 50 1000"
#        WARMUP=5s: each target's warm-up at each connection count before the rounds
#        PROXY_JAR=another build of dyups-proxy.jar to measure
#        PROXY_JAVA_OPTS=JVM options of the proxy, e.g. -Ddyups.transport=epoll (default: io_uring where available)
#        PROXY_GC_OPTS=the proxy's collector (default "-XX:+UseSerialGC -Xmn64m", README's recommendation for the
#        example proxy: young collections of under a millisecond on one core, where G1's default pauses of 4-7 ms
#        took both cores; PROXY_GC_OPTS= measures the JVM's default G1; BENCHMARKS.md section 5, sixth session)
#        REUSEPORT=1: both proxies listen with `reuseport`, a socket per event loop or worker
#        RENEW_WARMUP=D (default 10s; RENEW_WARMUP=0 turns it off): before the compare part's warm-ups, D of wrk at
#        each connection count on a warm-up server of each proxy, dyups then nginx, where every request renews a
#        client connection and a backend connection (the server has keepalive_requests 1, its upstream `warm`, the
#        same two backends, has keepalive 64 and keepalive_requests 1). The measured rounds renew each side's
#        connections every 1 000 requests (keepalive_requests' default on both sides), about 30 times a second at 2
#        connections, too rarely for the standard warm-ups to bring that code to the JIT's last tier: without this
#        warm-up a JVM is measured while it still compiles the code that opens and closes connections, which a proxy
#        that has run for minutes has long compiled. This warm-up runs the same code (the close the proxy decides
#        after its answer, the backend connection made, pooled and closed) some thousands of times a second. Both
#        proxies get it, the same length; the measured server, upstream and directives are unchanged (the warm-up
#        server and upstream are configured in every run and idle when it is off). At 2 connections it takes the
#        JIT out of the rounds: dyups's p99 went from 1.62x to 1.21x nginx's, requests/s unchanged (BENCHMARKS.md
#        section 5, sessions of 2026-12-02, fourth, when it was an option off by default, and sixth)
#        JIT_FREEZE=1: once the compare part's warm-ups are over, the proxy's JIT compiles nothing more (a compiler
#        directive excluding every method, added with jcmd), so that its rounds measure the code the warm-ups made
#        without the JIT still at work; off by default: the standard figures are taken with the JIT running)
# Needs: java 17, python3, curl, wrk and nginx (installed with apt-get when missing); build first with
# `mvn -B -DskipTests package`; the tls part needs openssl. Run it under the machine's CPU lock: flock /tmp/dyups-cpu.lock dyups-benchmarks/...
set -euo pipefail

duration=${DURATION:-10s}
rounds=${ROUNDS:-3}
workers=${WORKERS:-2}
connections=${CONNECTIONS:-2 50 1000}
warmup=${WARMUP:-5s}
renew_warmup=${RENEW_WARMUP:-10s}
listen_options=""
[ "${REUSEPORT:-0}" = 1 ] && listen_options=" reuseport"
parts=${*:-compare churn idle slow}
root=$(cd "$(dirname "$0")/.." && pwd)
jar=${PROXY_JAR:-$root/dyups-examples/target/dyups-proxy.jar}
[ -f "$jar" ] || { echo "missing $jar: run mvn -B -DskipTests package first" >&2; exit 1; }
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; } >/dev/null
command -v nginx >/dev/null || { apt-get update -qq && apt-get install -y -qq nginx-light; } >/dev/null
command -v curl >/dev/null || { echo "curl is needed" >&2; exit 1; }
ulimit -n "$(ulimit -Hn)"

# Free ports: bind to port 0 and let the kernel choose (or BENCH_PORTS="p1 p2 ...": 7 ports).
if [ -n "${BENCH_PORTS:-}" ]; then
  read -r proxy_port admin_port backend1 backend2 nginx_port nginx_nk_port spare <<<"$BENCH_PORTS"
else
  read -r proxy_port admin_port backend1 backend2 nginx_port nginx_nk_port spare < <(python3 - <<'PY'
import socket
socks = [socket.socket() for _ in range(7)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
for s in socks:
    s.close()
PY
)
fi

# The TLS ports: the backends' two, and each proxy's `listen ... ssl` (or TLS_BENCH_PORTS="p1 p2 p3 p4").
if [ -n "${TLS_BENCH_PORTS:-}" ]; then
  read -r tls_backend1 tls_backend2 dyups_tls_port nginx_tls_port <<<"$TLS_BENCH_PORTS"
else
  read -r tls_backend1 tls_backend2 dyups_tls_port nginx_tls_port < <(python3 - <<'PY'
import socket
socks = [socket.socket() for _ in range(4)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
for s in socks:
    s.close()
PY
)
fi

prefix=$(mktemp -d /tmp/dyups-proxy-bench.XXXXXX)
results="$prefix/results.txt"
: > "$results"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$prefix"
}
trap cleanup EXIT INT TERM

nginx_conf() {  # name port extra-main upstream-and-server-body
  local dir="$prefix/$1"
  mkdir -p "$dir/conf" "$dir/logs" "$dir/temp"
  cat > "$dir/conf/nginx.conf" <<CONF
daemon off;
error_log logs/error.log;
pid logs/nginx.pid;
$3

events {
    worker_connections 30000;
}

http {
    client_body_temp_path temp/body;
    proxy_temp_path temp/proxy;
    fastcgi_temp_path temp/fastcgi;
    uwsgi_temp_path temp/uwsgi;
    scgi_temp_path temp/scgi;
$4
}
CONF
}

# The warm-up servers' ports (RENEW_WARMUP), dyups's and nginx's (or WARM_BENCH_PORTS="p1 p2").
if [ -n "${WARM_BENCH_PORTS:-}" ]; then
  read -r dyups_warm_port nginx_warm_port <<<"$WARM_BENCH_PORTS"
else
  read -r dyups_warm_port nginx_warm_port < <(python3 - <<'PY'
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
for s in socks:
    s.close()
PY
)
fi

# One RSA 2048 certificate for every TLS listener of the run (the backends' and both proxies').
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost -keyout "$prefix/key.pem" \
  -out "$prefix/cert.pem" 2>/dev/null
tls_certificate="ssl_certificate $prefix/cert.pem;
        ssl_certificate_key $prefix/key.pem;"

# The backends: one nginx, one worker, `return 200` on two ports (and the same two over TLS), long-lived keep-alive
# connections.
nginx_conf backends 0 "worker_processes 1;" "
    access_log off;
    keepalive_requests 1000000;
    server {
        listen 127.0.0.1:$backend1;
        location / { return 200 \"$backend1\n\"; }
    }
    server {
        listen 127.0.0.1:$backend2;
        location / { return 200 \"$backend2\n\"; }
    }
    server {
        listen 127.0.0.1:$tls_backend1 ssl;
        $tls_certificate
        ssl_session_cache shared:SSL:1m;
        location / { return 200 \"$tls_backend1\n\"; }
    }
    server {
        listen 127.0.0.1:$tls_backend2 ssl;
        $tls_certificate
        ssl_session_cache shared:SSL:1m;
        location / { return 200 \"$tls_backend2\n\"; }
    }"

proxy_directives='proxy_http_version 1.1;
        proxy_set_header Connection "";'
log_directive='access_log logs/access.log combined buffer=64k flush=1s;'

nginx_conf nginx 0 "worker_processes $workers;" "
    $log_directive
    upstream bench {
        server 127.0.0.1:$backend1;
        server 127.0.0.1:$backend2;
        keepalive 64;
    }
    upstream benchtls {
        server 127.0.0.1:$tls_backend1;
        server 127.0.0.1:$tls_backend2;
        keepalive 64;
    }
    upstream warm {
        server 127.0.0.1:$backend1;
        server 127.0.0.1:$backend2;
        keepalive 64;
        keepalive_requests 1;
    }
    server {
        listen 127.0.0.1:$nginx_warm_port;
        keepalive_requests 1;
        location / {
            proxy_pass http://warm;
            $proxy_directives
        }
    }
    server {
        listen 127.0.0.1:$nginx_port$listen_options;
        location / {
            proxy_pass http://bench;
            $proxy_directives
        }
        location /tls/ {
            proxy_pass https://benchtls;
            $proxy_directives
        }
    }
    server {
        listen 127.0.0.1:$nginx_tls_port ssl$listen_options;
        $tls_certificate
        ssl_session_cache shared:SSL:10m;
        location / {
            proxy_pass http://bench;
            $proxy_directives
        }
    }"

nginx_conf nginx-nk 0 "worker_processes $workers;" "
    $log_directive
    upstream bench {
        server 127.0.0.1:$backend1;
        server 127.0.0.1:$backend2;
    }
    server {
        listen 127.0.0.1:$nginx_nk_port$listen_options;
        location / {
            proxy_pass http://bench;
        }
    }"

mkdir -p "$prefix/dyups/conf" "$prefix/dyups/logs"
: > "$prefix/dyups/conf/upstream.conf"
cat > "$prefix/dyups/conf/nginx.conf" <<CONF
daemon off;
error_log logs/error.log notice;
worker_processes $workers;

events {
    worker_connections 30000;
}

http {
    dyups_upstream_conf upstream.conf;
    $log_directive

    server {
        listen 127.0.0.1:$proxy_port$listen_options;
        location / {
            proxy_pass http://\$host;
            $proxy_directives
        }
        location /tls/ {
            proxy_pass https://benchtls;
            $proxy_directives
        }
    }

    server {
        listen 127.0.0.1:$dyups_tls_port ssl$listen_options;
        $tls_certificate
        ssl_session_cache shared:SSL:10m;
        location / {
            proxy_pass http://\$host;
            $proxy_directives
        }
    }

    server {
        listen 127.0.0.1:$dyups_warm_port;
        keepalive_requests 1;
        location / {
            proxy_pass http://warm;
            $proxy_directives
        }
    }

    server {
        listen 127.0.0.1:$admin_port;
        location / {
            dyups_interface;
        }
    }
}
CONF

wait_for() {  # url pid log
  for _ in $(seq 1 100); do
    curl -fs -H 'Host: bench' "$1" >/dev/null 2>&1 && return 0
    kill -0 "$2" 2>/dev/null || { cat "$3" >&2; exit 1; }
    sleep 0.1
  done
  echo "no answer from $1" >&2
  cat "$3" >&2
  exit 1
}

nginx -p "$prefix/backends" -c conf/nginx.conf > "$prefix/backends/logs/stdout.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$backend1/" "${pids[-1]}" "$prefix/backends/logs/error.log"
java ${PROXY_GC_OPTS--XX:+UseSerialGC -Xmn64m} ${PROXY_JAVA_OPTS:-} -jar "$jar" -p "$prefix/dyups" > "$prefix/dyups/logs/stdout.log" 2>&1 &
dyups_pid=$!
pids+=($dyups_pid)
wait_for "http://127.0.0.1:$admin_port/list" "$dyups_pid" "$prefix/dyups/logs/stdout.log"
bench_upstream="server 127.0.0.1:$backend1;server 127.0.0.1:$backend2;keepalive 64;"
curl -fsS -X POST -d "$bench_upstream" "http://127.0.0.1:$admin_port/upstream/bench" >/dev/null
curl -fsS -X POST -d "server 127.0.0.1:$tls_backend1;server 127.0.0.1:$tls_backend2;keepalive 64;" \
  "http://127.0.0.1:$admin_port/upstream/benchtls" >/dev/null
curl -fsS -X POST -d "server 127.0.0.1:$backend1;server 127.0.0.1:$backend2;keepalive 64;keepalive_requests 1;" \
  "http://127.0.0.1:$admin_port/upstream/warm" >/dev/null
nginx -p "$prefix/nginx" -c conf/nginx.conf > "$prefix/nginx/logs/stdout.log" 2>&1 &
nginx_pid=$!
pids+=($nginx_pid)
wait_for "http://127.0.0.1:$nginx_port/" "$nginx_pid" "$prefix/nginx/logs/error.log"
nginx -p "$prefix/nginx-nk" -c conf/nginx.conf > "$prefix/nginx-nk/logs/stdout.log" 2>&1 &
nginx_nk_pid=$!
pids+=($nginx_nk_pid)
wait_for "http://127.0.0.1:$nginx_nk_port/" "$nginx_nk_pid" "$prefix/nginx-nk/logs/error.log"

declare -A url=(
  [dyups]="http://127.0.0.1:$proxy_port/"
  [nginx]="http://127.0.0.1:$nginx_port/"
  [nginx-nk]="http://127.0.0.1:$nginx_nk_port/"
  [dyups-warm]="http://127.0.0.1:$dyups_warm_port/"
  [nginx-warm]="http://127.0.0.1:$nginx_warm_port/"
  [dyups-tls-client]="https://127.0.0.1:$dyups_tls_port/"
  [nginx-tls-client]="https://127.0.0.1:$nginx_tls_port/"
  [dyups-tls-backend]="http://127.0.0.1:$proxy_port/tls/"
  [nginx-tls-backend]="http://127.0.0.1:$nginx_port/tls/")
check() { echo "$1 check: $(curl -kfsS -H 'Host: bench' "${url[$1]}") $(curl -kfsS -H 'Host: bench' "${url[$1]}")" | tr -d '\n'; echo; }
check dyups
check nginx
check nginx-nk
check dyups-warm
check nginx-warm

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(java -version 2>&1 | head -1)"
echo "wrk: $(wrk --version 2>&1 | head -1)"
echo "peer: $(nginx -v 2>&1); backends: nginx, 1 worker, return 200"
echo "dyups: $(grep -m1 'dyups proxy started' "$prefix/dyups/logs/error.log" | sed 's/.*: dyups proxy started, //'); JVM options: ${PROXY_GC_OPTS--XX:+UseSerialGC -Xmn64m} ${PROXY_JAVA_OPTS:-}"

cat > "$prefix/report.lua" <<'LUA'
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT requests=%d seconds=%.2f rps=%.1f p50=%d p99=%d p999=%d errors=%d non2xx=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9),
    e.connect + e.read + e.write + e.timeout, e.status))
end
LUA

cpu_ticks() {  # pids... -> "user system" CPU time of the processes so far, in clock ticks
  local user=0 system=0 pid
  for pid in "$@"; do
    read -r u s < <(awk '{print $14, $15}' "/proc/$pid/stat")
    user=$((user + u)); system=$((system + s))
  done
  echo "$user $system"
}
proxy_pids() {  # target -> the processes of the proxy that target measures (nginx: master and workers)
  case $1 in
    dyups*) echo "$dyups_pid" ;;
    nginx-nk) nginx_pids "$nginx_nk_pid" ;;
    nginx*) nginx_pids "$nginx_pid" ;;
  esac
}

# pids... -> "wait_ns voluntary involuntary" summed over every thread of the processes so far: the time their
# threads were runnable but waited for a core (the second field of /proc/PID/task/TID/schedstat, with
# CONFIG_SCHEDSTATS or schedstats=enable; 0 without), and their voluntary (blocked: waiting for I/O or a lock) and
# involuntary (preempted) context switches from each thread's status. A thread that ends during a measurement takes
# its counts with it: the JVM's event loops and nginx's workers live for the whole run.
sched_counts() {
  local pid wait switches
  # %.0f, not %d: mawk (Debian's awk) clamps %d to 2^31 - 1, and the JVM's threads have waited more nanoseconds than that.
  wait=$(for pid in "$@"; do cat /proc/"$pid"/task/*/schedstat 2>/dev/null; done | awk '{ w += $2 } END { printf "%.0f", w }')
  switches=$(for pid in "$@"; do cat /proc/"$pid"/task/*/status 2>/dev/null; done |
    awk '/^voluntary_ctxt_switches/ { v += $2 } /^nonvoluntary_ctxt_switches/ { n += $2 } END { printf "%.0f %.0f", v, n }')
  echo "$wait $switches"
}

# The CPU time of the JVM's JIT compiler threads (C1, C2) so far, in clock ticks. The fields are counted from the end
# of each stat line: a thread's name ("C2 CompilerThre") holds spaces.
jit_ticks() {
  cat /proc/"$dyups_pid"/task/*/stat 2>/dev/null |
    awk '/\((C1|C2) CompilerThre/ { t += $(NF - 38) + $(NF - 37) } END { printf "%.0f", t }'
}

# One measurement, and meanwhile per request: the proxy's CPU time (user + system, and each alone, from /proc),
# the time its threads waited for a core, and its context switches (voluntary, involuntary). The backends and wrk
# are not counted.
measure() {  # target connections [duration] -> appends "target connections RESULT... cpu_us=... wait_us=... vcs=... ivcs=..."
  local target=$1 c=$2 d=${3:-$duration}
  local line procs before after sched_before sched_after requests jit_before jit_after
  procs=$(proxy_pids "$target")
  jit_before=$(jit_ticks)
  before=$(cpu_ticks $procs)
  sched_before=$(sched_counts $procs)
  local how=(-H 'Host: bench')
  # dyups-close, nginx-close: the close part's measurements, a new connection per request.
  case $target in *-close) how+=(-H 'Connection: close') ;; esac
  line=$(wrk -t2 -c"$c" -d"$d" -s "$prefix/report.lua" "${how[@]}" "${url[${target%-close}]}" | grep '^RESULT')
  after=$(cpu_ticks $procs)
  sched_after=$(sched_counts $procs)
  jit_after=$(jit_ticks)
  requests=$(sed 's/.*requests=\([0-9]*\).*/\1/' <<<"$line")
  line="$line $(awk -v b="$before" -v a="$after" -v hz="$(getconf CLK_TCK)" -v r="$requests" \
    'BEGIN { split(b, x, " "); split(a, y, " "); u = y[1] - x[1]; s = y[2] - x[2]; k = (r > 0 ? 1e6 / hz / r : 0);
             printf "cpu_us=%.1f user_us=%.1f sys_us=%.1f", (u + s) * k, u * k, s * k }')"
  line="$line $(awk -v b="$sched_before" -v a="$sched_after" -v r="$requests" \
    'BEGIN { split(b, x, " "); split(a, y, " "); k = (r > 0 ? 1 / r : 0);
             printf "wait_us=%.2f vcs=%.3f ivcs=%.3f", (y[1] - x[1]) / 1000 * k, (y[2] - x[2]) * k, (y[3] - x[3]) * k }')"
  case $target in
    dyups*) line="$line jit_ms=$(( (jit_after - jit_before) * 1000 / $(getconf CLK_TCK) ))" ;;
  esac
  echo "$target $c $line (load $(cut -d' ' -f1 /proc/loadavg))" | tee -a "$results"
}

# Warm-up: at every connection count of the run, WARMUP each, so that the JIT has compiled what each count runs
# before a round of it is measured (a 2-connection round right after a 50-connection warm-up shared the cores
# with C2's compiler threads).
warm() {
  local c
  for c in $connections; do
    wrk -t"$((c < 2 ? 1 : 2))" -c"$c" -d"$warmup" -H 'Host: bench' "${url[$1]}" >/dev/null
  done
}

# RENEW_WARMUP: the warm-up server of the target, RENEW_WARMUP at each connection count (see the header).
renew_warm() {
  local c
  for c in $connections; do
    wrk -t"$((c < 2 ? 1 : 2))" -c"$c" -d"$renew_warmup" -s "$prefix/report.lua" -H 'Host: bench' "${url[$1-warm]}" |
      sed -n "s/^RESULT/$1 renewal warm-up $c: RESULT/p"
  done
}

rss_kb() {  # pids... -> total VmRSS in kB
  local total=0 pid
  for pid in "$@"; do
    total=$((total + $(awk '/VmRSS/ {print $2}' "/proc/$pid/status")))
  done
  echo "$total"
}
nginx_pids() { pgrep -P "$1" | tr '\n' ' '; echo "$1"; }

for part in $parts; do
  case $part in
  compare)
    echo
    echo "== compare: $rounds rounds, $duration each, connections: $connections"
    if [ "$renew_warmup" != 0 ] && [ "$renew_warmup" != 0s ]; then
      # First, so that the standard warm-ups after it leave the request path compiled with kept-alive traffic's
      # profile (a method compiled only from renewal traffic would meet untaken branches in the rounds).
      echo "renewal warm-up (RENEW_WARMUP=$renew_warmup): a new client and backend connection per request, each proxy"
      renew_warm dyups; renew_warm nginx
    fi
    warm dyups; warm nginx; warm dyups
    if [ "${JIT_FREEZE:-0}" = 1 ]; then
      printf '[ { match: "*.*", c1: { Exclude: true }, c2: { Exclude: true } } ]\n' > "$prefix/jit-freeze.json"
      jcmd "$dyups_pid" Compiler.directives_add "$prefix/jit-freeze.json" >/dev/null
      echo "JIT frozen after the warm-ups (JIT_FREEZE=1): the proxy compiles nothing more"
    fi
    for round in $(seq 1 "$rounds"); do
      for c in $connections; do
        if [ $((round % 2)) -eq 1 ]; then
          measure dyups "$c"; measure nginx "$c"
        else
          measure nginx "$c"; measure dyups "$c"
        fi
      done
    done
    for c in $connections; do
      measure nginx-nk "$c"
    done
    python3 - "$results" <<'PY'
import re, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    m = re.match(r"(\S+) (\d+) RESULT requests=(\d+) seconds=\S+ rps=([\d.]+) p50=(\d+) p99=(\d+) p999=(\d+) errors=(\d+) non2xx=(\d+)(?: cpu_us=([\d.]+))?(?: user_us=\S+ sys_us=\S+ wait_us=([\d.]+) vcs=([\d.]+) ivcs=([\d.]+))?", line)
    if m:
        t, c = m.group(1), int(m.group(2))
        rows.setdefault((t, c), []).append(tuple(float(x or 0) for x in m.groups()[3:]))
def med(t, c, i):
    return statistics.median(r[i] for r in rows[(t, c)])
def us(v):
    return f"{v/1000:.2f} ms" if v >= 1000 else f"{v:.0f} µs"
print()
print("| connections | target | requests/s (median of rounds) | p50 | p99 | p99.9 | errors, non-2xx | proxy CPU per request | wait for a core per request | context switches per request (voluntary, involuntary) | ÷ nginx: requests/s, p99, CPU per request |")
print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for c in sorted({c for _, c in rows}):
    for t in ("dyups", "nginx", "nginx-nk"):
        if (t, c) not in rows:
            continue
        rps, p50, p99, p999 = (med(t, c, i) for i in range(4))
        errs = sum(r[4] for r in rows[(t, c)]); non2xx = sum(r[5] for r in rows[(t, c)])
        ratio = ""
        if t == "dyups" and ("nginx", c) in rows:
            nginx_cpu = med('nginx', c, 6)
            ratio = (f"**{rps / med('nginx', c, 0):.2f}×**, {p99 / med('nginx', c, 2):.2f}×, "
                     + (f"{med(t, c, 6) / nginx_cpu:.2f}×" if nginx_cpu > 0 else "-"))
        label = {"dyups": "dyups proxy", "nginx": "nginx, upstream keepalive", "nginx-nk": "nginx without keepalive (second reference)"}[t]
        count = f"{rps:,.0f}".replace(",", " ")
        cpu = med(t, c, 6)
        wait, vcs, ivcs = (med(t, c, i) for i in (7, 8, 9))
        print(f"| {c} | {label} | {count} | {us(p50)} | {us(p99)} | {us(p999)} | {errs:.0f}, {non2xx:.0f} | {cpu:.1f} µs | {wait:.2f} µs | {vcs:.3f}, {ivcs:.3f} | {ratio} |")
PY
    ;;
  churn)
    echo
    echo "== churn: upstream bench replaced 20 times a second during a 50-connection run of $duration"
    python3 - "$admin_port" "$backend1" "$backend2" > "$prefix/churn.txt" <<'PY' &
import http.client, sys, time
port, b1, b2 = sys.argv[1], sys.argv[2], sys.argv[3]
defs = [f"server 127.0.0.1:{b1};server 127.0.0.1:{b2};keepalive 64;",
        f"server 127.0.0.1:{b2} weight=2;server 127.0.0.1:{b1};keepalive 64;"]
conn = http.client.HTTPConnection("127.0.0.1", int(port))
n = bad = 0
start = time.monotonic()
while True:
    conn.request("POST", "/upstream/bench", defs[n % 2])
    r = conn.getresponse(); r.read()
    n += 1
    bad += r.status != 200
    next_at = start + n / 20.0
    time.sleep(max(0.0, next_at - time.monotonic()))
    if n % 20 == 0:
        print(f"{n} {bad}", flush=True)
PY
    churn_pid=$!
    pids+=($churn_pid)
    measure dyups 50
    kill "$churn_pid"; wait "$churn_pid" 2>/dev/null || true
    echo "admin POSTs during the run: $(tail -1 "$prefix/churn.txt" | awk '{print $1 " (" $2 " not 200)"}')" | tee -a "$results"
    ;;
  idle)
    echo
    echo "== idle: RSS with 10 000 idle keep-alive clients (one request each, then quiet)"
    for target in dyups nginx; do
      if [ "$target" = dyups ]; then procs="$dyups_pid"; else procs=$(nginx_pids "$nginx_pid"); fi
      before=$(rss_kb $procs)
      python3 - "${url[$target]}" 10000 "$prefix/idle-$target.ready" <<'PY' &
import asyncio, sys, urllib.parse
u = urllib.parse.urlparse(sys.argv[1]); n = int(sys.argv[2]); ready = sys.argv[3]
async def client(held):
    r, w = await asyncio.open_connection(u.hostname, u.port)
    w.write(b"GET / HTTP/1.1\r\nHost: bench\r\n\r\n"); await w.drain()
    head = await r.readuntil(b"\r\n\r\n")
    length = int([l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")][0].split(b":")[1])
    await r.readexactly(length)
    held.append(w)
async def main():
    held = []
    sem = asyncio.Semaphore(200)
    async def one():
        async with sem:
            await client(held)
    await asyncio.gather(*(one() for _ in range(n)))
    open(ready, "w").write(str(len(held)))
    await asyncio.sleep(3600)
asyncio.run(main())
PY
      idle_pid=$!
      pids+=($idle_pid)
      for _ in $(seq 1 600); do [ -f "$prefix/idle-$target.ready" ] && break; sleep 0.1; done
      sleep 2
      during=$(rss_kb $procs)
      echo "$target idle clients=$(cat "$prefix/idle-$target.ready" 2>/dev/null || echo 0) rss_before_kb=$before rss_with_idle_kb=$during added_per_connection_bytes=$(( (during - before) * 1024 / 10000 ))" | tee -a "$results"
      kill "$idle_pid"; wait "$idle_pid" 2>/dev/null || true
      sleep 2
    done
    ;;
  slow)
    echo
    echo "== slow: 10 000 clients send a header line every 10 s to the traffic port; admin and fresh traffic meanwhile"
    python3 - "$proxy_port" 10000 "$prefix/slow.ready" <<'PY' &
import asyncio, sys
port = int(sys.argv[1]); n = int(sys.argv[2]); ready = sys.argv[3]
async def client(i, held):
    r, w = await asyncio.open_connection("127.0.0.1", port)
    w.write(b"GET / HTTP/1.1\r\nHost: bench\r\n"); await w.drain()
    held.append(w)
async def main():
    held = []
    sem = asyncio.Semaphore(500)
    async def one(i):
        async with sem:
            try:
                await client(i, held)
            except OSError:
                pass
    await asyncio.gather(*(one(i) for i in range(n)))
    open(ready, "w").write(str(len(held)))
    k = 0
    while True:
        await asyncio.sleep(10)
        for w in held:
            if not w.is_closing():
                w.write(b"X-Slow-%d: x\r\n" % k)
        k += 1
asyncio.run(main())
PY
    slow_pid=$!
    pids+=($slow_pid)
    for _ in $(seq 1 600); do [ -f "$prefix/slow.ready" ] && break; sleep 0.1; done
    echo "slow clients connected: $(cat "$prefix/slow.ready" 2>/dev/null || echo 0)" | tee -a "$results"
    python3 - "$admin_port" > "$prefix/admin-latency.txt" <<'PY' &
import http.client, sys, time
conn = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
times = []; bad = 0
end = time.monotonic() + 10
while time.monotonic() < end:
    t = time.perf_counter()
    conn.request("GET", "/list"); r = conn.getresponse(); r.read()
    times.append(time.perf_counter() - t); bad += r.status != 200
    time.sleep(0.005)
times.sort()
pick = lambda q: times[min(len(times) - 1, int(q * len(times)))] * 1e6
print(f"admin GET /list: {len(times)} requests, {bad} not 200, p50={pick(0.5):.0f}us p99={pick(0.99):.0f}us")
PY
    admin_probe=$!
    measure dyups 10 10s
    wait "$admin_probe" || true
    tee -a "$results" < "$prefix/admin-latency.txt"
    echo "slow clients still open after the run: $(ls /proc/$dyups_pid/fd | wc -l) descriptors in the proxy" | tee -a "$results"
    kill "$slow_pid"; wait "$slow_pid" 2>/dev/null || true
    ;;
  close)
    echo
    echo "== close: a new client connection per request (Connection: close), $rounds rounds, $duration each, connections: ${CLOSE_CONNECTIONS:-2}"
    for t in dyups nginx; do
      for c in ${CLOSE_CONNECTIONS:-2}; do
        wrk -t"$((c < 2 ? 1 : 2))" -c"$c" -d"$warmup" -H 'Host: bench' -H 'Connection: close' "${url[$t]}" >/dev/null
      done
    done
    for round in $(seq 1 "$rounds"); do
      for c in ${CLOSE_CONNECTIONS:-2}; do
        if [ $((round % 2)) -eq 1 ]; then
          measure dyups-close "$c"; measure nginx-close "$c"
        else
          measure nginx-close "$c"; measure dyups-close "$c"
        fi
      done
    done
    python3 - "$results" <<'PY'
import re, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    m = re.match(r"(dyups|nginx)-close (\d+) RESULT requests=\d+ seconds=\S+ rps=([\d.]+) p50=(\d+) p99=(\d+) p999=(\d+) errors=(\d+) non2xx=(\d+) cpu_us=([\d.]+)", line)
    if m:
        rows.setdefault((m.group(1), int(m.group(2))), []).append(tuple(float(x) for x in m.groups()[2:]))
def med(k, i):
    return statistics.median(r[i] for r in rows[k])
def us(v):
    return f"{v/1000:.2f} ms" if v >= 1000 else f"{v:.0f} µs"
print()
print("| connections | target | connections/s (median of rounds) | p50 | p99 | errors, non-2xx | CPU per connection | ÷ nginx: connections/s, p99, CPU |")
print("|---:|---|---:|---:|---:|---:|---:|---:|")
for c in sorted({c for _, c in rows}):
    for t in ("dyups", "nginx"):
        k = (t, c)
        if k not in rows:
            continue
        ratio = ""
        if t == "dyups" and ("nginx", c) in rows:
            ratio = (f"**{med(k, 0) / med(('nginx', c), 0):.2f}×**, {med(k, 2) / med(('nginx', c), 2):.2f}×, "
                     f"{med(k, 6) / med(('nginx', c), 6):.2f}×")
        errs = sum(r[4] for r in rows[k]); non2xx = sum(r[5] for r in rows[k])
        count = f"{med(k, 0):,.0f}".replace(",", " ")
        print(f"| {c} | {'dyups proxy' if t == 'dyups' else 'nginx, upstream keepalive'} | {count} | {us(med(k, 1))} | {us(med(k, 2))} | {errs:.0f}, {non2xx:.0f} | {med(k, 6):.1f} µs | {ratio} |")
PY
    ;;
  tls)
    echo
    echo "== tls: $rounds rounds, $duration each, connections: ${TLS_CONNECTIONS:-2 50}"
    for target in dyups-tls-client nginx-tls-client dyups-tls-backend nginx-tls-backend; do
      check "$target"
      warm "$target"
    done
    for round in $(seq 1 "$rounds"); do
      for c in ${TLS_CONNECTIONS:-2 50}; do
        for side in client backend; do
          if [ $((round % 2)) -eq 1 ]; then
            measure "dyups-tls-$side" "$c"; measure "nginx-tls-$side" "$c"
          else
            measure "nginx-tls-$side" "$c"; measure "dyups-tls-$side" "$c"
          fi
        done
      done
    done
    python3 - "$results" <<'PY'
import re, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    m = re.match(r"(\S+)-tls-(client|backend) (\d+) RESULT requests=\d+ seconds=\S+ rps=([\d.]+) p50=(\d+) p99=(\d+) p999=(\d+) errors=(\d+) non2xx=(\d+)", line)
    if m:
        rows.setdefault((m.group(2), int(m.group(3)), m.group(1)), []).append(tuple(float(x) for x in m.groups()[3:]))
def med(k, i):
    return statistics.median(r[i] for r in rows[k])
def us(v):
    return f"{v/1000:.2f} ms" if v >= 1000 else f"{v:.0f} µs"
print()
print("| TLS toward | connections | target | requests/s (median of rounds) | p50 | p99 | errors, non-2xx | ÷ nginx: requests/s, p99 |")
print("|---|---:|---|---:|---:|---:|---:|---:|")
for side, c in sorted({(s, c) for s, c, _ in rows}):
    for t in ("dyups", "nginx"):
        k = (side, c, t)
        if k not in rows:
            continue
        rps, p50, p99 = med(k, 0), med(k, 1), med(k, 2)
        errs = sum(r[4] for r in rows[k]); non2xx = sum(r[5] for r in rows[k])
        ratio = ""
        if t == "dyups" and (side, c, "nginx") in rows:
            ratio = f"**{rps / med((side, c, 'nginx'), 0):.2f}×**, {p99 / med((side, c, 'nginx'), 2):.2f}×"
        label = {"dyups": "dyups proxy", "nginx": "nginx 1.22.1"}[t]
        count = f"{rps:,.0f}".replace(",", " ")
        print(f"| {'clients' if side == 'client' else 'backends'} | {c} | {label} | {count} | {us(p50)} | {us(p99)} | {errs:.0f}, {non2xx:.0f} | {ratio} |")
PY
    ;;
  *) echo "unknown part $part" >&2; exit 1 ;;
  esac
done
echo
echo "raw results:"
cat "$results"
