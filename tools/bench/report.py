#!/usr/bin/python3
# report.py - the markdown report of tools/bench/receive, from the raw files
# it leaves in OUT (header.txt, results.csv, latency.jsonl, mem-*, strace-dcr.txt,
# durability-*).  Sections whose files are missing are left out.
# usage: report.py OUT
import collections, csv, json, os, re, statistics as st, sys

OUT = sys.argv[1]
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchreport import Out, fmt, group_runs  # noqa: E402
NAMES = {'dcrouter': 'dcrouter', 'pf-hold': 'Postfix (hold)', 'os-hold': 'OpenSMTPD (hold)'}
ORDER = ['dcrouter', 'pf-hold', 'os-hold']


_out = Out(OUT)
path, readf = _out.path, _out.readf


hdr = {}
for line in (readf('header.txt') or '').splitlines():
    k, _, v = line.partition('=')
    hdr[k] = v

print('# dcrouter receive benchmark\n')
print('%s · dcrouter %s, programs %s sha256 %s (libc: %s; config.mak MUSL := %s) · Postfix %s · %s · '
      '%s CPUs (%s) · Linux %s · %s · suite took %s s\n'
      % (hdr.get('date', '?'), hdr.get('dcrouter', '?'), hdr.get('dcr_bin', '?'), hdr.get('dcr_sha', '?'), hdr.get('dcr_libc', '?'),
         hdr.get('musl_config', '?'), hdr.get('postfix', '?'), hdr.get('opensmtpd', '?'),
         hdr.get('nproc', '?'), hdr.get('cpu', '?'), hdr.get('kernel', '?'),
         hdr.get('fs', '?'), hdr.get('elapsed', '?')))
print('Parameters: `%s` · CPU busy before the run (2 s sample, no load): %s%% · '
      'load average at start %s, at end %s\n'
      % (hdr.get('params', '?'), hdr.get('busy_before', '?'), hdr.get('load_start', '?'), hdr.get('load_end', '?')))

# ---------------------------------------------------------------- throughput
rows = []
if os.path.exists(path('results.csv')):
    rows = list(csv.DictReader(open(path('results.csv'))))
if rows:
    print('## Throughput: receive into the queue\n')
    print('`smtp-source -s S -m N -l 2000`, one TCP connection per message, one '
          'recipient; wall time until smtp-source has exited and every message is '
          'in the queue. Runs interleaved (dcrouter, Postfix, OpenSMTPD per repetition).\n')
    print('| system | sessions | msgs per run | msgs/s median (min–max) | runs | CPU busy % | server CPU ms/msg | SYN retrans | notes |')
    print('|---|---|---|---|---|---|---|---|---|')
    cpu = _out.cpu_rows()
    ncpu = int(hdr.get('nproc', '2') or 2)

    def server_cpu(r):
        # whole machine busy CPU during the run minus smtp-source's own CPU;
        # for dcrouter also its exact process-group accounting, in brackets
        c = cpu.get((r['scenario'], r['rep'], r['sessions']))
        n = int(r['n'])
        if not c or float(r['seconds']) <= 0 or not n:
            return None, None
        est = max(0.0, (float(r['cpu_busy_pct']) / 100 * ncpu * float(r['seconds']) - float(c['source_cpu_s'] or 0)) * 1000 / n)
        exact = float(c['group_cpu_s']) * 1000 / n if c.get('group_cpu_s') else None
        return est, exact
    keys, groups, med, per_rep = group_runs(rows, ORDER)
    for k in keys:
        rs = groups[k]
        v = [float(r['msgs_per_s']) for r in rs if float(r['msgs_per_s']) > 0]
        notes = '; '.join(sorted(set(r['note'].strip() for r in rs if r['note'].strip())))
        ns = sorted(set(r['n'] for r in rs))
        sc = [server_cpu(r) for r in rs]
        est = [e for e, _ in sc if e is not None]
        exact = [x for _, x in sc if x is not None]
        cpus = ('%.2f' % st.median(est)) if est else 'n/a'
        if st.median(float(r['cpu_busy_pct']) for r in rs) < 20:
            cpus = 'n/a (machine idle)'
        if exact:
            cpus += ' (%.2f)' % st.median(exact)
        print('| %s | %d | %s | %s | %d | %.0f | %s | %d | %s |' % (
            NAMES.get(k[0], k[0]), k[1], '/'.join(ns),
            '**%s** (%s–%s)' % (fmt(st.median(v)), fmt(min(v)), fmt(max(v))) if v else 'n/a',
            len(rs), st.median(float(r['cpu_busy_pct']) for r in rs), cpus,
            sum(int(r['syn_retrans']) for r in rs), notes))
    print()
    print('Server CPU ms/msg: CPU busy time of the whole machine during the run minus '
          'smtp-source\'s own CPU, per message (includes anything else running); for '
          'dcrouter, in brackets, the exact CPU of its process group (dcr-tcpd, '
          'dcr-smtpd, dcr-enqueue).\n')
    sess = sorted(set(k[1] for k in keys), reverse=True)
    if any(('dcrouter', s) in med for s in sess):
        print('| sessions | dcrouter / Postfix | dcrouter / OpenSMTPD | dcrouter / better peer | paired per repetition (dcrouter / better peer), min–max |')
        print('|---|---|---|---|---|')
        for s in sess:
            d = med.get(('dcrouter', s))
            pf, os_ = med.get(('pf-hold', s)), med.get(('os-hold', s))
            if d is None:
                continue
            best = max([x for x in (pf, os_) if x] or [0])
            pr = []
            for (ss, rep), m in per_rep.items():
                b = max(m.get('pf-hold', 0), m.get('os-hold', 0))
                if ss == s and m.get('dcrouter') and b:
                    pr.append(m['dcrouter'] / b)
            print('| %d | %s | %s | %s | %s |' % (
                s, '%.2f×' % (d / pf) if pf else 'n/a', '%.2f×' % (d / os_) if os_ else 'n/a',
                '**%.2f×**' % (d / best) if best else 'n/a',
                '%.2f–%.2f' % (min(pr), max(pr)) if pr else 'n/a'))
        print()

