# rounds.py FILE...: proxy-bench.sh output (compare and close parts), each round's dyups line with the nginx line
# measured beside it, as ratios; per file the medians over its rounds, and over all files of one jar (the name's
# part after the run number: 1-base.txt, 2-c2.txt ...).
import re, statistics, sys, collections, os
pat = re.compile(r"^(dyups|nginx)(-close)? (\d+) RESULT requests=\d+ seconds=\S+ rps=([\d.]+) p50=(\d+) p99=(\d+) p999=(\d+) .*?cpu_us=([\d.]+).*?(?:jit_ms=(\d+))?")
per_jar = collections.defaultdict(lambda: collections.defaultdict(list))
for f in sys.argv[1:]:
    jar = os.path.basename(f).split("-", 1)[1].rsplit(".", 1)[0]
    seen, lines = set(), []
    for line in open(f):
        m = pat.match(line)
        # the raw results are printed again at the end: each line once
        if m and line not in seen:
            seen.add(line); lines.append(m)
    by = collections.defaultdict(list)
    for m in lines:
        by["close" if m.group(2) else "compare"].append(m)
    for part, ms in by.items():
        rounds = []
        for a, b in zip(ms[0::2], ms[1::2]):
            d, n = (a, b) if a.group(1) == "dyups" else (b, a)
            jit = re.search(r"jit_ms=(\d+)", d.string)
            rounds.append((float(d.group(4)), float(n.group(4)), int(d.group(6)), int(n.group(6)), float(d.group(8)), float(n.group(8)), int(jit.group(1)) if jit else -1))
        per_jar[jar][part] += rounds
        med = lambda i: statistics.median(r[i] for r in rounds)
        print(f"{os.path.basename(f)} {part}: dyups {med(0):.0f}/s p99 {med(2)} us cpu {med(4):.1f} us | nginx {med(1):.0f}/s p99 {med(3)} us cpu {med(5):.1f} us"
              f" | by round rps " + ", ".join(f"{r[0]/r[1]:.2f}" for r in rounds) + "; p99 " + ", ".join(f"{r[2]/r[3]:.2f}" for r in rounds)
              + "; cpu " + ", ".join(f"{r[4]/r[5]:.2f}" for r in rounds) + "; jit_ms " + ", ".join(str(r[6]) for r in rounds))
print()
for jar, parts in per_jar.items():
    for part, rounds in parts.items():
        med = lambda i: statistics.median(r[i] for r in rounds)
        rat = lambda i, j: statistics.median(r[i] / r[j] for r in rounds)
        print(f"{jar} {part} ({len(rounds)} rounds): medians dyups {med(0):.0f}/s, p99 {med(2)} us, cpu {med(4):.1f} us; nginx {med(1):.0f}/s, p99 {med(3)} us, cpu {med(5):.1f} us;"
              f" median of round ratios: rps {rat(0,1):.2f}x, p99 {rat(2,3):.2f}x, cpu {rat(4,5):.2f}x; ratio of medians: rps {med(0)/med(1):.2f}x, p99 {med(2)/med(3):.2f}x")
