# pairs.py FILE...: cost.sh output, each round's dyups line with its nginx line (they come in pairs), as ratios;
# then per label the medians of dyups's requests/s, p99 and CPU per request and of the ratios.
import re, statistics, sys, collections
rows = []
for f in sys.argv[1:]:
    for line in open(f):
        m = re.match(r"(\S+) (\S+) (dyups|nginx) RESULT rps=(\d+) .*p99=(\d+) .*cpu_us=([\d.]+) jit_ms=(\d+)", line)
        if m:
            rows.append((m.group(1), m.group(2), m.group(3), int(m.group(4)), int(m.group(5)), float(m.group(6)), int(m.group(7))))
by = collections.defaultdict(list)
for a, b in zip(rows[0::2], rows[1::2]):
    d, n = (a, b) if a[2] == "dyups" else (b, a)
    by[(d[0], d[1])].append((d[3], n[3], d[4], n[4], d[5], n[5], d[6]))
for (label, mode), rs in by.items():
    med = lambda i: statistics.median(r[i] for r in rs)
    ratio = lambda i, j: statistics.median(r[i] / r[j] for r in rs)
    print(f"{label} {mode} rounds={len(rs)} dyups rps={med(0):.0f} nginx rps={med(1):.0f} ratio={ratio(0,1):.2f}"
          f" | p99 {med(2)} / {med(3)} us ratio={ratio(2,3):.2f} | cpu {med(4):.1f} / {med(5):.1f} us ratio={ratio(4,5):.2f}"
          f" | jit_ms {min(r[6] for r in rs)}-{max(r[6] for r in rs)}")
    print("   per round rps ratio: " + ", ".join(f"{r[0]/r[1]:.2f}" for r in rs) + "; cpu ratio: " + ", ".join(f"{r[4]/r[5]:.2f}" for r in rs))
