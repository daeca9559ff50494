#!/usr/bin/env bash
# 7b against 7a: one hold, A B B A, GC logs; then Footprint of 7b.
set -e
J=/tmp/parser-jars
run() { # name jar
  java -jar $J/$2.jar 'LoadBenchmark.load$' -f 1 -wi 3 -i 10 -prof gc -jvmArgsAppend "-Xms3g -Xmx3g -Xlog:gc:file=gc-$1.log" \
    -rf json -rff load-$1.json > load-$1.txt 2>&1
}
uptime > log4.txt
run bulk-A7 p7a; run quad-B7 p7b; run quad-B8 p7b; run bulk-A8 p7a
uptime >> log4.txt
for f in gc-*.log; do mv "$f" "${f%.log}.log.txt"; done
java -Xmx3g -cp $J/p7b.jar io.dyups.benchmarks.Footprint > footprint-7b.txt 2>&1
