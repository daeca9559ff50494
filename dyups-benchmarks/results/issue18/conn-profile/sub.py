# sub.py FILE FRAME [DEPTH]: what runs under FRAME (its inclusive share), by the DEPTH frames below it
import sys, collections
f, root = sys.argv[1], sys.argv[2]; depth = int(sys.argv[3]) if len(sys.argv) > 3 else 1
tot = 0; c = collections.Counter(); rt = 0
for line in open(f):
    st, n = line.rsplit(' ', 1); n = int(n); tot += n
    fr = st.split(';')
    if root in fr:
        i = fr.index(root); rt += n
        c[';'.join(x.split('/')[-1][:60] for x in fr[i+1:i+1+depth]) or '<self>'] += n
print(f"{root}: {100*rt/tot:.1f}% of {tot}")
for k, n in c.most_common(25): print(f"  {100*n/tot:5.2f}% {k}")
