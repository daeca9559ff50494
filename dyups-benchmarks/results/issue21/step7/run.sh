#!/usr/bin/env bash
# One hold: before (main 13aef76) and 7a alternating A B B A; then Footprint of each.
set -e
J=/tmp/parser-jars
run() { # name jar
  java -jar $J/$2.jar 'LoadBenchmark.load$' -f 1 -wi 3 -i 10 -prof gc -jvmArgsAppend "-Xms3g -Xmx3g" \
    -rf json -rff load-$1.json > load-$1.txt 2>&1
}
uptime > log.txt
run before-A p7-before; run bulk-B p7a; run bulk-B2 p7a; run before-A2 p7-before
uptime >> log.txt
java -Xmx3g -cp $J/p7-before.jar io.dyups.benchmarks.Footprint > footprint-before.txt 2>&1
java -Xmx3g -cp $J/p7a.jar io.dyups.benchmarks.Footprint > footprint-7a.txt 2>&1
