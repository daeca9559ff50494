import sys, re, collections, subprocess, json
f = sys.argv[1]
out = subprocess.run(['jfr', 'print', '--json', '--events', 'jdk.ExecutionSample', f], capture_output=True, text=True).stdout
data = json.loads(out)
events = data['recording']['events']
top = collections.Counter(); incl = collections.Counter(); threads = collections.Counter()
for e in events:
    v = e['values']
    frames = v['stackTrace']['frames'] if v.get('stackTrace') else []
    threads[v['sampledThread']['javaName'] if v.get('sampledThread') else '?'] += 1
    if not frames: continue
    def name(fr): return fr['method']['type']['name'].split('.')[-1] + '.' + fr['method']['name']
    top[name(frames[0])] += 1
    seen = set()
    for fr in frames:
        n = name(fr)
        if n not in seen:
            seen.add(n); incl[n] += 1
n = len(events)
print('samples', n)
print('threads', threads.most_common(8))
print('--- top self'); [print(f'{c*100/n:5.1f}% {k}') for k, c in top.most_common(30)]
print('--- inclusive'); [print(f'{c*100/n:5.1f}% {k}') for k, c in incl.most_common(60)]
