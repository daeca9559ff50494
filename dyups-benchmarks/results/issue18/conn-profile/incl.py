# incl.py FILE [PATTERN...]: a collapsed async-profiler file: the frames with the largest inclusive share of samples, or the share of the stacks holding each PATTERN
import sys, collections
f = sys.argv[1]; pats = sys.argv[2:]
tot = 0; inc = collections.Counter(); selfc = collections.Counter()
for line in open(f):
    st, n = line.rsplit(' ', 1); n = int(n); tot += n
    frames = st.split(';')
    selfc[frames[-1]] += n
    for fr in set(frames):
        inc[fr] += n
print("total", tot)
if pats:
    for p in pats:
        s = sum(n for line in open(f) for st, n in [line.rsplit(' ',1)] if p in st for n in [int(n)])
        print(f"{100*s/tot:5.1f}% {p}")
else:
    for fr, n in inc.most_common(120): print(f"{100*n/tot:5.1f}% {fr[:150]}")
