import json,sys,re,statistics,glob,os
d=sys.argv[1]
for f in sorted(glob.glob(d+'/load-*.json')):
    name=os.path.basename(f)[5:-5]
    j=json.load(open(f))
    for b in j:
        raw=b['primaryMetric']['rawData'][0]
        med=statistics.median(raw)
        alloc=b['secondaryMetrics'].get('gc.alloc.rate.norm',{}).get('score',0)
        cnt=b['secondaryMetrics'].get('gc.count',{}).get('score',0)
        gct=b['secondaryMetrics'].get('gc.time',{}).get('score',0)
        gl=d+'/gc-'+name+'.log'
        pauses=[]
        if os.path.exists(gl):
            for line in open(gl):
                m=re.search(r'Pause.* (\d+\.\d+)ms$',line.strip())
                if m: pauses.append(float(m.group(1)))
        print(f"{name:12s} {b['benchmark'].split('.')[-1]:14s} median {med:8.1f} ms  iters {min(raw):.0f}-{max(raw):.0f}  alloc {alloc/1e6:.1f} MB  gc.count {cnt:.0f} gc.time {gct:.0f} ms  log pauses {len(pauses)} sum {sum(pauses):.0f} ms (13 loads: {sum(pauses)/13:.0f}/load)")
