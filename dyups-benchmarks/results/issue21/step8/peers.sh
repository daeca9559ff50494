#!/usr/bin/env bash
# loadThenPeers, a90694d against the PeerGroup commit (each line read once), A B B A, each in its own hold; then ParseBenchmark
J=/work/notes/jars
i=0
for j in a90694d peers1 peers1 a90694d; do
  i=$((i+1))
  /work/notes/bin/cpu-run bench java -jar $J/$j.jar 'LoadBenchmark.loadThenPeers' -f 1 -wi 3 -i 10 -prof gc \
    -jvmArgsAppend "-Xms3g -Xmx3g" -rf json -rff p-$i-$j.json > p-$i-$j.txt 2>&1
done
/work/notes/bin/cpu-run bench java -jar $J/peers1.jar 'ParseBenchmark' -f 1 -wi 3 -w 2s -i 5 -r 2s -prof gc \
  -rf json -rff parse3-peers1.json > parse3-peers1.txt 2>&1
