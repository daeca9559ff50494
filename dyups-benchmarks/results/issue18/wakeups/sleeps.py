#!/usr/bin/env python3
# sleeps.py TIMEHIST TID: how long the thread had been off its core before each switch-in (perf sched timehist's
# wait time; 0 after a preemption), as a distribution.
import sys
path, tid = sys.argv[1], sys.argv[2]; ws = []
for line in open(path):
    p = line.split()
    if len(p) < 6 or not p[0][0].isdigit() or not p[1].startswith('['): continue
    try: w = float(p[-3])
    except ValueError: continue
    if f"[{tid}/" in line or f"[{tid}]" in line: ws.append(w * 1000)
ws.sort(); n = len(ws); q = lambda x: ws[min(n - 1, int(x * n))]
print(f"  {n} switches-in; off its core before: p50 {q(.5):.0f} p90 {q(.9):.0f} p99 {q(.99):.0f} p99.9 {q(.999):.0f} us; >300us {sum(x > 300 for x in ws)}, >1ms {sum(x > 1000 for x in ws)}")
