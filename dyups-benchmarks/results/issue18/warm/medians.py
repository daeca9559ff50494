# medians.py FILE...: per variant (the name's part after the run number: 1-std.txt, 2-renew.txt ...) and target,
# the medians over every round of the raw lines of proxy-bench.sh's compare part, and dyups's jit_ms per round.
import collections, os, re, statistics, sys
rows = collections.defaultdict(list)
for f in sys.argv[1:]:
    variant = os.path.basename(f).split("-", 1)[1].rsplit(".", 1)[0]
    for line in sorted(set(l for l in open(f) if re.match(r"^(dyups|nginx) \d+ RESULT", l))):
        rows[(variant, line.split()[0])].append(dict((k, float(v)) for k, v in re.findall(r"(\w+)=([\d.]+)", line)))
for (variant, target), rs in sorted(rows.items()):
    med = lambda k: statistics.median(r[k] for r in rs)
    out = f"{variant} {target}: {len(rs)} rounds, requests/s {med('rps'):.0f}, p50 {med('p50'):.0f} us, p99 {med('p99'):.0f} us, " \
          f"p99.9 {med('p999'):.0f} us, CPU per request {med('cpu_us'):.1f} us (user {med('user_us'):.1f}, system {med('sys_us'):.1f})"
    if target == "dyups":
        out += ", jit_ms median %.0f, by round %s" % (med("jit_ms"), sorted(int(r["jit_ms"]) for r in rs))
    print(out)
