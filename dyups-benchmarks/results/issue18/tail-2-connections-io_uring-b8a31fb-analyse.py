import sys, collections
samples = collections.defaultdict(dict)   # t -> {(owner, comm, tid): vals}
for l in open(sys.argv[1]):
    f = l.split()
    if len(f) < 8: continue
    samples[float(f[0])][(f[1], f[2], f[3])] = [int(x) for x in f[4:8]]
ts = sorted(samples)
def busy_windows(owner, comm_prefix, threshold=0.3):
    out = []
    for a, b in zip(ts, ts[1:]):
        run = sum(v[0] - samples[a][k][0] for k, v in samples[b].items()
                  if k[0] == owner and k[1].startswith(comm_prefix) and k in samples[a])
        if run / ((b - a) * 1e9) > threshold:
            out.append((a, b))
    return out
for owner, prefix in (("dyups", "dyups-loop"), ("nginx", "nginx")):
    windows = busy_windows(owner, prefix)
    secs = sum(b - a for a, b in windows)
    tot = collections.defaultdict(lambda: [0, 0, 0, 0])
    for a, b in windows:
        for k, v in samples[b].items():
            if k in samples[a] and (k[0] == owner or k[0] == "backends"):
                for i in range(4):
                    tot[(k[0], k[1])][i] += v[i] - samples[a][k][i]
    print(f"{owner}: {len(windows)} busy intervals, {secs:.1f} s")
    for k, v in sorted(tot.items(), key=lambda kv: -kv[1][0]):
        if v[0] / secs / 1e6 < 1 and v[1] / secs / 1e6 < 1: continue
        print(f"  {k[0]:9} {k[1]:24} run {v[0]/secs/1e6:6.0f} ms/s  wait {v[1]/secs/1e6:6.0f} ms/s  voluntary {v[2]/secs:8.0f}/s  involuntary {v[3]/secs:7.0f}/s")
print("per stretch of the proxy's busy loop:")
w = busy_windows("dyups", "dyups-loop")
segs = []
for a, b in w:
    if segs and abs(segs[-1][1] - a) < 1e-6:
        segs[-1][1] = b
    else:
        segs.append([a, b])
for a, b in segs:
    i, j = ts.index(a), ts.index(b)
    def d(comm):
        return sum(samples[ts[j]][k][0] - samples[ts[i]][k][0] for k in samples[ts[j]] if k[0] == "dyups" and k[1].startswith(comm) and k in samples[ts[i]]) / (b - a) / 1e6
    def wt(comm):
        return sum(samples[ts[j]][k][1] - samples[ts[i]][k][1] for k in samples[ts[j]] if k[0] == "dyups" and k[1].startswith(comm) and k in samples[ts[i]]) / (b - a) / 1e6
    print(f"  {b - a:5.1f} s: loop run {d('dyups-loop'):4.0f} wait {wt('dyups-loop'):4.0f} ms/s; C2 run {d('C2'):4.0f} ms/s; C1 {d('C1'):3.0f}; GC {d('GC'):3.0f}")
print("second by second in the busy stretches (loop run, loop wait, C2 run, ms/s):")
for a, b in w:
    def d(comm, i=0):
        return sum(samples[b][k][i] - samples[a][k][i] for k in samples[b] if k[0] == "dyups" and k[1].startswith(comm) and k in samples[a]) / (b - a) / 1e6
    print(f"  {a - ts[0]:6.1f} {d('dyups-loop'):4.0f} {d('dyups-loop', 1):4.0f} {d('C2'):4.0f}")
