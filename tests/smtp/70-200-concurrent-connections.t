#!/usr/bin/python3
# Proves: 200 sessions open at the same time (all greeted before any sends)
# each get their message queued: 200 replies "queued as ID", 200 distinct
# ids, exactly those 200 in the queue, each holding its own message.
import os, sys, threading, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from dcrtest import *

N = 200


def main():
    with Gateway(tcpd_opts=['-c', '1000', '-C', '300', '-b', '1024']) as gw:
        results = [None] * N
        barrier = threading.Barrier(N, timeout=30)

        def client(i):
            try:
                c = RawClient(gw.host, gw.port, timeout=30)
                try:
                    banner = c.reply(30)
                    if banner[0] != 220:
                        results[i] = ('banner', banner)
                        return
                    barrier.wait()        # all 200 sessions are open now
                    c.send(b'EHLO c%d.dcrtest\r\nMAIL FROM:<s%d@localhost>\r\nRCPT TO:<r%d@localhost>\r\nDATA\r\n'
                           % (i, i, i))
                    r = [c.reply(30) for _ in range(4)]
                    if [x[0] for x in r] != [250, 250, 250, 354]:
                        results[i] = ('dialogue', r)
                        return
                    c.send(b'Subject: concurrent %d\r\n\r\nmarker-%05d\r\n.\r\nQUIT\r\n' % (i, i))
                    results[i] = c.reply(30)
                finally:
                    c.close()
            except Exception as e:    # noqa - reported below
                results[i] = ('exception', repr(e))
                try:
                    barrier.abort()
                except Exception:
                    pass

        t0 = time.time()
        threads = [threading.Thread(target=client, args=(i,)) for i in range(N)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        diag('%d sessions in %.2f s' % (N, time.time() - t0))
        ids = [queued_id(r[1]) if r and r[0] == 250 else None for r in results]
        good = sum(1 for x in ids if x)
        is_(good, N, 'all %d sessions got "250 ... queued as ID"' % N)
        for i, r in enumerate(results):
            if not ids[i]:
                diag('  session %d: %r' % (i, r))
                break
        is_(len(set(x for x in ids if x)), good, 'the ids are distinct')
        q = gw.queued()
        is_(sorted(q), sorted(x for x in ids if x), 'the queue holds exactly those ids')
        wrong = [i for i, x in enumerate(ids)
                 if x and (b'marker-%05d\n' % i) not in gw.message(x)]
        is_(wrong, [], 'each id holds its own session\'s message')
        is_(gw.tmp_files(), [], 'queue/tmp is clean')


run(main, timeout=120)
