#!/usr/bin/env python3
# threads.py snap PID... > file : one line per thread of each PID: pid tid comm run_ns wait_ns slices vol invol
# threads.py diff BEFORE AFTER REQUESTS : per thread that ran, per request: run us, wait us, voluntary and
# involuntary switches; threads that appeared or ended are marked. Reads /proc only (starts no process).
import os, sys
def snap(pids):
    for pid in pids:
        for tid in os.listdir(f"/proc/{pid}/task"):
            d = f"/proc/{pid}/task/{tid}"
            try:
                comm = open(d + "/comm").read().strip().replace(" ", "_")
                run, wait, slices = open(d + "/schedstat").read().split()
                st = dict(l.split(":\t") for l in open(d + "/status").read().splitlines() if ":\t" in l)
                print(pid, tid, comm, run, wait, slices, st["voluntary_ctxt_switches"].strip(), st["nonvoluntary_ctxt_switches"].strip())
            except OSError:
                pass
def load(f):
    r = {}
    for l in open(f):
        p = l.split()
        r[(p[0], p[1])] = (p[2], *map(int, p[3:]))
    return r
if sys.argv[1] == "snap":
    snap(sys.argv[2:])
else:
    a, b, n = load(sys.argv[2]), load(sys.argv[3]), float(sys.argv[4])
    print(f"{'pid':>7} {'tid':>7} {'thread':<24} {'run_us/req':>10} {'wait_us/req':>11} {'slices/req':>10} {'vol/req':>8} {'invol/req':>9}")
    for k in sorted(set(a) | set(b), key=lambda k: (k[0], -((b.get(k) or (0,0))[1]))):
        x = a.get(k); y = b.get(k)
        if y is None: print(f"{k[0]:>7} {k[1]:>7} {x[0]:<24} (ended)"); continue
        x = x or (y[0], 0, 0, 0, 0, 0)
        d = [y[i] - x[i] for i in range(1, 6)]
        if not any(d): continue
        mark = "" if k in a else " (new)"
        print(f"{k[0]:>7} {k[1]:>7} {y[0]:<24} {d[0]/1e3/n:10.2f} {d[1]/1e3/n:11.2f} {d[2]/n:10.3f} {d[3]/n:8.3f} {d[4]/n:9.3f}{mark}")
