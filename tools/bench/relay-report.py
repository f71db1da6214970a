#!/usr/bin/python3
# relay-report.py OUT - the markdown report of tools/bench/relay from the
# files it leaves in OUT (header.txt, results.csv, cpu.csv, strace/,
# durability-*).
import collections, csv, os, re, statistics as st, sys

OUT = sys.argv[1]
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchreport import Out, fmt, group_runs  # noqa: E402
NAMES = {'dcrouter': 'dcrouter', 'pf-relay': 'Postfix 3.7', 'os-relay': 'OpenSMTPD 6.8'}
ORDER = ['dcrouter', 'pf-relay', 'os-relay']


_out = Out(OUT)
path, readf = _out.path, _out.readf


hdr = dict(l.split('=', 1) for l in (readf('header.txt') or '').splitlines() if '=' in l)
print('# dcrouter relay benchmark: end to end, side by side\n')
print('%s, dcrouter %s (programs sha256 %s, %s), Postfix %s, OpenSMTPD %s; %s CPUs (%s), kernel %s, %s.\n' % (
    hdr.get('date', '?'), hdr.get('dcrouter', '?'), hdr.get('dcr_sha', '?'), hdr.get('dcr_bin', '?'),
    hdr.get('postfix', '?'), hdr.get('opensmtpd', '?'), hdr.get('nproc', '?'), hdr.get('cpu', '?'),
    hdr.get('kernel', '?'), hdr.get('fs', '?')))
print('Parameters: %s. Machine busy before the load: %s%%; load average %s at the start, %s at the end; %s s.\n' % (
    hdr.get('params', '?'), hdr.get('busy_before', '?'), hdr.get('load_start', '?'),
    hdr.get('load_end', '?'), hdr.get('elapsed', '?')))

# ---------------------------------------------------------------- throughput
rows = list(csv.DictReader(open(path('results.csv')))) if os.path.exists(path('results.csv')) else []
if rows:
    print('## Throughput: smtp-source → MTA → smtp-sink\n')
    print('`smtp-source -s S -m N -l 2000`, one TCP connection per message, one recipient, '
          'to 127.0.0.1; each MTA relays to `smtp-sink -c` on 127.0.0.1:31025. Wall time '
          'from the start of smtp-source until the sink has counted N messages (dcrouter: '
          'and no envelope is left in new/ nor env/*/). Runs interleaved (dcrouter, Postfix, '
          'OpenSMTPD per repetition).\n')
    print('| system | sessions | msgs per run | msgs/s median (min–max) | runs | receive-side msgs/s (smtp-source exit) | CPU busy % | server CPU ms/msg | SYN retrans | notes |')
    print('|---|---|---|---|---|---|---|---|---|---|')
    cpu = _out.cpu_rows()
    ncpu = int(hdr.get('nproc', '2') or 2)

    def server_cpu(r):
        c = cpu.get((r['scenario'], r['rep'], r['sessions']))
        n = int(r['n'])
        if not c or float(r['seconds']) <= 0 or not n:
            return None, None, None
        est = max(0.0, (float(r['cpu_busy_pct']) / 100 * ncpu * float(r['seconds']) - float(c['source_cpu_s'] or 0)) * 1000 / n)
        rc = float(c['receive_cpu_s']) * 1000 / n if c.get('receive_cpu_s') else None
        qc = float(c['runner_cpu_s']) * 1000 / n if c.get('runner_cpu_s') else None
        return est, rc, qc
    keys, groups, med, per_rep = group_runs(rows, ORDER)
    for k in keys:
        rs = groups[k]
        v = [float(r['msgs_per_s']) for r in rs if float(r['msgs_per_s']) > 0]
        notes = '; '.join(sorted(set(r['note'].strip() for r in rs if r['note'].strip())))
        ns = sorted(set(r['n'] for r in rs))
        src = [int(r['n']) / float(r['source_seconds']) for r in rs if float(r['source_seconds']) > 0]
        sc = [server_cpu(r) for r in rs]
        est = [e for e, _, _ in sc if e is not None]
        rc = [x for _, x, _ in sc if x is not None]
        qc = [x for _, _, x in sc if x is not None]
        cpus = ('%.2f' % st.median(est)) if est else 'n/a'
        if rc and qc:
            cpus += ' (receive %.2f + runner %.2f)' % (st.median(rc), st.median(qc))
        print('| %s | %d | %s | %s | %d | %s | %.0f | %s | %d | %s |' % (
            NAMES.get(k[0], k[0]), k[1], '/'.join(ns),
            '**%s** (%s–%s)' % (fmt(st.median(v)), fmt(min(v)), fmt(max(v))) if v else 'n/a',
            len(rs), fmt(st.median(src)) if src else 'n/a',
            st.median(float(r['cpu_busy_pct']) for r in rs), cpus,
            sum(int(r['syn_retrans']) for r in rs), notes))
    print()
    print('Server CPU ms/msg: CPU busy time of the whole machine during the run minus '
          'smtp-source\'s own CPU, per message (it includes smtp-sink and anything else '
          'running). For dcrouter, in brackets, the exact CPU of its two process groups: '
          'receive = dcr-tcpd with the dcr-smtpd and dcr-enqueue it reaped; runner = '
          'dcr-qrun with its dcr-remote agents.\n')
    sess = sorted(set(k[1] for k in keys), reverse=True)
    if any(('dcrouter', s) in med for s in sess):
        print('| sessions | dcrouter / Postfix | dcrouter / OpenSMTPD | paired per repetition dcrouter / Postfix, min–max | paired dcrouter / OpenSMTPD, min–max |')
        print('|---|---|---|---|---|')
        for s in sess:
            d = med.get(('dcrouter', s))
            pf, os_ = med.get(('pf-relay', s)), med.get(('os-relay', s))
            if d is None:
                continue
            pr = collections.defaultdict(list)
            for (ss, rep), m in per_rep.items():
                for peer in ('pf-relay', 'os-relay'):
                    if ss == s and m.get('dcrouter') and m.get(peer):
                        pr[peer].append(m['dcrouter'] / m[peer])
            print('| %d | %s | %s | %s | %s |' % (
                s, '**%.2f×**' % (d / pf) if pf else 'n/a', '**%.0f×**' % (d / os_) if os_ else 'n/a',
                '%.2f–%.2f' % (min(pr['pf-relay']), max(pr['pf-relay'])) if pr['pf-relay'] else 'n/a',
                '%.0f–%.0f' % (min(pr['os-relay']), max(pr['os-relay'])) if pr['os-relay'] else 'n/a'))
        print()

