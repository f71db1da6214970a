#!/usr/bin/python3
# Proves: list and stats on a queue of 2000 messages (400 of them with
# 1000 recipients each, some 40 MB of envelopes) give the right counts, in id
# order, and keep one envelope in memory at a time (peak RSS a few MB,
# far below the envelopes' total); while a stand-in runner moves
# envelopes from new/ to env/NN/ and deletes delivered ones under
# dcr-qctl's feet, list still exits 0, says nothing on stderr (a vanished
# file is skipped silently), lists no id twice, and misses none that
# stayed.
import os, random, subprocess, sys, threading, time
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, '..', 'lib'))
sys.path.insert(0, here)
from dcrtest import *
from qctltest import *

N = 2000
BIG = 400
BIGRCPTS = 1000
DOMAINS = ['d%d.example' % i for i in range(15)]


def run_rusage(q, argv):
    """(rc, stdout bytes, stderr bytes, peak RSS KiB or None) of a child,
    measured by GNU time: the rusage of a child forked by python would
    count python's own pages, copied at the fork."""
    rssfile = q.p('..', 'rss')
    timer = ['/usr/bin/time', '-f', '%M', '-o', rssfile] if os.path.exists('/usr/bin/time') else []
    p = subprocess.run(timer + argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       stdin=subprocess.DEVNULL, timeout=120)
    rss = None
    if timer:
        with open(rssfile) as f:
            rss = int(f.read().split()[-1])
    return p.returncode, p.stdout, p.stderr, rss


def check_rss(rss, name):
    if rss is None:
        skip('no /usr/bin/time to measure the peak RSS')
    else:
        ok(rss < 4 * 1024, '%s: peak RSS %d KiB: one envelope at a time' % (name, rss))


def main():
    q = QueueDir()
    try:
        now = int(time.time())
        rnd = random.Random(7)
        ids = []
        want_pending = {d: 0 for d in DOMAINS}
        states = {'pending': 0, 'delivered': 0, 'failed': 0}
        total_env = 0
        held = 0
        msg = b'Subject: load\n\nbody\n'
        for i in range(N):
            qid = make_id(now - 100000 + i * 10, i % 65536, pid=0x4000 + i // 65536)
            ids.append(qid)
            nr = BIGRCPTS if i < BIG else 3
            rcpts = []
            for k in range(nr):
                st = ('pending', 'delivered', 'failed')[(i + k) % 3]
                d = DOMAINS[(i * 7 + k) % len(DOMAINS)]
                states[st] += 1
                if st == 'pending':
                    want_pending[d] += 1
                rcpts.append((st, k % 5, now + 600 if st == 'pending' else 0,
                              'user%d.%d@%s' % (i, k, d), '451 4.3.0 try again later, with a reason of some length'))
            text = envelope_text(qid, rcpts, size=len(msg), arrival=now - 100000 + i * 10, hold=(i % 100 == 0))
            held += i % 100 == 0
            total_env += len(text)
            write_envelope(q, qid, None, text=text, message=msg, new=(i % 10 == 0))
        ok(total_env > 20 << 20, 'the envelopes weigh %d MB' % (total_env >> 20))

        rc, out, err, rss = run_rusage(q, [QCTL, '-q', q.path, 'list'])
        is_((rc, err), (0, b''), 'list of 2000: exit 0, nothing on stderr')
        heads = [l.split(b' ')[0].decode() for l in out.split(b'\n') if l[:1] not in (b' ', b'-', b'')]
        is_(heads, ids, 'list: every message once, in id order')
        like(out, br'\n-- 2000 messages, %d recipients, %d bytes\n$' % (BIG * BIGRCPTS + (N - BIG) * 3, N * len(msg)),
             'list: the summary line')
        check_rss(rss, 'list')

        rc, out, err, rss = run_rusage(q, [QCTL, '-q', q.path, 'stats', '--top', '3'])
        out = out.decode()
        is_(rc, 0, 'stats of 2000: exit 0')
        like(out, r'(?m)^messages     2000  \(in new/ 200, held %d, broken 0\)$' % held, 'stats: messages, new, held')
        like(out, r'(?m)^recipients   %d  \(pending %d, delivered %d, failed %d\)$'
             % (sum(states.values()), states['pending'], states['delivered'], states['failed']), 'stats: recipients by state')
        like(out, r'(?m)^oldest       %s  age 1d3h$' % ids[0], 'stats: the oldest')
        top = sorted(want_pending.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
        ndom = len([d for d, n in want_pending.items() if n])
        like(out, r'pending recipients by domain \(top 3 of %d\):\n' % ndom + ''.join(
            r' *%d  %s\n' % (n, d.replace('.', r'\.')) for d, n in top) + '$', 'stats: top 3 domains with their counts')
        check_rss(rss, 'stats')

        rc, out, err = qctl(q, 'list', '--ids', '--state', 'held')
        is_(out.split(), [ids[i] for i in range(0, N, 100)], 'list --state held on 2000')

        # a runner at work meanwhile: moves new/ -> env/NN/, deletes some
        small = ids[BIG:]
        stop = threading.Event()
        gone = set()

        def runner():
            order = list(small)
            rnd.shuffle(order)
            for qid in order:
                if stop.is_set():
                    break
                src = q.p('new', qid)
                if os.path.exists(src):
                    dst = env_path(q, qid)
                    os.rename(src, dst)
                elif rnd.random() < 0.5:
                    gone.add(qid)
                    os.unlink(env_path(q, qid))
                    os.unlink(q.p('mess', bucket(qid), qid))
        t = threading.Thread(target=runner)
        t.start()
        rounds = 0
        seen_ok = True
        while t.is_alive() or rounds < 2:
            rc, out, err = qctl(q, 'list', '--ids')
            listed = out.split()
            rounds += 1
            seen_ok = seen_ok and rc == 0 and err == '' and len(listed) == len(set(listed)) and listed == sorted(listed)
            if not seen_ok:
                diag('round %d: rc %d, err %r' % (rounds, rc, err[:300]))
                break
        stop.set()
        t.join()
        ok(seen_ok, 'list during %d rounds of moves and deletes: exit 0, silent, no duplicates, sorted' % rounds)
        rc, out, err = qctl(q, 'list', '--ids')
        is_(out.split(), [x for x in ids if x not in gone], 'afterwards: exactly the messages that stayed')
    finally:
        q.cleanup()


run(main, timeout=300)
