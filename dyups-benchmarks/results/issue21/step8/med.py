import json,sys,statistics,glob,collections
by=collections.defaultdict(list); alloc=collections.defaultdict(list)
for f in sorted(glob.glob(sys.argv[1] if len(sys.argv)>1 else '*.json')):
    if __import__("os").path.getsize(f)==0: continue
    name=f.split('-',2)[2].rsplit('.json',1)[0]
    for r in json.load(open(f)):
        by[name]+=r['primaryMetric']['rawData'][0]
        sm=r.get('secondaryMetrics',{})
        if 'gc.alloc.rate.norm' in sm: alloc[name].append(sm['gc.alloc.rate.norm']['score']/1e6)
for k,v in by.items():
    q=statistics.quantiles(v,n=4)
    print(f"{k}: n={len(v)} median {statistics.median(v):.1f} ms  quartiles {q[0]:.0f}-{q[2]:.0f}  alloc {statistics.mean(alloc[k]):.1f} MB")
