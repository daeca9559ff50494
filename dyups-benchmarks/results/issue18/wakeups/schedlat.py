#!/usr/bin/env python3
# schedlat.py TIMEHIST TID: from `perf sched timehist`, the thread TID's switches-in: how long it had slept before
# (wait time) and how long it then waited for a core (sch delay), as a distribution; and the same for every other
# task that ran, summed, so the cores' other users show.
import sys, collections
path, tid = sys.argv[1], sys.argv[2]
delays, waits, runs = [], [], []
others = collections.Counter(); total = collections.Counter()
for line in open(path):
    p = line.split()
    if len(p) < 6 or not p[0][0].isdigit() or not p[1].startswith('['):
        continue
    try:
        wait, delay, run = float(p[-3]), float(p[-2]), float(p[-1])  # ms
    except ValueError:
        continue
    task = " ".join(p[2:-3])
    name, _, ids = task.rpartition('[')
    t = ids.rstrip(']').split('/')[0]
    total[name] += run
    if t == tid:
        delays.append(delay * 1000); waits.append(wait * 1000); runs.append(run * 1000)
def pct(v, q):
    v = sorted(v); return v[min(len(v) - 1, int(q / 100 * len(v)))] if v else 0
n = len(delays)
print(f"  thread {tid}: {n} switches-in; sch delay us p50 {pct(delays,50):.0f} p90 {pct(delays,90):.0f} p99 {pct(delays,99):.0f} "
      f"max {max(delays or [0]):.0f}; >200us {sum(d > 200 for d in delays)}, >500us {sum(d > 500 for d in delays)}, >1ms {sum(d > 1000 for d in delays)}; "
      f"sum {sum(delays)/1000:.1f} ms; run us p50 {pct(runs,50):.0f} p99 {pct(runs,99):.0f} max {max(runs or [0]):.0f}")
print("  CPU time by task name over the record (ms):", ", ".join(f"{k.strip()} {v:.0f}" for k, v in total.most_common(8)))
