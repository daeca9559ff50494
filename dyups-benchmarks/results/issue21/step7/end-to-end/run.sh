#!/usr/bin/env bash
# bff5aa2 (before the sixth step) and f23c1d1 (sixth and seventh steps), alternating A B B A, in one hold.
# before.jar: dyups-benchmarks/target/benchmarks.jar built at bff5aa2; final-f23c1d1.jar: built at f23c1d1.
i=0
for j in before final-f23c1d1 final-f23c1d1 before; do
  i=$((i+1))
  /work/notes/bin/cpu-run bench java -jar /tmp/parser-jars/$j.jar 'LoadBenchmark.load$' -f 1 -wi 3 -i 10 -prof gc \
    -jvmArgsAppend "-Xms3g -Xmx3g" -rf json -rff $i-$j.json > $i-$j.txt 2>&1
done
