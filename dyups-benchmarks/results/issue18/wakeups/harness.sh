#!/usr/bin/env bash
# harness.sh CMD... : backends + dyups (PROXY_JAR, PROXY_JAVA_OPTS) + nginx peer, 1 worker each; runs CMD with
# $DYUPS_URL $NGINX_URL $DYUPS_PID $NGINX_PID exported, then stops everything.
set -u
jar=${PROXY_JAR:-/tmp/w18/base.jar}
read -r pp ap b1 b2 np < <(python3 -c '
import socket
s=[socket.socket() for _ in range(5)]
[x.bind(("127.0.0.1",0)) for x in s]
print(" ".join(str(x.getsockname()[1]) for x in s))')
mkdir -p /tmp/w18/h; prefix=$(mktemp -d /tmp/w18/h/h.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done; }
trap cleanup EXIT INT TERM
mk() { mkdir -p "$prefix/$1/conf" "$prefix/$1/logs" "$prefix/$1/temp"; cat > "$prefix/$1/conf/nginx.conf"; }
mk backends <<C
daemon off; error_log logs/error.log; pid logs/nginx.pid; worker_processes 1;
events { worker_connections 30000; }
http { client_body_temp_path temp/body; proxy_temp_path temp/proxy; fastcgi_temp_path temp/f; uwsgi_temp_path temp/u; scgi_temp_path temp/s;
 access_log off; keepalive_requests 1000000;
 server { listen 127.0.0.1:$b1; location / { return 200 "$b1\n"; } }
 server { listen 127.0.0.1:$b2; location / { return 200 "$b2\n"; } } }
C
mk nginx <<C
daemon off; error_log logs/error.log; pid logs/nginx.pid; worker_processes 1;
events { worker_connections 30000; }
http { client_body_temp_path temp/body; proxy_temp_path temp/proxy; fastcgi_temp_path temp/f; uwsgi_temp_path temp/u; scgi_temp_path temp/s;
 access_log logs/access.log combined buffer=64k flush=1s; ${HTTP_EXTRA:-}
 upstream bench { server 127.0.0.1:$b1; server 127.0.0.1:$b2; keepalive 64; ${UP_EXTRA:-} }
 server { listen 127.0.0.1:$np; location / { proxy_pass http://bench; proxy_http_version 1.1; proxy_set_header Connection ""; } } }
C
mkdir -p "$prefix/dyups/conf" "$prefix/dyups/logs"; : > "$prefix/dyups/conf/upstream.conf"
cat > "$prefix/dyups/conf/nginx.conf" <<C
daemon off; error_log logs/error.log notice; worker_processes 1;
events { worker_connections 30000; }
http { dyups_upstream_conf upstream.conf; access_log logs/access.log combined buffer=64k flush=1s; ${HTTP_EXTRA:-}
 server { listen 127.0.0.1:$pp; location / { proxy_pass http://\$host; proxy_http_version 1.1; proxy_set_header Connection ""; } }
 server { listen 127.0.0.1:$ap; location / { dyups_interface; } } }
C
nginx -p "$prefix/backends" -c conf/nginx.conf & pids+=($!)
java ${PROXY_JAVA_OPTS:-} -jar "$jar" -p "$prefix/dyups" > "$prefix/dyups/logs/stdout.log" 2>&1 & DYUPS_PID=$!; pids+=($!)
nginx -p "$prefix/nginx" -c conf/nginx.conf & NGINX_PID=$!; pids+=($!)
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$ap/list" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fsS -X POST -d "server 127.0.0.1:$b1;server 127.0.0.1:$b2;keepalive 64;${UP_EXTRA:-}" "http://127.0.0.1:$ap/upstream/bench" >/dev/null
sleep 0.3
curl -fsS -H 'Host: bench' "http://127.0.0.1:$pp/" >/dev/null || { echo dyups fails; cat "$prefix/dyups/logs/stdout.log"; exit 1; }
curl -fsS "http://127.0.0.1:$np/" >/dev/null || { echo nginx fails; exit 1; }
export ADMIN="http://127.0.0.1:$ap" B1=$b1 B2=$b2 DYUPS_URL="http://127.0.0.1:$pp/" NGINX_URL="http://127.0.0.1:$np/" DYUPS_PID NGINX_PID PREFIX=$prefix
export NGINX_WORKER=$(pgrep -P $NGINX_PID)
bash -c "$*"
