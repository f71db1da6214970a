#!/usr/bin/python3
# Proves: a 60 MB message over the 50 MB limit is read to its very end,
# then refused "552 5.3.4" (one reply), nothing is stored (queue and
# queue/tmp stay empty, the child never runs), the session stays usable,
# and the session process memory stays flat while it streams (< 2 MB growth).
import os, sys, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from dcrtest import *

LINE = b'x' * 998 + b'\r\n'
BLOCK = LINE * 1024           # 1 MiB of 1000-octet lines


def main():
    with Gateway(max_size=50 * 1024 * 1024, capture=True) as gw:
        with gw.raw(timeout=60) as c:
            c.cmd('EHLO client.dcrtest')
            pids = smtpd_pids(gw)
            is_(len(pids), 1, 'one session process')
            c.cmd('MAIL FROM:<a@localhost>')
            c.cmd('RCPT TO:<b@localhost>')
            is_(c.cmd('DATA')[0], 354, 'DATA 354')
            t0 = time.time()
            sent = 0
            with RssPeak(pids[0] if pids else None) as m:
                try:
                    c.send(b'Subject: sixty megabytes\r\n\r\n')
                    while sent < 60 * 1024 * 1024:
                        c.send(BLOCK)
                        sent += len(BLOCK)
                    c.send(b'.\r\n')
                    ok(True, 'the server read all %d MiB without closing' % (sent >> 20))
                except OSError as e:
                    ok(False, 'the server read all 60 MiB without closing (%s after %d bytes)' % (e, sent))
                code, text = c.reply(60)
            diag('streamed in %.1f s' % (time.time() - t0))
            like(text, r'^552 5\.3\.4', '552 5.3.4 after the end of data')
            is_(c.pending(0.3), b'', 'one reply only')
            diag('session RSS %s KiB -> peak %d KiB' % (m.base, m.peak))
            ok(m.base and m.grew() < 2048, 'session RSS grew less than 2 MiB while streaming 60 MiB')
            is_(gw.queued(), [], 'nothing queued')
            is_(gw.messages(), [], 'nothing in queue/mess')
            is_(gw.tmp_files(), [], 'queue/tmp is empty (spool dropped)')
            is_(gw.captures(), [], 'the child never ran')
            is_(c.cmd('NOOP')[0], 250, 'NOOP 250: session usable')
            c.cmd('MAIL FROM:<a@localhost>')
            c.cmd('RCPT TO:<b@localhost>')
            c.cmd('DATA')
            c.send(b'Subject: small\r\n\r\nsmall\r\n.\r\n')
            is_(c.reply()[0], 250, 'a small message after it: 250')


run(main, timeout=90)
