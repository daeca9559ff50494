# pairab.py FILE...: pair.sh output (cost.sh's lines: "dyups" is slot A, "nginx" slot B, named on the file's first
# line A=x.jar B=y.jar); each round's two lines as a pair; per build: medians of requests/s and CPU per request,
# and the median over rounds of the second build's figure over the first's (named by the first file's A).
import re, statistics, sys
first = None; ratios_cpu = []; ratios_rps = []; vals = {}
for f in sys.argv[1:]:
    lines = open(f).read().splitlines()
    m = re.match(r"A=(\S+)\.jar B=(\S+)\.jar", next(l for l in lines if l.startswith("A=")))
    name = {"dyups": m.group(1), "nginx": m.group(2)}
    first = first or m.group(1)
    rows = []
    for l in lines:
        r = re.match(r"\S+ \S+ (dyups|nginx) RESULT rps=(\d+) .*cpu_us=([\d.]+)", l)
        if r: rows.append((name[r.group(1)], int(r.group(2)), float(r.group(3))))
    for a, b in zip(rows[0::2], rows[1::2]):
        x = {a[0]: a, b[0]: b}
        base, other = x[first], next(v for k, v in x.items() if k != first)
        ratios_cpu.append(other[2] / base[2]); ratios_rps.append(other[1] / base[1])
        for v in (base, other): vals.setdefault(v[0], []).append(v)
for k, v in vals.items():
    print(f"{k}: rounds={len(v)} rps median {statistics.median(x[1] for x in v):.0f}, cpu per request median {statistics.median(x[2] for x in v):.1f} us")
print(f"other/{first} per round: cpu {', '.join(f'{r:.2f}' for r in ratios_cpu)}; median {statistics.median(ratios_cpu):.3f}")
print(f"other/{first} per round: rps {', '.join(f'{r:.2f}' for r in ratios_rps)}; median {statistics.median(ratios_rps):.3f}")
