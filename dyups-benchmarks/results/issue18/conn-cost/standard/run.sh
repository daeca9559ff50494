cd /work/wt/conn18
i=0
for jar in base c2 c2 base; do
  i=$((i+1))
  PROXY_JAR=/tmp/c18/$jar.jar WARMUP=10s WORKERS=1 CONNECTIONS=2 ROUNDS=3 DURATION=8s dyups-benchmarks/proxy-bench.sh compare close > /tmp/c18/std/$i-$jar.txt 2>&1
done
for jar in c2 c3x c3x c2; do
  i=$((i+1))
  PROXY_JAR=/tmp/c18/$jar.jar WARMUP=10s WORKERS=1 CONNECTIONS=2 ROUNDS=3 DURATION=8s dyups-benchmarks/proxy-bench.sh compare > /tmp/c18/std/$i-$jar.txt 2>&1
done
