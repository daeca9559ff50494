#!/usr/bin/env bash
# Captures nginx's round robin and least_conn over an upstream of 1 000 servers (large-servers.conf, which this
# script writes: weights 1-5, and three servers that refuse connections, weight=10 max_fails=5 fail_timeout=600s),
# 7 000 sequential requests each:
#   large-round-robin.txt, large-least-conn.txt   per request, the servers it tried (their index in
#                                                 large-servers.conf, from 0), in the order nginx tried them
# Needs Debian's nginx (apt-get install nginx-light) and curl; runs nginx with one worker process on 127.0.0.1:22400
# (the front) and port 22401 of every address 127.1.x.y (the servers; 22402, where nothing listens, for those that
# refuse), and stops it when done.
# Usage: capture-large.sh OUT_DIR
set -euo pipefail
out=$(realpath "${1:?usage: capture-large.sh OUT_DIR}")
nginx=${NGINX:-/usr/sbin/nginx}
servers=1000
requests=7000
refusing=" 3 500 999 "
work=$(mktemp -d /tmp/dyups-nginx-capture-XXXXXX)
trap '[ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null; sleep 0.5; rm -rf "$work"' EXIT
mkdir -p "$out" "$work/logs"

{
  echo "# $servers servers for capture-large.sh: server i is 127.1.(i / 200).(i % 200 + 1), weight i % 5 + 1; those"
  echo "# at port 22402 refuse connections."
  for ((i = 0; i < servers; i++)); do
    address="127.1.$((i / 200)).$((i % 200 + 1))"
    if [[ "$refusing" == *" $i "* ]]; then
      echo "server $address:22402 weight=10 max_fails=5 fail_timeout=600s;"
    else
      echo "server $address:22401 weight=$((i % 5 + 1));"
    fi
  done
} > "$out/large-servers.conf"

cat > "$work/nginx.conf" <<CONF
worker_processes 1;
error_log $work/logs/error.log crit;
pid $work/nginx.pid;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path $work/body;
  proxy_temp_path $work/proxy;
  fastcgi_temp_path $work/fastcgi;
  uwsgi_temp_path $work/uwsgi;
  scgi_temp_path $work/scgi;
  log_format capture '\$upstream_addr';
  upstream large_round_robin { include $out/large-servers.conf; }
  upstream large_least_conn { least_conn; include $out/large-servers.conf; }
  server { listen 22401; return 200 "ok\n"; }
  server {
    listen 127.0.0.1:22400;
    location /rr { access_log $work/logs/large-round-robin.log capture; proxy_pass http://large_round_robin; }
    location /lc { access_log $work/logs/large-least-conn.log capture; proxy_pass http://large_least_conn; }
  }
}
CONF

"$nginx" -p "$work" -c "$work/nginx.conf"
sleep 0.5
curl -s "http://127.0.0.1:22400/rr/[1-$requests]" > /dev/null
curl -s "http://127.0.0.1:22400/lc/[1-$requests]" > /dev/null
sleep 0.5

for log in large-round-robin large-least-conn; do
  {
    echo "# nginx $("$nginx" -v 2>&1 | sed 's/.*nginx\///'), one worker process; captured $(date -u +%FT%TZ) by capture-large.sh"
    echo "# per request, the servers of large-servers.conf it tried, by index"
    # 127.1.2.7:22401 is server 2 * 200 + 7 - 1.
    awk -F', ' '{
      line = "";
      for (f = 1; f <= NF; f++) {
        split($f, part, /[.:]/);
        line = line (f > 1 ? " " : "") (part[3] * 200 + part[4] - 1);
      }
      print line;
    }' "$work/logs/$log.log"
  } > "$out/$log.txt"
done
