#!/usr/bin/env python3
# corrected.py SCRIPT REQUESTS SECONDS [CONNECTIONS]: the cycles cycle.py takes from a proxy's trace, put through
# wrk's own correction (wrk.c stats_correct, applied to its histogram before it prints or hands it to a script's
# done(): every sample v above interval = run time / (requests / connections) also adds v - interval,
# v - 2 interval, ... down to interval), to show how few long cycles make wrk's p99.
import sys, subprocess, re
script, req, sec = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]); conns = int(sys.argv[4]) if len(sys.argv) > 4 else 2
here = __import__("os").path.dirname(__file__)
# reuse cycle.py's parsing
ns = {}; exec(open(f"{here}/cycle.py").read().split("cyc = sorted")[0].replace("sys.argv[1]", repr(script)), ns)
cyc = sorted((b - a) * 1e6 for v in ns["ts"].values() for a, b in zip(v, v[1:]) if b - a < 1.0)
interval = sec * 1e6 / (req / conns)
out = list(cyc)
for v in cyc:
    x = v - interval
    while x >= interval:
        out.append(x); x -= interval
def q(v, p): v = sorted(v); return v[min(len(v) - 1, int(p / 100 * len(v)))]
print(f"  interval {interval:.0f} us; uncorrected: p97 {q(cyc,97):.0f} p99 {q(cyc,99):.0f} us; corrected as wrk does: "
      f"{len(out) - len(cyc)} samples added, p97 {q(out,97):.0f} p99 {q(out,99):.0f} us")
