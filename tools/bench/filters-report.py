#!/usr/bin/python3
# filters-report.py - the markdown report of tools/bench/filters from its
# results.jsonl. usage: filters-report.py RESULTS.jsonl
import json, statistics, sys

live, micro, checks, busy, head, rsa = [], [], [], {}, {}, {}
for line in open(sys.argv[1]):
    d = json.loads(line)
    k = d.get('kind')
    if k == 'live': live.append(d)
    elif k == 'micro': micro.append(d)
    elif k == 'check': checks.append(d)
    elif k == 'micro-busy': busy[d['size']] = d['busy_pct']
    elif k == 'header': head = d
    elif k in ('rsa', 'openssl'): rsa[k] = d

med = statistics.median
def label(size): return '10 KB' if size < 100000 else '1 MB'
def rng(v): return ' (%.0f-%.0f)' % (min(v), max(v)) if len(v) > 1 else ''

print('# filters: dcrouter %s against Postfix %s + OpenDKIM %s' % (head.get('chain'), head.get('postfix'), head.get('opendkim')))
print()
print('%s, commit %s, %d sessions, %d reps, machine %s%% busy before the run (after waiting %s s for a quiet moment); dcr-mimecheck %s.' % (
    head.get('date'), head.get('commit'), head.get('sessions', 0), head.get('reps', 0), head.get('busy_before_pct'), head.get('waited_for_quiet_s', 0),
    'in the chain' if head.get('mimecheck') else 'NOT in the chain (not built or no rules): header+dkimsign only'))
print()
print('Signing checked on one stored message of each (dkimpy, the key\'s own public part):')
print()
for c in checks:
    print('- %s: %d DKIM-Signature%s%s' % (c['name'], c['signatures'], '' if c['signatures'] == 1 else 's',
          ', d=%s s=%s c=%s %s %s bits, h=%s, verified: %s' % (c['d'], c['s'], c['c'], c['a'], c.get('bits'), c['h'], c['verified'])
          if c['signatures'] else ''))
print()

groups = {}
for r in live:
    groups.setdefault((r['size'], r['system'], r['filters'] if r['filters'] in ('none', 'opendkim') else 'chain'), []).append(r)

def stats(g):
    n = lambda r: max(1, r['stored'])
    return {'rate': med(r['rate'] for r in g), 'rates': [r['rate'] for r in g],
            'srv': med((r['busy_cpu'] - r['client_cpu']) * 1000 / n(r) for r in g),
            'all': med(r['busy_cpu'] * 1000 / n(r) for r in g),
            'proc': med((r['server_cpu'] + r['milter_cpu']) * 1000 / n(r) for r in g),
            'milter': med(r['milter_cpu'] * 1000 / n(r) for r in g),
            'before': max(r['busy_before_pct'] for r in g),
            'notes': sorted({r['note'] for r in g if r['note']})}

print('## Live: smtp-source, one connection per message, median (min-max) of the reps')
print()
print('| message | system | filters | msgs/s | machine busy CPU ms/msg | minus smtp-source | server processes ms/msg | of which the milter | machine busy just before, max % |')
print('|---|---|---|---|---|---|---|---|---|')
S = {}
for size in sorted({k[0] for k in groups}):
    for sysname, filt, name in (('dcrouter', 'none', 'none'), ('dcrouter', 'chain', head.get('chain')),
                                ('postfix', 'none', 'none'), ('postfix', 'opendkim', 'OpenDKIM milter')):
        g = groups.get((size, sysname, filt))
        if not g: continue
        s = S[(size, sysname, filt)] = stats(g)
        print('| %s | %s | %s | %.0f%s | %.2f | %.2f | %.2f | %s | %d |' % (label(size), 'dcrouter' if sysname == 'dcrouter' else 'Postfix',
              name, s['rate'], rng(s['rates']), s['all'], s['srv'], s['proc'], '%.2f' % s['milter'] if filt == 'opendkim' else '', s['before']))
notes = sorted({n for s in S.values() for n in s['notes']})
if notes:
    print()
    print('Notes: ' + ' '.join(notes))
print()
print('"server processes": dcrouter: dcr-tcpd\'s process group (with the sessions and chains it reaped); '
      'Postfix: master\'s process group (smtpd, cleanup, ...), plus opendkim\'s process for the milter case.')
