#!/usr/bin/env bash
# Second hold, the other order: 7a and before alternating B A A B, with a GC log per run; then the listing-order
# micro-measure (Sk.java.txt: 100 000 ascending insertions against the constructor from a SortedMap).
set -e
J=/tmp/parser-jars
run() { # name jar
  java -jar $J/$2.jar 'LoadBenchmark.load$' -f 1 -wi 3 -i 10 -prof gc -jvmArgsAppend "-Xms3g -Xmx3g -Xlog:gc:file=gc-$1.log" \
    -rf json -rff load-$1.json > load-$1.txt 2>&1
}
uptime > log2.txt
run bulk-B3 p7a; run before-A3 p7-before; run before-A4 p7-before; run bulk-B4 p7a
uptime >> log2.txt
for f in gc-*.log; do mv "$f" "${f%.log}.log.txt"; done
java -Xms1g -Xmx1g -cp /tmp/p7 Sk > skiplist-build.txt 2>&1
