package io.dyups.benchmarks;

/** Generated nginx configuration for the benchmarks; deterministic, so every run parses the same bytes. */
final class Configs {
  private Configs() {}

  static String upstreamName(int i) {
    return "backend_" + i;
  }

  /**
   * {@code count} upstreams of {@code servers} servers each, in the style an upstream.conf is written: a mix of
   * plain servers and servers with weight, max_fails, fail_timeout and backup.
   */
  static String upstreamConf(int count, int servers) {
    StringBuilder out = new StringBuilder(count * (40 + servers * 48));
    for (int i = 0; i < count; i++) {
      out.append("upstream ").append(upstreamName(i)).append(" {\n");
      if (i % 10 == 1) {
        out.append("    least_conn;\n");
      }
      for (int s = 0; s < servers; s++) {
        out.append("    server 10.").append((i >>> 16) & 0xFF).append('.').append((i >>> 8) & 0xFF).append('.')
            .append((i + s) & 0xFF).append(':').append(8000 + s);
        switch ((i + s) % 4) {
          case 1 -> out.append(" weight=").append(s + 2);
          case 2 -> out.append(" max_fails=3 fail_timeout=10s");
          case 3 -> out.append(s == servers - 1 && i % 10 != 1 ? " backup" : " weight=5 max_fails=2");
          default -> { }
        }
        out.append(";\n");
      }
      out.append("}\n");
    }
    return out.toString();
  }

  /**
   * A realistic nginx.conf: main and events settings, an http block with log formats, maps, gzip and proxy
   * settings, {@code sites} upstreams, and {@code sites} virtual hosts with exact, prefix and regex locations,
   * rewrites, ifs, headers and comments. Written in the subset of nginx that nginxparser also accepts.
   */
  static String mixedConf(int sites) {
    StringBuilder out = new StringBuilder(sites * 1600);
    out.append("""
        # Generated for the dyups benchmarks: a front proxy for many sites.
        user www-data;
        worker_processes auto;
        pid /run/nginx.pid;
        error_log /var/log/nginx/error.log warn;

        events {
            worker_connections 4096;
            multi_accept on;
        }

        http {
            include /etc/nginx/mime.types;
            default_type application/octet-stream;

            log_format main '$remote_addr - $remote_user [$time_local] "$request" '
                            '$status $body_bytes_sent "$http_referer" '
                            '"$http_user_agent" "$http_x_forwarded_for" rt=$request_time';
            access_log /var/log/nginx/access.log main buffer=32k flush=5s;

            sendfile on;
            tcp_nopush on;
            tcp_nodelay on;
            keepalive_timeout 65;
            types_hash_max_size 2048;
            server_tokens off;
            client_max_body_size 16m;

            gzip on;
            gzip_comp_level 5;
            gzip_min_length 256;
            gzip_types text/plain text/css application/json application/javascript text/xml application/xml;

            map $http_upgrade $connection_upgrade {
                default upgrade;
                '' close;
            }

            map $http_user_agent $is_bot {
                default 0;
                ~*googlebot 1;
                ~*bingbot 1;
            }

            proxy_http_version 1.1;
            proxy_set_header Host $host;
            proxy_set_header X-Real-IP $remote_addr;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_connect_timeout 5s;
            proxy_read_timeout 60s;

        """);
    for (int i = 0; i < sites; i++) {
      String app = "app" + i;
      out.append("    upstream ").append(app).append(" {\n")
          .append("        least_conn;\n")
          .append("        server 10.20.").append(i & 0xFF).append(".11:8080 weight=3 max_fails=3 fail_timeout=15s;\n")
          .append("        server 10.20.").append(i & 0xFF).append(".12:8080 weight=3 max_fails=3 fail_timeout=15s;\n")
          .append("        server 10.20.").append(i & 0xFF).append(".13:8080 backup;\n")
          .append("        keepalive 32;\n")
          .append("    }\n\n");
      out.append("""
              server {
                  listen 80;
                  listen 443 ssl http2;
                  server_name www.SITE.example.com SITE.example.com;
                  ssl_certificate /etc/ssl/SITE/fullchain.pem;
                  ssl_certificate_key /etc/ssl/SITE/privkey.pem;
                  ssl_protocols TLSv1.2 TLSv1.3;
                  root /srv/www/SITE/public;
                  index index.html index.htm;

                  # Old links still in the wild.
                  rewrite ^/old/(.*)$ /new/$1 permanent;

                  if ($scheme = http) {
                      return 301 https://$host$request_uri;
                  }

                  location = /healthz {
                      access_log off;
                      return 200 "ok";
                  }

                  location / {
                      try_files $uri $uri/ @APP;
                  }

                  location @APP {
                      proxy_pass http://APP;
                      proxy_set_header Upgrade $http_upgrade;
                      proxy_set_header Connection $connection_upgrade;
                  }

                  location /api/ {
                      limit_except GET POST {
                          deny all;
                      }
                      proxy_pass http://APP;
                      proxy_buffering off;
                      add_header Cache-Control "no-store" always;
                  }

                  location ~* \\.(jpg|jpeg|png|gif|ico|css|js|woff2)$ {
                      expires 30d;
                      add_header Cache-Control "public, max-age=2592000";
                      access_log off;
                  }

                  error_page 500 502 503 504 /50x.html;
                  location = /50x.html {
                      root /usr/share/nginx/html;
                  }
              }

          """.replace("SITE", "site" + i).replace("APP", app));
    }
    out.append("}\n");
    return out.toString();
  }
}
