#!/usr/bin/python3
# sni-report.py OUT - the markdown report of tools/bench/sni from
# OUT/results.txt and OUT/mem-*.json (see the head of tools/bench/sni).
import json, os, statistics, sys

out = sys.argv[1]
HZ = os.sysconf('SC_CLK_TCK')
NAMES = {'direct': 'direct loopback (ceiling)', 'dcr2': 'dcr-sniproxy -w 2', 'dcr1': 'dcr-sniproxy -w 1',
         'sniproxy': 'sniproxy 0.6 (Debian)', 'haproxy': 'HAProxy 2.6 (mode tcp, req.ssl_sni)'}
thr, cps, mem, meta, order = {}, {}, [], {}, []

for line in open(os.path.join(out, 'results.txt')):
    f = line.split()
    if not f or f[0].startswith('#'):
        continue
    if f[0] in ('thr', 'thrcopy'):
        t = f[1]
        order.append(t) if t not in order else None
        thr.setdefault(f[0], {}).setdefault(t, []).append((int(f[3]), float(f[4]), int(f[5]), int(f[6])))
    elif f[0] == 'cps':
        t, conc = f[1], int(f[3])
        order.append(t) if t not in order else None
        cps.setdefault((t, conc), []).append((int(f[4]), float(f[5]), int(f[6]), int(f[7]), int(f[8])))
    elif f[0] == 'mem':
        mem.append((f[1], int(f[2]), f[3:]))
    else:
        meta[f[0]] = ' '.join(f[1:])


def med(xs):
    return statistics.median(xs) if xs else float('nan')


def rng(xs, fmt):
    return (fmt + '–' + fmt) % (min(xs), max(xs)) if len(xs) > 1 else ''


print('# SNI splicer benchmark\n')
for k in ('head', 'dcr_sha256', 'params', 'machine_before'):
    if k in meta:
        print('- %s: %s' % (k, meta[k]))
print('- 2 CPUs shared by the client, the back end and the splicer; medians of the repetitions\n')

TITLES = {'thr': 'Throughput: one connection, back end -> client, zero-copy ends (sendfile, recv MSG_TRUNC)',
          'thrcopy': 'Throughput: the same with copying ends (write from a buffer, recv into one)'}
for kind in ('thr', 'thrcopy'):
    rows = thr.get(kind)
    if not rows:
        continue
    print('## %s\n' % TITLES[kind])
    print('| target | GB/s | min–max | % of direct | splicer CPU s per GiB | machine busy CPU s per GiB |')
    print('|---|---|---|---|---|---|')
    base = med([b / s / 1e9 for b, s, c, m in rows.get('direct', [])])
    for t in order:
        if t not in rows:
            continue
        rates = [b / s / 1e9 for b, s, c, m in rows[t]]
        cpu = med([c / HZ / (b / 2 ** 30) for b, s, c, m in rows[t]])
        busy = med([m / HZ / (b / 2 ** 30) for b, s, c, m in rows[t]])
        print('| %s | %.2f | %s | %s | %s | %.2f |' % (
            NAMES.get(t, t), med(rates), rng(rates, '%.2f'),
            '%.0f%%' % (100 * med(rates) / base) if base == base and t != 'direct' else '—',
            '%.2f' % cpu if t != 'direct' else '—', busy))
    print()

if cps:
    concs = sorted(set(c for t, c in cps), reverse=True)
    print('## Connections per second: connect, ClientHello, 1-byte answer, close\n')
    print('| target | ' + ' | '.join('%d at a time (min–max)' % c for c in concs) +
          ' | errors | splicer CPU µs per connection (%d at a time) |' % concs[0])
    print('|---|' + '---|' * len(concs) + '---|---|')
    for t in order:
        cells, errs = [], 0
        for c in concs:
            rs = [d / s for d, s, e, cp, b in cps.get((t, c), [])]
            errs += sum(e for d, s, e, cp, b in cps.get((t, c), []))
            cells.append('%.0f %s' % (med(rs), '(%s)' % rng(rs, '%.0f') if len(rs) > 1 else '') if rs else '—')
        us = [cp / HZ / d * 1e6 for d, s, e, cp, b in cps.get((t, concs[0]), []) if d]
        print('| %s | %s | %d | %s |' % (NAMES.get(t, t), ' | '.join(cells), errs,
                                         '%.0f' % med(us) if us and t != 'direct' else '—'))
    print()


def memsum(path):
    try:
        d = json.load(open(path))
    except (OSError, ValueError):
        return None
    tot = {'pss': 0, 'private': 0, 'rss': 0, 'procs': 0}
    for comm, v in d.items():
        if comm.startswith('_'):
            continue
        for k in tot:
            tot[k] += v[k]
    tot['slab'] = d.get('_kernel', {}).get('Slab', 0)
    return tot


if mem:
    print('## Memory per idle connection after routing (KiB)\n')
    print('PSS and private memory of the splicer\'s processes (smaps_rollup), during minus before, '
          'per connection; "PSS during / connections" is the whole footprint divided by the '
          'connections (an upper bound: memory reserved at start is in it); the kernel\'s slab '
          'growth (the whole machine: client, splicer and back-end sockets) beside it.\n')
    print('| target | connections | held (errors) | processes | PSS per conn | private per conn | PSS during / connections | RSS before -> during | kernel slab per conn |')
    print('|---|---|---|---|---|---|---|---|---|')
    for t, n, rest in mem:
        a = memsum(os.path.join(out, 'mem-%s-%d-0.json' % (t, n)))
        b = memsum(os.path.join(out, 'mem-%s-%d-1.json' % (t, n)))
        held = int(rest[1]) if len(rest) > 2 else 0
        errs = int(rest[2]) if len(rest) > 2 else n
        if not a or not b or not held:
            print('| %s | %d | %d (%d) | — | — | — | — | — | — |' % (NAMES.get(t, t), n, held, errs))
            continue
        print('| %s | %d | %d (%d) | %d | %.2f | %.2f | %.2f | %d -> %d | %.2f |' % (
            NAMES.get(t, t), n, held, errs, b['procs'], (b['pss'] - a['pss']) / held,
            (b['private'] - a['private']) / held, b['pss'] / held, a['rss'], b['rss'],
            (b['slab'] - a['slab']) / held))
    print()
