#!/usr/bin/env bash
# pair.sh A.jar B.jar: two builds of the proxy side by side on the same backends (no nginx), measured by
# ../conn-cost/cost.sh as it measures dyups against nginx: its "dyups" lines are A, its "nginx" lines B (CPU is
# the whole JVM of each), rounds alternating which goes first, so that both meet the same moments of the machine.
# Needs ../conn-cost/harness.sh's variables: it is run as
#   PROXY_JAR=A.jar harness.sh bash pair.sh A.jar B.jar
# and starts B itself on a free port with the same configuration as A (HTTP_EXTRA, UP_EXTRA).
set -u
here=$(cd "$(dirname "$0")" && pwd)
b=$2
read -r pp ap < <(python3 -c '
import socket
s=[socket.socket() for _ in range(2)]
[x.bind(("127.0.0.1",0)) for x in s]
print(" ".join(str(x.getsockname()[1]) for x in s))')
mkdir -p "$PREFIX/dyups-b/conf" "$PREFIX/dyups-b/logs"; : > "$PREFIX/dyups-b/conf/upstream.conf"
cat > "$PREFIX/dyups-b/conf/nginx.conf" <<C
daemon off; error_log logs/error.log notice; worker_processes 1;
events { worker_connections 30000; }
http { dyups_upstream_conf upstream.conf; access_log logs/access.log combined buffer=64k flush=1s; ${HTTP_EXTRA:-}
 server { listen 127.0.0.1:$pp; location / { proxy_pass http://\$host; proxy_http_version 1.1; proxy_set_header Connection ""; } }
 server { listen 127.0.0.1:$ap; location / { dyups_interface; } } }
C
java ${PROXY_JAVA_OPTS:-} -jar "$b" -p "$PREFIX/dyups-b" > "$PREFIX/dyups-b/logs/stdout.log" 2>&1 & bpid=$!
trap 'kill $bpid; wait $bpid 2>/dev/null' EXIT
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$ap/list" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fsS -X POST -d "server 127.0.0.1:$B1;server 127.0.0.1:$B2;keepalive 64;${UP_EXTRA:-}" "http://127.0.0.1:$ap/upstream/bench" >/dev/null
sleep 0.3
curl -fsS -H 'Host: bench' "http://127.0.0.1:$pp/" >/dev/null || { echo B fails; exit 1; }
echo "A=$(basename "$1") B=$(basename "$b") (cost.sh's dyups lines are A, its nginx lines B)"
NGINX_URL="http://127.0.0.1:$pp/" NGINX_WORKER=$bpid bash "$here/../conn-cost/cost.sh"