# ---------------------------------------------------------------- spawn
sp = readf('spawn.txt')
if sp:
    print('## Start-up cost of the built programs\n')
    print('tools/bench/spawn.py: posix_spawn + run to the usage error + waitpid, 2,000 times.\n')
    print('| program | mean ms | median ms |')
    print('|---|---|---|')
    for line in sp.splitlines():
        f = line.split()
        if len(f) == 3:
            print('| %s | %s | %s |' % tuple(f))
    print()

# ---------------------------------------------------------------- latency
lat = [json.loads(l) for l in (readf('latency.jsonl') or '').splitlines() if l.strip()]
if lat:
    print('## Latency: end of data → 250\n')
    print('tools/bench/latency.py: K concurrent clients in a closed loop, one connection '
          'per message, 2,000-byte body; timer from the write carrying the final `.\\r\\n` '
          'to the last byte of the 250 reply. Hold mode for the peers.\n')
    print('| system | clients | accepted | p50 ms | p99 ms | mean ms | max ms | msgs/s | connect p99 ms | errors |')
    print('|---|---|---|---|---|---|---|---|---|---|')
    for d in lat:
        if 'skipped' in d:
            print('| %s | %d | skipped: %s | | | | | | | |' % (d['system'], d['clients'], d['skipped']))
            continue
        print('| %s | %d | %d/%d | **%.2f** | **%.2f** | %.2f | %.2f | %s | %.2f | %s |' % (
            d['system'], d['clients'], d['ok'], d['messages'], d['p50_ms'], d['p99_ms'],
            d['mean_ms'], d['max_ms'], fmt(d['msgs_per_s']), d['connect_p99_ms'],
            d['errors'] if not d['errors'] else '%d %s' % (d['errors'], json.dumps(d['error_kinds']))))
    print()

