#!/bin/bash
# ABBA: before (bff5aa2) vs the split read, LoadBenchmark.load only, with a GC log per run.
# usage: run.sh OUTDIR NAME:JAR NAME:JAR ...
out=$1; shift
cd $out
for spec in "$@"; do
  name=${spec%%:*}; jar=${spec#*:}
  echo "=== $name $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg)" >> log.txt
  java -jar $jar 'LoadBenchmark.load$' -f 1 -wi 3 -i 10 -prof gc -jvmArgsAppend "-Xms3g -Xmx3g -Xlog:gc:file=$out/gc-$name.log" -rf json -rff load-$name.json > load-$name.txt 2>&1
  echo "=== end $name $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg)" >> log.txt
done
