#!/usr/bin/env python3
# cycle.py SCRIPT: per client connection, the time between two answers handed to the kernel (see cycle.sh).
# dyups: io_uring_submit_req of WRITEV (Netty 4.2.18's user_data: the channel's id above bit 32); the client
# answer is the only WRITEV (requests to a backend go out as SEND). nginx: writev enter (fd) then exit (bytes);
# a writev of fewer than 100 bytes is a request to a backend, the rest answers to clients.
import sys, re, collections
sub = re.compile(r"io_uring_submit_req:.*user_data 0x([0-9a-f]+), opcode WRITEV")
ent = re.compile(r"^\s*\d+\s+([\d.]+):\s+syscalls:sys_enter_writev: fd: 0x([0-9a-f]+)")
ext = re.compile(r"syscalls:sys_exit_writev: 0x([0-9a-f]+)")
ts = collections.defaultdict(list); pending = None
for line in open(sys.argv[1]):
    m = sub.search(line)
    if m:
        ts[int(m.group(1), 16) >> 32].append(float(line.split(":")[0].split()[-1])); continue
    m = ent.match(line)
    if m: pending = (float(m.group(1)), int(m.group(2), 16)); continue
    m = ext.search(line)
    if m and pending:
        if int(m.group(1), 16) >= 100: ts[pending[1]].append(pending[0])
        pending = None
cyc = sorted((b - a) * 1e6 for v in ts.values() for a, b in zip(v, v[1:]) if b - a < 1.0)  # a renewal's gap aside
n = len(cyc)
if not n: print("  no cycles"); sys.exit()
q = lambda p: cyc[min(n - 1, int(p / 100 * n))]
print(f"  cycles {n}: p50 {q(50):.0f} p90 {q(90):.0f} p95 {q(95):.0f} p97 {q(97):.0f} p99 {q(99):.0f} p99.9 {q(99.9):.0f} us; "
      f">500us {sum(c > 500 for c in cyc)}, >1ms {sum(c > 1000 for c in cyc)} ({sum(c > 1000 for c in cyc) / n * 100:.2f}%), "
      f"time in cycles >1ms {sum(c for c in cyc if c > 1000) / 1000:.0f} ms")
