#!/usr/bin/env bash
# Captures the nginx sequences the balancing tests compare dyups with (see README.md beside this script):
#   all-failed.log   two servers that refuse connections (max_fails=1 fail_timeout=3s), a request every 100 ms
#                    for 9 s: which servers each request tried, and when, in wall-clock milliseconds
#   random-two.log   2000 sequential requests to random two over weights 1, 2, 3, 4, and the same for
#                    random two least_conn: the server each request went to
# Needs Debian's nginx (apt-get install nginx-light) and curl; runs nginx on 127.0.0.1 ports 21900-21999 with
# one worker process and stops it when done.
# Usage: capture.sh OUT_DIR
set -euo pipefail
out=$(realpath "${1:?usage: capture.sh OUT_DIR}")
nginx=${NGINX:-/usr/sbin/nginx}
work=$(mktemp -d /tmp/dyups-nginx-capture-XXXXXX)
trap '[ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null; sleep 0.5; rm -rf "$work"' EXIT
mkdir -p "$out" "$work/logs"

cat > "$work/nginx.conf" <<CONF
worker_processes 1;
error_log $work/logs/error.log warn;
pid $work/nginx.pid;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path $work/body;
  proxy_temp_path $work/proxy;
  fastcgi_temp_path $work/fastcgi;
  uwsgi_temp_path $work/uwsgi;
  scgi_temp_path $work/scgi;
  log_format capture '\$msec \$status "\$upstream_addr"';

  # Nothing listens on 21991 and 21992: every connection is refused.
  upstream refused {
    server 127.0.0.1:21991 max_fails=1 fail_timeout=3s;
    server 127.0.0.1:21992 max_fails=1 fail_timeout=3s;
  }
  upstream random_two {
    random two;
    server 127.0.0.1:21911 weight=1;
    server 127.0.0.1:21912 weight=2;
    server 127.0.0.1:21913 weight=3;
    server 127.0.0.1:21914 weight=4;
  }
  upstream random_two_least_conn {
    random two least_conn;
    server 127.0.0.1:21911 weight=1;
    server 127.0.0.1:21912 weight=2;
    server 127.0.0.1:21913 weight=3;
    server 127.0.0.1:21914 weight=4;
  }
  server { listen 127.0.0.1:21911; return 200 "a\n"; }
  server { listen 127.0.0.1:21912; return 200 "b\n"; }
  server { listen 127.0.0.1:21913; return 200 "c\n"; }
  server { listen 127.0.0.1:21914; return 200 "d\n"; }
  server {
    listen 127.0.0.1:21900;
    location /refused { access_log $work/logs/all-failed.log capture; proxy_pass http://refused; }
    location /two { access_log $work/logs/random-two.log capture; proxy_pass http://random_two; }
    location /lc { access_log $work/logs/random-two-least-conn.log capture; proxy_pass http://random_two_least_conn; }
  }
}
CONF

"$nginx" -p "$work" -c "$work/nginx.conf"
sleep 0.5

# Start the failures 850 ms into a second, so that the log shows how nginx counts fail_timeout in whole seconds.
ms=$(date +%s%3N)
sleep "$(awk -v ms="$ms" 'BEGIN { printf "%.3f", ((int(ms / 1000) + 1) * 1000 + 850 - ms) / 1000 }')"
for i in $(seq 1 90); do
  curl -s -o /dev/null "http://127.0.0.1:21900/refused" || true
  sleep 0.1
done

for path in two lc; do
  for i in $(seq 1 2000); do echo "url = \"http://127.0.0.1:21900/$path\""; echo "output = \"/dev/null\""; done \
      > "$work/urls-$path"
  curl -s -K "$work/urls-$path"
done
sleep 0.5

{
  echo "# nginx $("$nginx" -v 2>&1 | sed 's/.*nginx\///'), one worker process; captured $(date -u +%FT%TZ) by capture.sh"
  echo "# msec status upstream_addr (\"refused\": no live upstreams, no connection attempted)"
  cat "$work/logs/all-failed.log"
} > "$out/all-failed.log"
for log in random-two random-two-least-conn; do
  {
    echo "# nginx $("$nginx" -v 2>&1 | sed 's/.*nginx\///'), one worker process; captured $(date -u +%FT%TZ) by capture.sh"
    echo "# count upstream_addr over 2000 sequential requests"
    awk '{print $3}' "$work/logs/$log.log" | sort | uniq -c
  } > "$out/$log.txt"
done