# ---------------------------------------------------------------- memory
before, withs = readf('mem-dcr-before.json'), readf('mem-dcr-with.json')
if before and withs:
    b, w = json.loads(before), json.loads(withs)
    asked, held = (readf('mem-dcr-sessions') or '0 0').split()
    held = int(held)
    sm = w.get('dcr-smtpd', {'procs': 0, 'rss': 0, 'pss': 0, 'private': 0, 'pte': 0})
    n = sm['procs'] or 1
    tb, tw = b.get('dcr-tcpd', {}), w.get('dcr-tcpd', {})

    def tot(x, f):
        return sum(v[f] for k, v in x.items() if not k.startswith('_'))
    kern = (w['_kernel']['KernelStack'] + w['_kernel']['PageTables']
            - b['_kernel']['KernelStack'] - b['_kernel']['PageTables'])
    print('## Memory per idle session\n')
    print('Idle sessions opened after the 220 greeting and held (tools/bench/hold.py for '
          'dcrouter; peers.sh mem for the peers). KiB = 1,024 bytes; the peers\' '
          'figures are peers.sh\'s "increment per session" (whole instance with '
          'sessions minus without, divided by the sessions).\n')
    print('| system | sessions held | private / session | PSS / session | RSS / session | whole-instance increment / session (RSS, PSS) |')
    print('|---|---|---|---|---|---|')
    print('| dcrouter (dcr-smtpd processes: %d) | %d of %s | **%.0f KiB** (goal < 150: %s) | %.0f KiB | %.0f KiB | %.0f, %.0f KiB |' % (
        sm['procs'], held, asked, sm['private'] / n, 'met' if sm['private'] / n < 150 else 'NOT met',
        sm['pss'] / n, sm['rss'] / n,
        (tot(w, 'rss') - tot(b, 'rss')) / max(held, 1), (tot(w, 'pss') - tot(b, 'pss')) / max(held, 1)))
    for who, name in (('pf', 'Postfix'), ('os', 'OpenSMTPD')):
        t = readf('mem-%s.txt' % who)
        if not t:
            continue
        m = re.search(r'increment per session: RSS (\d+) kB, PSS (\d+) kB', t)
        h = re.search(r'== \w+: (\d+) idle sessions', t)
        extra = ''
        pm = re.search(r'smtpd processes: PSS kB per process mean (\d+)', t)
        if pm:
            extra = ' (smtpd PSS per process %s kB)' % pm.group(1)
        print('| %s%s | %s | n/a | — | — | %s |' % (
            name, extra, h.group(1) if h else '?',
            '%s, %s kB' % (m.group(1), m.group(2)) if m else 'n/a: ' + t.strip().splitlines()[-1][:80]))
    print()
    print('dcrouter detail: dcr-tcpd parent RSS %s KiB without sessions, %s KiB with %d '
          '(private %s KiB); page tables of the dcr-smtpd processes %.0f KiB per session; '
          'kernel stacks + page tables system-wide +%.0f KiB per session (not in RSS/PSS).\n'
          % (tb.get('rss', '?'), tw.get('rss', '?'), held, tw.get('private', '?'),
             sm['pte'] / n, kern / max(held, 1)))

# ---------------------------------------------------------------- durability
FS = re.compile(r'\b(fsync|fdatasync|sync_file_range|syncfs|msync)\(')
trace = readf('strace-dcr.txt')
if trace is not None:
    m_asked, m_queued = (readf('durability-dcr-count') or '0 0').split()
    nmsg = int(m_asked) or 1
    qdir = os.path.join(OUT, 'dcr', 'inst', 'queue')
    kinds = collections.Counter()
    calls = 0
    for line in trace.splitlines():
        mm = FS.search(line)
        if not mm:
            continue
        calls += 1
        p = re.search(r'\(\d+<([^>]*)>', line)
        p = p.group(1) if p else '?'
        p = p.replace(qdir + '/', '').replace(qdir, '<queue>')
        p = re.sub(r'#\d+', '#INODE', p)
        p = re.sub(r'(mess|env)/[^/]+', r'\1/NN', p, count=1)
        p = re.sub(r'(?<=/)[^/]*\d[^/]{6,}$', 'ID', p)
        kinds['%s(%s)' % (mm.group(1), p)] += 1
    renames = len(re.findall(r'\brename(at2?)?\(', trace))
    links = len(re.findall(r'\blink(at)?\(', trace))
    execs = len(re.findall(r'\bexecve\(', trace))
    print('## Durability: fsync-family system calls per message\n')
    print('strace -f on the whole receiving side while %s messages are received '
          '(smtp-source -s 5); peers: peers.sh durability (relay mode, 200 messages).\n' % m_asked)
    print('| system | messages | fsync-family calls | per message | renames | link calls | notes |')
    print('|---|---|---|---|---|---|---|')
    print('| dcrouter | %s (queued %s) | %d | **%.2f** | %d | %d | execve %.2f/msg; %s |' % (
        m_asked, m_queued, calls, calls / nmsg, renames, links, execs / nmsg,
        ', '.join('%s %.2f/msg' % (k, v / nmsg) for k, v in sorted(kinds.items(), key=lambda x: -x[1]))))
    for who, name in (('pf', 'Postfix'), ('os', 'OpenSMTPD')):
        t = readf('durability-%s.txt' % who)
        if not t:
            continue
        m = re.search(r'== \w+: (\d+) messages relayed; fsync-family calls: (\d+), O_SYNC/O_DSYNC opens: (\d+), renames: (\d+)', t)
        if m:
            print('| %s | %s | %s | **%.2f** | %s | — | O_SYNC/O_DSYNC opens: %s |' % (
                name, m.group(1), m.group(2), int(m.group(2)) / int(m.group(1)), m.group(4), m.group(3)))
        else:
            print('| %s | ? | ? | ? | ? | — | %s |' % (name, t.strip().splitlines()[-1][:100] if t.strip() else 'no output'))
    print()

print('Raw data: %s (results.csv, latency.jsonl, mem-*, strace-dcr.txt, durability-*, dcr/log).' % OUT)