# ---------------------------------------------------------------- durability
FS = re.compile(r'^(fsync|fdatasync|sync_file_range|syncfs|msync|sync)\(')
sdir = path('strace')
if os.path.isdir(sdir):
    roots = dict(l.split() for l in (readf('strace/roots') or '').splitlines() if l.strip())
    cnt = (readf('durability-dcr-count') or '0 0 0').split()
    m = int(cnt[0]) or 1
    prog = {}
    per = collections.defaultdict(collections.Counter)
    targets = collections.Counter()
    for fn in os.listdir(sdir):
        if not fn.startswith('t.'):
            continue
        pid = fn[2:]
        name = roots.get(pid)
        calls = collections.Counter()
        tg = []
        for line in open(os.path.join(sdir, fn), errors='replace'):
            e = re.match(r'^execve\("([^"]+)".*= 0$', line)
            if e:
                name = os.path.basename(e.group(1))
                continue
            f = FS.match(line)
            if f:
                calls['fsync'] += 1
                t = re.search(r'\(\d+<([^>]*)>', line)
                tg.append(t.group(1) if t else '?')
            elif re.match(r'^(rename|renameat2?)\(', line):
                calls['rename'] += 1
            elif re.match(r'^(link|linkat)\(', line):
                calls['link'] += 1
            elif re.match(r'^(unlink|unlinkat)\(', line):
                calls['unlink'] += 1
        name = name or 'child (no exec)'
        per[name] += calls
        per[name]['procs'] += 1
        for t in tg:
            t = re.sub(r'/[0-9a-f]{23}(\.env)?$', '/ID', t)
            t = re.sub(r'/(mess|env)/[0-9a-f]{2}(/|$)', r'/\1/NN\2', t)
            t = re.sub(r'^.*/queue/', 'QUEUE/', t)
            t = re.sub(r'/tmp/#\d+( \(deleted\))?$', '/tmp/#INODE (the O_TMPFILE spool)', t)
            targets[(name, t)] += 1
    print('## Durability: dcrouter, system calls per message\n')
    print('strace -ff on dcr-tcpd and dcr-qrun (every process they start is followed) while '
          '%s messages are relayed with 5 sessions (sink counted %s; %s envelopes left). '
          'Per program, per message:\n' % (cnt[0], cnt[1] if len(cnt) > 1 else '?', cnt[2] if len(cnt) > 2 else '?'))
    print('| program | processes | fsync-family | renames | links | unlinks |')
    print('|---|---|---|---|---|---|')
    tot = collections.Counter()
    side = collections.Counter()
    for name in sorted(per, key=lambda n: -per[n]['fsync']):
        c = per[name]
        tot += c
        if name in ('dcr-qrun', 'dcr-remote'):
            side['runner'] += c['fsync']
        else:
            side['receive'] += c['fsync']
        print('| %s | %d | %.2f | %.2f | %.2f | %.2f |' % (name, c['procs'], c['fsync'] / m, c['rename'] / m, c['link'] / m, c['unlink'] / m))
    print('| **all** | %d | **%.2f** | %.2f | %.2f | %.2f |' % (tot['procs'], tot['fsync'] / m, tot['rename'] / m, tot['link'] / m, tot['unlink'] / m))
    print()
    print('fsync-family per message: receive side (dcr-tcpd, dcr-smtpd, dcr-enqueue) %.2f, '
          'runner side (dcr-qrun, dcr-remote) **%.2f**.\n' % (side['receive'] / m, side['runner'] / m))
    print('| program | fsync of | calls per message |')
    print('|---|---|---|')
    for (name, t), c in sorted(targets.items(), key=lambda x: -x[1]):
        print('| %s | `%s` | %.2f |' % (name, t, c / m))
    print()
    peers = []
    for who in ('pf', 'os'):
        t = readf('durability-%s.txt' % who)
        if not t:
            continue
        mm = re.search(r'== \w+: (\d+) messages relayed; fsync-family calls: (\d+), O_SYNC/O_DSYNC opens: (\d+), renames: (\d+)', t)
        if mm:
            n = int(mm.group(1))
            peers.append((who, n, int(mm.group(2)), int(mm.group(3)), int(mm.group(4))))
    if peers:
        print('Peers, end to end (`peers.sh durability pf|os`: strace -f on the whole instance while 200 messages are relayed):\n')
        print('| system | messages | fsync-family per message | O_SYNC opens | renames per message |')
        print('|---|---|---|---|---|')
        for who, n, f, o, r in peers:
            print('| %s | %d | %.2f | %d | %.2f |' % ({'pf': 'Postfix 3.7', 'os': 'OpenSMTPD 6.8'}[who], n, f / n, o, r / n))
        print()

print('Raw data: %s (results.csv, cpu.csv, strace/, durability-*, dcr/log.all).' % OUT)
