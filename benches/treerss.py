#!/usr/bin/env python3
# treerss.py COMMAND... -- peak RSS summed over COMMAND and all its descendants,
# sampled every 20 ms from /proc (for tools that fan out into processes).
import os, subprocess, sys, time
def tree_rss(root):
    kids = {}
    for p in os.listdir('/proc'):
        if not p.isdigit(): continue
        try:
            with open(f'/proc/{p}/stat') as f: st = f.read()
            ppid = int(st.rsplit(')', 1)[1].split()[1])
            kids.setdefault(ppid, []).append(int(p))
        except Exception: pass
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        try:
            with open(f'/proc/{pid}/status') as f:
                for l in f:
                    if l.startswith('VmRSS:'): total += int(l.split()[1])
        except Exception: pass
        stack += kids.get(pid, [])
    return total
p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
peak = 0
while p.poll() is None:
    peak = max(peak, tree_rss(p.pid)); time.sleep(0.02)
print(f"{peak/1024:.0f} MiB summed over the process tree (sampled every 20 ms)")
