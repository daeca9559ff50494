#!/usr/bin/env bash
# Final figures of the eighth step: a90694d against 1dfbb12 (main before the step), each run in its own hold.
set -u
J=/work/notes/jars
./run.sh e $J/a90694d.jar $J/base-1dfbb12.jar $J/base-1dfbb12.jar $J/a90694d.jar
for j in base-1dfbb12 a90694d; do
  /work/notes/bin/cpu-run bench java -Xmx3g -cp $J/$j.jar io.dyups.benchmarks.Footprint > footprint-$j.txt 2>&1
done
for j in base-1dfbb12 a90694d; do
  /work/notes/bin/cpu-run bench java -jar $J/$j.jar 'LoadBenchmark.loadThenPeers' -f 1 -wi 3 -i 10 -prof gc \
    -jvmArgsAppend "-Xms3g -Xmx3g" -rf json -rff peers-$j.json > peers-$j.txt 2>&1
done
/work/notes/bin/cpu-run bench java -jar $J/a90694d.jar 'ParseBenchmark' -f 1 -wi 3 -w 2s -i 5 -r 2s -prof gc \
  -rf json -rff parse-a90694d.json > parse-a90694d.txt 2>&1
