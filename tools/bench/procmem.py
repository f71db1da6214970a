#!/usr/bin/python3
# procmem.py - memory of every process in process group PGID, summed per
# command name, from /proc/PID/smaps_rollup and /proc/PID/status (KiB):
# {"comm": {"procs": n, "rss": .., "pss": .., "private": Private_Clean+Private_Dirty,
#           "pte": VmPTE}, ..., "_kernel": {"KernelStack": .., "PageTables": ..}}
# usage: procmem.py PGID
import json, os, sys

pgid = int(sys.argv[1])
out = {}
for p in os.listdir('/proc'):
    if not p.isdigit():
        continue
    try:
        with open('/proc/%s/stat' % p) as f:
            st = f.read()
        # comm may hold spaces and parens: split after the last ')'
        comm = st[st.index('(') + 1:st.rindex(')')]
        if int(st[st.rindex(')') + 2:].split()[2]) != pgid:
            continue
        roll = {}
        with open('/proc/%s/smaps_rollup' % p) as f:
            for line in f:
                k, _, v = line.partition(':')
                if v.strip().endswith('kB'):
                    roll[k] = int(v.split()[0])
        pte = 0
        with open('/proc/%s/status' % p) as f:
            for line in f:
                if line.startswith('VmPTE:'):
                    pte = int(line.split()[1])
    except (OSError, ValueError):
        continue               # the process went away
    d = out.setdefault(comm, {'procs': 0, 'rss': 0, 'pss': 0, 'private': 0, 'pte': 0})
    d['procs'] += 1
    d['rss'] += roll.get('Rss', 0)
    d['pss'] += roll.get('Pss', 0)
    d['private'] += roll.get('Private_Clean', 0) + roll.get('Private_Dirty', 0)
    d['pte'] += pte
k = {}
with open('/proc/meminfo') as f:
    for line in f:
        name, _, v = line.partition(':')
        if name in ('KernelStack', 'PageTables', 'Slab', 'MemAvailable'):
            k[name] = int(v.split()[0])
out['_kernel'] = k
print(json.dumps(out, sort_keys=True))
