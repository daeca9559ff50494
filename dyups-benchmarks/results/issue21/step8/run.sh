#!/usr/bin/env bash
# usage: run.sh TAG JAR1 JAR2 ... ; runs each jar's LoadBenchmark.load once, in the order given, each in its own hold
tag=$1; shift
i=0
for j in "$@"; do
  i=$((i+1))
  n=$(basename $j .jar)
  echo "run $tag-$i $n start $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg)" >> loadavg.txt
  /work/notes/bin/cpu-run bench java -jar /work/notes/jars/$n.jar 'LoadBenchmark.load$' -f 1 -wi 3 -i 10 -prof gc \
    -jvmArgsAppend "-Xms3g -Xmx3g" -rf json -rff $tag-$i-$n.json > $tag-$i-$n.txt 2>&1
  echo "run $tag-$i $n end $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg)" >> loadavg.txt
done
