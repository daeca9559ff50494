#!/bin/bash
cd /tmp/parser-histo
for j in main-891eb67 step5 step5 main-891eb67; do
  rm -rf cls && mkdir cls && javac -nowarn -cp /tmp/parser-jars/$j.jar -d cls src/io/dyups/benchmarks/Histo.java
  echo "$j $(java -Xmx3g -cp cls:/tmp/parser-jars/$j.jar io.dyups.benchmarks.Histo 2>&1 | tail -1)" >> histo.txt
done
echo done >> histo.txt
