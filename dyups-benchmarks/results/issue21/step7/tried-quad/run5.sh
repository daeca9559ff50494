#!/usr/bin/env bash
# 7b against 7a: a second hold, B A A B, GC logs.
set -e
J=/tmp/parser-jars
run() { # name jar
  java -jar $J/$2.jar 'LoadBenchmark.load$' -f 1 -wi 3 -i 10 -prof gc -jvmArgsAppend "-Xms3g -Xmx3g -Xlog:gc:file=gc-$1.log" \
    -rf json -rff load-$1.json > load-$1.txt 2>&1
}
uptime > log5.txt
run quad-B9 p7b; run bulk-A9 p7a; run bulk-A10 p7a; run quad-B10 p7b
uptime >> log5.txt
for f in gc-*.log; do mv "$f" "${f%.log}.log.txt"; done
