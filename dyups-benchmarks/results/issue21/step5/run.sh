#!/bin/bash
# ABBA: main 891eb67 vs step 5, LoadBenchmark; then Footprint of each; then a JFR recording of step 5's load.
cd /tmp/parser-bench
J=/tmp/parser-jars
opts='-f 1 -wi 3 -i 10 -prof gc -jvmArgsAppend "-Xms3g -Xmx3g"'
run() { # name jar
  echo "=== $1 $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg)" >> log.txt
  java -jar $2 LoadBenchmark -f 1 -wi 3 -i 10 -prof gc -jvmArgsAppend "-Xms3g -Xmx3g" -rf json -rff load-$1.json > load-$1.txt 2>&1
  echo "=== end $1 $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg)" >> log.txt
}
run main-A $J/main-891eb67.jar
run step5-B $J/step5.jar
run step5-B2 $J/step5.jar
run main-A2 $J/main-891eb67.jar
java -Xmx3g -cp $J/main-891eb67.jar io.dyups.benchmarks.Footprint > footprint-main.txt 2>&1
rm -rf /tmp/parser-bench/fp && mkdir -p /tmp/parser-bench/fp && javac -nowarn -cp $J/step5.jar -d /tmp/parser-bench/fp /work/wt/parser/dyups-benchmarks/src/main/java/io/dyups/benchmarks/Footprint.java > fp-javac.txt 2>&1
java -Xmx3g -cp /tmp/parser-bench/fp:$J/step5.jar io.dyups.benchmarks.Footprint > footprint-step5.txt 2>&1
java -jar $J/step5.jar 'LoadBenchmark.load$' -f 1 -wi 3 -i 5 -jvmArgsAppend "-Xms3g -Xmx3g -Xlog:gc:file=/tmp/parser-bench/gc-step5.log" -prof "jfr:dir=/tmp/parser-bench/jfr" > jfr-run.txt 2>&1
echo "=== all done $(date -u +%T)" >> log.txt
