#!/usr/bin/env bash
# Third hold, A B B A again, GC logs.
set -e
J=/tmp/parser-jars
run() { # name jar
  java -jar $J/$2.jar 'LoadBenchmark.load$' -f 1 -wi 3 -i 10 -prof gc -jvmArgsAppend "-Xms3g -Xmx3g -Xlog:gc:file=gc-$1.log" \
    -rf json -rff load-$1.json > load-$1.txt 2>&1
}
uptime > log3.txt
run before-A5 p7-before; run bulk-B5 p7a; run bulk-B6 p7a; run before-A6 p7-before
uptime >> log3.txt
for f in gc-*.log; do mv "$f" "${f%.log}.log.txt"; done
