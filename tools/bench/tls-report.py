#!/usr/bin/python3
# tls-report.py - the markdown report of tools/bench/tls from OUT's
# results.jsonl and mem-*.json. usage: tls-report.py OUT
import json, os, statistics, sys

out = sys.argv[1]
rows, extra, mems = [], {}, []
with open(os.path.join(out, 'results.jsonl')) as f:
    for line in f:
        d = json.loads(line)
        if 'server' in d:
            rows.append(d)
        elif 'memory' in d:
            mems.append(d)
        else:
            extra.update(d)

groups = {}
for r in rows:
    groups.setdefault((r['load']['mode'], r['sessions'], r['server']), []).append(r)

print('| measure | sessions | dcrouter | Postfix | ratio dcrouter/Postfix |')
print('|---|---|---|---|---|')
cpu_lines, ciphers, failed = [], set(), 0
for mode in ('hs', 'starttls', 'mail'):
    for s in sorted({k[1] for k in groups}, reverse=True):
        d, p = groups.get((mode, s, 'dcrouter')), groups.get((mode, s, 'postfix'))
        if not d or not p:
            continue
        md = statistics.median(x['load']['rate'] for x in d)
        mp = statistics.median(x['load']['rate'] for x in p)
        rng = lambda g: '%.0f-%.0f' % (min(x['load']['rate'] for x in g), max(x['load']['rate'] for x in g))
        what = {'hs': 'implicit TLS handshakes/s', 'starttls': 'STARTTLS handshakes/s', 'mail': 'TLS receive msgs/s'}[mode]
        print('| %s | %d | %.0f (%s) | %.0f (%s) | **%.2fx** |' % (what, s, md, rng(d), mp, rng(p), md / mp if mp else 0))
        for name, g in (('dcrouter', d), ('Postfix', p)):
            srv = statistics.median((x['busy_cpu'] - x['load']['client_cpu']) * 1000 / max(1, x['load']['done']) for x in g)
            cpu_lines.append('| %s | %d | %s | %.2f |' % (what, s, name, srv))
            for x in g:
                ciphers.add('%s: %s' % (name, x['load']['cipher']))
                failed += x['load']['failed']
print()
print('Server CPU per operation (whole machine busy CPU minus the client\'s, ms):')
print()
print('| measure | sessions | server | ms |')
print('|---|---|---|---|')
for l in cpu_lines:
    print(l)
print()
print('Suites negotiated: ' + '; '.join(sorted(ciphers)) + '. Failed operations: %d.' % failed)
if extra:
    print('Messages received: dcrouter queue %s, Postfix hold queue %s.' % (extra.get('queued_dcr'), extra.get('queued_pf')))
print()
print('Memory per idle TLS session (after the handshake and the 220):')
print()
print('| server | sessions | private KiB/session | PSS KiB/session | processes/session |')
print('|---|---|---|---|---|')
for m in mems:
    with open(os.path.join(out, 'mem-%s-0.json' % m['memory'])) as f:
        a = json.load(f)
    with open(os.path.join(out, 'mem-%s-1.json' % m['memory'])) as f:
        b = json.load(f)
    comms = m['comms'].split()
    tot = lambda j, k: sum(j.get(c, {}).get(k, 0) for c in comms)
    n = m['idle']
    print('| %s (%s) | %d | %.1f | %.1f | %.2f |' % (m['memory'], ' + '.join(comms), n,
          (tot(b, 'private') - tot(a, 'private')) / n, (tot(b, 'pss') - tot(a, 'pss')) / n,
          (tot(b, 'procs') - tot(a, 'procs')) / n))
