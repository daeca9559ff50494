# Samples every thread of the dyups proxy JVM and of nginx's proxy workers twice a second, with no child processes:
# "time owner thread tid run_ns wait_ns voluntary involuntary"
import os, sys, time
out = open(sys.argv[1], "w")
def cmdline(p):
    try:
        return open(f"/proc/{p}/cmdline", "rb").read().split(b"\0")
    except OSError:
        return []
def targets():
    found = []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        c = cmdline(p)
        if c and c[0].endswith(b"java") and any(a.endswith(b"dyups-proxy.jar") for a in c):
            found.append(("dyups", p, True))
        elif c and c[0].startswith(b"nginx: worker"):
            try:
                ppid = open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()[1]
            except OSError:
                continue
            m = b" ".join(cmdline(ppid))
            role = "nginx-nk" if b"/nginx-nk" in m else "nginx" if b"/nginx " in m or m.endswith(b"/nginx") else "backends"
            found.append((role, p, False))
    return found
while True:
    t = time.time()
    for owner, p, threads in targets():
        tids = os.listdir(f"/proc/{p}/task") if threads else [p]
        for tid in tids:
            base = f"/proc/{p}/task/{tid}"
            try:
                run, wait, _ = open(base + "/schedstat").read().split()
                comm = open(base + "/comm").read().strip().replace(" ", "_")
                v = n = 0
                for line in open(base + "/status"):
                    if line.startswith("voluntary_ctxt"):
                        v = line.split()[1]
                    elif line.startswith("nonvoluntary_ctxt"):
                        n = line.split()[1]
            except (OSError, ValueError):
                continue
            out.write(f"{t:.3f} {owner} {comm} {tid} {run} {wait} {v} {n}\n")
    out.flush()
    time.sleep(0.5)
