#!/usr/bin/env bash
# ParseBenchmark's dyups (directive tree) and JavaCC rows, main before the step (1dfbb12) against 1fc8a7d, A B B A
J=/work/notes/jars
i=0
for j in base-1dfbb12 peers1 peers1 base-1dfbb12; do
  i=$((i+1))
  /work/notes/bin/cpu-run bench java -jar $J/$j.jar 'ParseBenchmark.(dyups|nginxparserJavaCc)$' -f 1 -wi 3 -w 2s -i 5 -r 2s \
    -prof gc -rf json -rff pab-$i-$j.json > pab-$i-$j.txt 2>&1
done
