import json,sys,statistics,glob,os,collections
pool=collections.defaultdict(list)
for d in sys.argv[1:]:
    for f in glob.glob(d+'/load-*.json'):
        name=os.path.basename(f)[5:-5].rstrip('0123456789').rsplit('-',1)[0]
        for b in json.load(open(f)):
            if b['benchmark'].endswith('.load'):
                pool[name]+=b['primaryMetric']['rawData'][0]
for k,v in sorted(pool.items()):
    print(f"{k:10s} {len(v)} loads: median {statistics.median(v):.1f} ms, mean {statistics.mean(v):.1f}, quartiles {statistics.quantiles(v,n=4)[0]:.0f}-{statistics.quantiles(v,n=4)[2]:.0f}")
