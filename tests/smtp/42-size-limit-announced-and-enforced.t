#!/usr/bin/python3
# Proves: conf/max-size is announced (EHLO SIZE) and enforced: MAIL with
# SIZE= over the limit is refused 552, a message over the limit without
# SIZE= is read to its end then refused "552 5.3.4", never stored, and the
# session stays usable; a message under the limit passes; -s overrides.
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from dcrtest import *

LIMIT = 10000


def main():
    with Gateway(max_size=LIMIT, capture=True) as gw:
        dialogue(gw, '''
            S: 220
            C: EHLO client.dcrtest
            S: 250
            C: MAIL FROM:<a@localhost> SIZE=%d
            S: 552
            C: MAIL FROM:<a@localhost> SIZE=99999999999
            S: 552
            C: MAIL FROM:<a@localhost> SIZE=%d
            S: 250
        ''' % (LIMIT + 1, LIMIT - 1000), 'SIZE= at MAIL')

        with gw.raw() as c:
            c.cmd('EHLO client.dcrtest')
            c.cmd('MAIL FROM:<a@localhost>')
            c.cmd('RCPT TO:<b@localhost>')
            is_(c.cmd('DATA')[0], 354, 'DATA 354')
            c.send(b'Subject: big\r\n\r\n' + (b'y' * 98 + b'\r\n') * 300 + b'.\r\n')
            code, text = c.reply()
            like(text, r'^552 5\.3\.4', '30 kB over a 10 kB limit: 552 5.3.4 after the end')
            is_(c.pending(0.3), b'', 'exactly one reply')
            is_(c.cmd('NOOP')[0], 250, 'session usable after 552')
            c.cmd('MAIL FROM:<a@localhost>')
            c.cmd('RCPT TO:<b@localhost>')
            c.cmd('DATA')
            c.send(b'Subject: small\r\n\r\n' + (b'z' * 98 + b'\r\n') * 50 + b'.\r\n')
            is_(c.reply()[0], 250, '5 kB message under the limit: 250')

        # SIZE= announced smaller than the real message: the real size counts
        with gw.raw() as c:
            c.cmd('EHLO client.dcrtest')
            c.cmd('MAIL FROM:<a@localhost> SIZE=100')
            c.cmd('RCPT TO:<b@localhost>')
            c.cmd('DATA')
            c.send(b'Subject: liar\r\n\r\n' + (b'w' * 98 + b'\r\n') * 200 + b'.\r\n')
            like(c.reply()[1], r'^552 5\.3\.4', 'SIZE=100 lie with a 20 kB message: 552 5.3.4')
        is_(len(gw.queued()), 1, 'only the small message was queued')
        ok(all(len(cap['message']) < LIMIT for cap in gw.captures()), 'the child never saw an over-size message')
        is_(gw.tmp_files(), [], 'queue/tmp is clean')

    with Gateway(max_size=LIMIT, smtpd_opts=['-s', '500']) as gw:
        r = session(gw, 'MAIL FROM:<a@localhost> SIZE=600')
        like(r[0][1], r'^552', '-s 500 overrides conf/max-size')
        c = gw.raw()
        ok('SIZE 500' in c.cmd('EHLO x')[1], 'EHLO announces SIZE 500 with -s 500')
        c.close()


run(main)
