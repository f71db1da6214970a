#!/usr/bin/python3
# Proves: after too many errors in a session (default 10, -e N) the server
# says "421 4.7.0 too many errors, closing" and closes; a session with
# fewer errors goes on.
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from dcrtest import *


def errors_until_421(gw, limit):
    with gw.raw() as c:
        c.cmd('EHLO client.dcrtest')
        seen = []
        for i in range(limit + 5):
            try:
                code, text = c.cmd('BOGUS%d' % i)
            except OSError:
                break
            if code is None:
                break
            seen.append(text[:9])
            if code == 421:
                break
        return seen, c.closed()


def main():
    for limit, opts in ((10, []), (3, ['-e', '3'])):
        with Gateway(smtpd_opts=opts) as gw:
            seen, closed = errors_until_421(gw, limit)
            n5 = sum(1 for s in seen if s.startswith('5'))
            ok(seen and seen[-1].startswith('421 4.7.0'), 'limit %d: 421 4.7.0 comes' % limit) or diag('  got %r' % seen)
            ok(limit - 1 <= n5 <= limit, 'limit %d: after %d plain errors' % (limit, n5))
            ok(closed, 'limit %d: connection closed after 421' % limit)

            with gw.raw() as c:
                c.cmd('EHLO client.dcrtest')
                for i in range(limit - 2):
                    c.cmd('BOGUS')
                is_(c.cmd('NOOP')[0], 250, 'limit %d: %d errors, session goes on' % (limit, limit - 2))
                is_(c.cmd('MAIL FROM:<a@localhost>')[0], 250, 'limit %d: MAIL still works' % limit)

    # other kinds of errors count too (bad sequence, bad syntax)
    with Gateway(smtpd_opts=['-e', '3']) as gw:
        with gw.raw() as c:
            c.cmd('EHLO client.dcrtest')
            seen = []
            for x in ('RCPT TO:<a@localhost>', 'MAIL FROM:a', 'DATA', 'NOOP', 'NOOP'):
                try:
                    seen.append(c.cmd(x)[1][:3])
                except OSError:
                    break
                if seen[-1] == '421':
                    break
            ok('421' in seen, '503/501 errors count towards the limit: %r' % seen)
            ok(c.closed(), 'closed')


run(main)
