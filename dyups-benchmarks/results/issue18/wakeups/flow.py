#!/usr/bin/env python3
# flow.py SCRIPT: from `perf script` of io_uring_submit_req / io_uring_complete (Netty 4.2.18's user_data: the
# channel's registration id above bit 32, the operation in bits 16-23), per request on a client channel:
#   proxy   = its request's receive completed -> the answer's write submitted (the loop and the backend)
#   backend = within that, the backend channel's write submitted -> its receive completed
#   outside = the answer's write submitted -> the next request's receive completed (the kernel, wrk, and the wait
#             until the loop takes the completion)
# Client and backend channels are told apart by what they receive: a request (< 100 bytes) or an answer.
import sys, re, collections, statistics
sub = re.compile(r"^\s*(\d+)\s+\[(\d+)\]\s+([\d.]+):\s+io_uring:io_uring_(submit_req|complete):.*user_data 0x([0-9a-f]+)(?:, opcode (\w+)|, result (-?\d+))")
ops = {}; ev = collections.defaultdict(list)   # channel -> [(t, kind, op, res)]
for line in open(sys.argv[1]):
    m = sub.match(line)
    if not m: continue
    t = float(m.group(3)); ud = int(m.group(5), 16); ch = ud >> 32; opb = (ud >> 16) & 0xff
    if m.group(4) == "submit_req":
        ops[(ch, opb)] = m.group(6); ev[ch].append((t, "s", m.group(6), 0))
    else:
        ev[ch].append((t, "c", ops.get((ch, opb), "?"), int(m.group(7))))
def recvs(evs): return [e for e in evs if e[1] == "c" and e[2] in ("RECV", "READ") and e[3] > 0]
clients = [ch for ch, e in ev.items() if recvs(e) and statistics.median(x[3] for x in recvs(e)) < 100]
backends = [ch for ch, e in ev.items() if recvs(e) and ch not in clients]
# backend round trips: write submitted -> next receive completed, on each backend channel
bt = []
for ch in backends:
    w = None
    for t, k, op, r in ev[ch]:
        if k == "s" and op in ("WRITE", "WRITEV", "SEND", "SENDMSG"): w = t
        elif k == "c" and op in ("RECV", "READ") and r > 0 and w is not None: bt.append((w, t)); w = None
bt.sort()
import bisect
bstart = [b[0] for b in bt]
rows = []
for ch in clients:
    e = ev[ch]; last_w = None; rin = None
    for t, k, op, r in e:
        if k == "c" and op in ("RECV", "READ") and r > 0:
            if last_w is not None and rin is None: pass
            out = (t - last_w) if last_w is not None else None
            rin = t; pend_out = out
        elif k == "s" and op in ("WRITE", "WRITEV", "SEND", "SENDMSG") and rin is not None:
            i = bisect.bisect_left(bstart, rin)
            back = (bt[i][1] - bt[i][0]) if i < len(bt) and bt[i][1] <= t + 1e-9 else None
            rows.append((t - rin, back, pend_out, t)); last_w = t; rin = None
def dist(name, v):
    v = sorted(x * 1e6 for x in v if x is not None)
    if not v: print(f"  {name}: none"); return
    q = lambda p: v[min(len(v) - 1, int(p / 100 * len(v)))]
    print(f"  {name:8} n={len(v):6d} p50 {q(50):6.0f} p90 {q(90):6.0f} p97 {q(97):6.0f} p99 {q(99):6.0f} p99.9 {q(99.9):6.0f} us; >500us {sum(x > 500 for x in v)}, >1ms {sum(x > 1000 for x in v)}")
print(f"  client channels {len(clients)}, backend channels {len(backends)}, requests {len(rows)}")
dist("proxy", [r[0] for r in rows]); dist("backend", [r[1] for r in rows]); dist("outside", [r[2] for r in rows])
slow = [r for r in rows if r[0] > 0.0005]
if slow:
    inb = [r[1] for r in slow if r[1] is not None]
    print(f"  requests with proxy > 500us: {len(slow)}; of their time, in the backend round trip: {sum(inb)/sum(r[0] for r in slow)*100:.0f}%")
sl2 = [r for r in rows if r[2] is not None and r[2] > 0.0005]
print(f"  requests with outside > 500us: {len(sl2)}")
# when the slow ones happen: per 250 ms of the record, requests and how many took > 500 us in the proxy or outside
if rows:
    t0 = min(r[3] for r in rows); b = collections.defaultdict(lambda: [0, 0])
    for r in rows:
        k = int((r[3] - t0) / 0.25); b[k][0] += 1; b[k][1] += r[0] > 0.0005 or (r[2] or 0) > 0.0005
    print("  per 250 ms (requests/slow):", " ".join(f"{b[k][0]}/{b[k][1]}" for k in sorted(b)))
