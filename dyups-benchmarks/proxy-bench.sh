#!/usr/bin/env bash
# Drives the example proxy with wrk: starts dyups-proxy.jar on a copied configuration with free ports on
# 127.0.0.1 (the proxy, its admin interface and two echo backends, all in the one JVM), POSTs an upstream of the
# two backends, and runs wrk at 2 and at 50 connections through the proxy; then the same through nginx (the peer:
# Debian's nginx-light, the same two backends, keep-alive to them as our proxy has, an access log as ours writes)
# and, as a baseline, straight at one echo backend. Prints requests/s and latency percentiles. Stops the proxy
# and nginx when done, however it ends.
#
# Usage: dyups-benchmarks/proxy-bench.sh [duration, default 10s]
# Needs: java 17, curl, python3, wrk and nginx (both installed with apt-get when missing); build first with
# `mvn -B -DskipTests package`.
set -euo pipefail

duration=${1:-10s}
root=$(cd "$(dirname "$0")/.." && pwd)
jar="$root/dyups-examples/target/dyups-proxy.jar"
[ -f "$jar" ] || { echo "missing $jar: run mvn -B -DskipTests package first" >&2; exit 1; }
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; } >/dev/null
command -v nginx >/dev/null || { apt-get update -qq && apt-get install -y -qq nginx-light; } >/dev/null
command -v curl >/dev/null || { echo "curl is needed" >&2; exit 1; }

# Five free ports: bind to port 0 and let the kernel choose.
read -r proxy_port admin_port backend1 backend2 nginx_port < <(python3 - <<'PY'
import socket
socks = [socket.socket() for _ in range(5)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
for s in socks:
    s.close()
PY
)

prefix=$(mktemp -d /tmp/dyups-proxy-bench.XXXXXX)
mkdir -p "$prefix/conf" "$prefix/logs"
: > "$prefix/conf/upstream.conf"
cat > "$prefix/conf/nginx.conf" <<CONF
daemon off;
error_log logs/error.log;

events {
}

http {
    dyups_upstream_conf upstream.conf;

    server {
        listen 127.0.0.1:$proxy_port;
        location / {
            proxy_pass http://\$host;
        }
    }

    server {
        listen 127.0.0.1:$backend1;
        location / {
            echo $backend1;
        }
    }

    server {
        listen 127.0.0.1:$backend2;
        location / {
            echo $backend2;
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

mkdir -p "$prefix/nginx/conf" "$prefix/nginx/logs" "$prefix/nginx/temp"
cat > "$prefix/nginx/conf/nginx.conf" <<CONF
daemon off;
worker_processes auto;
error_log logs/error.log;
pid logs/nginx.pid;

events {
    worker_connections 1024;
}

http {
    access_log logs/access.log;
    client_body_temp_path temp/body;
    proxy_temp_path temp/proxy;
    fastcgi_temp_path temp/fastcgi;
    uwsgi_temp_path temp/uwsgi;
    scgi_temp_path temp/scgi;

    upstream bench {
        server 127.0.0.1:$backend1;
        server 127.0.0.1:$backend2;
        keepalive 32;
    }

    server {
        listen 127.0.0.1:$nginx_port;
        location / {
            proxy_pass http://bench;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
CONF

java ${PROXY_JAVA_OPTS:-} -jar "$jar" -p "$prefix" > "$prefix/logs/stdout.log" 2>&1 &
proxy_pid=$!
nginx_pid=
cleanup() {
  kill "$proxy_pid" 2>/dev/null || true
  wait "$proxy_pid" 2>/dev/null || true
  if [ -n "$nginx_pid" ]; then
    kill "$nginx_pid" 2>/dev/null || true
    wait "$nginx_pid" 2>/dev/null || true
  fi
  rm -rf "$prefix"
}
trap cleanup EXIT INT TERM

for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$admin_port/list" >/dev/null 2>&1 && break
  kill -0 "$proxy_pid" 2>/dev/null || { cat "$prefix/logs/stdout.log" >&2; exit 1; }
  sleep 0.1
done
curl -fsS -X POST -d "server 127.0.0.1:$backend1;server 127.0.0.1:$backend2;" \
    "http://127.0.0.1:$admin_port/upstream/bench" >/dev/null
echo "proxy check: $(curl -fsS -H 'Host: bench' "http://127.0.0.1:$proxy_port/") $(curl -fsS -H 'Host: bench' "http://127.0.0.1:$proxy_port/")"

nginx -p "$prefix/nginx" -c conf/nginx.conf > "$prefix/nginx/logs/stdout.log" 2>&1 &
nginx_pid=$!
for _ in $(seq 1 50); do
  curl -fs "http://127.0.0.1:$nginx_port/" >/dev/null 2>&1 && break
  kill -0 "$nginx_pid" 2>/dev/null || { cat "$prefix/nginx/logs/stdout.log" "$prefix/nginx/logs/error.log" >&2; exit 1; }
  sleep 0.1
done
echo "nginx check: $(curl -fsS "http://127.0.0.1:$nginx_port/") $(curl -fsS "http://127.0.0.1:$nginx_port/")"

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(java -version 2>&1 | head -1)"
echo "wrk: $(wrk --version 2>&1 | head -1)"
echo "peer: $(nginx -v 2>&1)"

run() {
  local what=$1 connections=$2 url=$3
  echo
  echo "== $what, $connections connections, $duration (load before: $(cut -d' ' -f1-3 /proc/loadavg))"
  echo "\$ wrk -t2 -c$connections -d$duration --latency -H 'Host: bench' $url"
  wrk -t2 -c"$connections" -d"$duration" --latency -H 'Host: bench' "$url" \
      | grep -E 'Requests/sec|Transfer/sec|^ +(50|75|90|99)%|Latency|requests in|Non-2xx|Socket errors'
}

# Warm the JIT before the figures that count.
wrk -t2 -c10 -d5s -H 'Host: bench' "http://127.0.0.1:$proxy_port/" >/dev/null

run "through the proxy" 2 "http://127.0.0.1:$proxy_port/"
run "through the proxy" 50 "http://127.0.0.1:$proxy_port/"
wrk -t2 -c10 -d5s -H 'Host: bench' "http://127.0.0.1:$nginx_port/" >/dev/null
run "through nginx (peer)" 2 "http://127.0.0.1:$nginx_port/"
run "through nginx (peer)" 50 "http://127.0.0.1:$nginx_port/"
run "echo backend alone (baseline)" 2 "http://127.0.0.1:$backend1/"
run "echo backend alone (baseline)" 50 "http://127.0.0.1:$backend1/"
