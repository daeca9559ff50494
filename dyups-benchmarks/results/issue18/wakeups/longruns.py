#!/usr/bin/env python3
# longruns.py TIMEHIST TID [MIN_US]: the thread's runs of MIN_US (500) or more without sleeping, and what the
# other tasks did meanwhile: how many times wrk and nginx were switched in (requests moving) during the run.
# A run during which nothing else was switched in is a stall of the loop, not a busy stretch of requests.
import sys, bisect
path, tid = sys.argv[1], sys.argv[2]; mn = float(sys.argv[3]) if len(sys.argv) > 3 else 500
ev = []; runs = []
for line in open(path):
    p = line.split()
    if len(p) < 6 or not p[0][0].isdigit() or not p[1].startswith('['): continue
    try: t = float(p[0]); w, d, r = map(float, p[-3:])
    except ValueError: continue
    task = " ".join(p[2:-3]); name, _, ids = task.rpartition('['); t_id = ids.rstrip(']').split('/')[0]
    start = t - r / 1000  # timehist prints at switch-out; run started r ms before
    if t_id == tid:
        if r * 1000 >= mn: runs.append((start, t, r * 1000))
    else:
        ev.append((start, name.strip()))
ev.sort(); times = [e[0] for e in ev]
stall = busy = 0; stall_us = busy_us = 0.0
for s, e, r in runs:
    i, j = bisect.bisect_left(times, s), bisect.bisect_left(times, e)
    others = [n for _, n in ev[i:j] if n.startswith(("wrk", "nginx"))]
    if len(others) <= 2: stall += 1; stall_us += r
    else: busy += 1; busy_us += r
print(f"  runs >= {mn:.0f} us: {len(runs)}; with wrk/nginx switched in <= 2 times meanwhile (a stall): {stall} ({stall_us/1000:.1f} ms), with requests moving: {busy} ({busy_us/1000:.1f} ms)")
for s, e, r in sorted(runs, key=lambda x: -x[2])[:8]:
    i, j = bisect.bisect_left(times, s), bisect.bisect_left(times, e)
    others = [n for _, n in ev[i:j]]
    print(f"    {s:.6f} run {r:6.0f} us, others switched in: {len(others)} ({', '.join(sorted(set(others)))[:100]})")
