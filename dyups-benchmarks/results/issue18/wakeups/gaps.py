#!/usr/bin/env python3
# gaps.py SCRIPT LOOP_TID: from a perf script with io_uring and sched_switch events of the whole machine, each gap
# of 500 us or more in the ring's activity (no submission or completion at all: neither connection moved in the
# proxy), and whether the loop thread was on a core through it (a stall in the JVM: compiled code being replaced,
# a safepoint, the loop's own work) or off it (waiting for a core, or asleep while wrk and the backend had the
# requests), and what else ran meanwhile.
import sys, re, collections
path, loop = sys.argv[1], sys.argv[2]
io = []; sw = []
for line in open(path):
    p = line.split()
    if len(p) < 4: continue
    try: t = float(p[2].rstrip(':'))
    except ValueError: continue
    if 'io_uring:' in line: io.append(t)
    elif 'sched:sched_switch' in line:
        m = re.search(r"prev_comm=(.*?) prev_pid=(\d+) .*prev_state=(\S+) ==> next_comm=(.*?) next_pid=(\d+)", line)
        if m: sw.append((t, p[1], m.group(1), m.group(2), m.group(3), m.group(4), m.group(5)))
io.sort()
gaps = [(a, b) for a, b in zip(io, io[1:]) if b - a >= 0.0005]
kinds = collections.Counter(); ktime = collections.Counter(); who = collections.Counter()
for a, b in gaps:
    on = 0.0; cur = None; state = None
    # was the loop on a core during [a, b]? walk its switches
    last_in = None; for_state = None
    for t, cpu, pc, pp, ps, nc, np in sw:
        if t < a - 0.05: continue
        if t > b: break
        if np == loop: last_in = t
        if pp == loop:
            if t > a: on += t - max(a, last_in if last_in is not None else a)
            last_in = None; for_state = ps
        if a <= t <= b and np != loop and nc not in ("swapper/0", "swapper/1"): who[nc] += 1
    if last_in is not None: on += b - max(a, last_in)
    if last_in is None and on == 0 and for_state is None:
        # no switch of the loop near the gap: it ran through it, or slept through it; look back
        prev = [s for s in sw if s[0] <= a and (s[3] == loop or s[6] == loop)]
        if prev and prev[-1][6] == loop: on = b - a
    frac = on / (b - a)
    k = "loop on a core throughout" if frac > 0.9 else ("loop off its core throughout" if frac < 0.1 else "mixed")
    kinds[k] += 1; ktime[k] += b - a
print(f"  ring gaps >= 500 us: {len(gaps)}, {sum(b - a for a, b in gaps) * 1000:.1f} ms")
for k in kinds: print(f"    {k}: {kinds[k]} gaps, {ktime[k] * 1000:.1f} ms")
print("    tasks switched in during the gaps:", ", ".join(f"{k} {v}" for k, v in who.most_common(8)))