print()
print('## Ratios dcrouter/Postfix (msgs/s: above 1 dcrouter is faster; CPU: below 1 dcrouter uses less)')
print()
print('| message | case | msgs/s ratio | server CPU ratio (busy minus client) | server processes CPU ratio |')
print('|---|---|---|---|---|')
for size in sorted({k[0] for k in S}):
    for case, d, p in (('unfiltered', 'none', 'none'), ('filtered (chain vs OpenDKIM)', 'chain', 'opendkim')):
        a, b = S.get((size, 'dcrouter', d)), S.get((size, 'postfix', p))
        if a and b:
            print('| %s | %s | **%.2fx** | %.2f | %.2f |' % (label(size), case, a['rate'] / b['rate'] if b['rate'] else 0,
                  a['srv'] / b['srv'] if b['srv'] else 0, a['proc'] / b['proc'] if b['proc'] else 0))
print()
print('Cost of filtering, per message (filtered minus unfiltered, same system):')
print()
print('| message | system | msgs/s change | server CPU ms/msg added (busy minus client) | server processes ms/msg added |')
print('|---|---|---|---|---|')
for size in sorted({k[0] for k in S}):
    for sysname, f in (('dcrouter', 'chain'), ('postfix', 'opendkim')):
        a, b = S.get((size, sysname, 'none')), S.get((size, sysname, f))
        if a and b:
            print('| %s | %s | %+.0f%% | %.2f | %.2f |' % (label(size), 'dcrouter' if sysname == 'dcrouter' else 'Postfix',
                  100 * (b['rate'] / a['rate'] - 1) if a['rate'] else 0, b['srv'] - a['srv'], b['proc'] - a['proc']))
print()

print('## Each filter alone: CPU (user+sys) of `FILTER ARGS /bin/true < message`, per run')
print()
print('Median of the per-round means (rounds interleave the cases); "net" is minus /bin/true alone. '
      'The busy figure is the whole machine\'s during the series (this benchmark alone counts 50%: one CPU of two).')
print()
print('| message | program | runs | CPU ms | rounds min-max | net of /bin/true, ms |')
print('|---|---|---|---|---|---|')
M = {}
for m in micro:
    M[(m['size'], m['name'])] = m
    print('| %s (%d B, %s%% busy) | %s | %d | %.3f | %.3f-%.3f | %.3f |' % (label(m['size']), m['size'], busy.get(m['size'], '?'), m['name'],
          m['runs'], m['cpu_ms'], m['min_round_ms'], m['max_round_ms'], m['net_ms']))
print()
for size in sorted({k[0] for k in M}):
    d, nk = M.get((size, 'dkimsign')), M.get((size, 'dkimsign-nokey'))
    if d and nk:
        print('- %s: DKIM signing (dcr-dkimsign, 2048-bit RSA, relaxed/relaxed) costs **%.3f ms** of CPU per message '
              'above an exec of /bin/true, **%.3f ms** above dcr-dkimsign\'s own pass-through (no key for the domain: exec, header read, exec of the next).'
              % (label(size), d['net_ms'], d['cpu_ms'] - nk['cpu_ms']))
for size in sorted({k[0] for k in S}):
    s = S.get((size, 'postfix', 'opendkim'))
    if s:
        print('- %s: OpenDKIM (the milter process alone, live) used %.3f ms of CPU per message.' % (label(size), s['milter']))
d = M.get((min(k[0] for k in M), 'dkimsign')) if M else None
if d:
    print()
    print('Goal (issue 6): DKIM signing under 1 ms of CPU for a 10 KB message with a 2048-bit key: **%s** (%.3f ms net of /bin/true).'
          % ('met' if d['net_ms'] < 1 else 'NOT met', d['net_ms']))
if rsa:
    print()
    print('The floor, one RSA-2048 PKCS#1 SHA-256 signature (CPU, a loop in one process):'
          + (' BearSSL %s (as dcr-dkimsign links it) %.3f ms, BearSSL i31 %.3f ms;' % (rsa['rsa']['default_impl'], rsa['rsa']['bearssl_default_ms'], rsa['rsa']['bearssl_i31_ms']) if 'rsa' in rsa else '')
          + (' OpenSSL (`openssl speed rsa2048`, assembly; what OpenDKIM uses) %.3f ms.' % rsa['openssl']['sign_ms'] if 'openssl' in rsa else ''))
