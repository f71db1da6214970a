#!/usr/bin/python3
# Proves: 1000 long recipients (250 octets each, 250 KB in all) never make
# the exec of the message chain fail (Linux refuses one environment
# variable over 128 KiB): past ~120 KB of addresses the next RCPT gets
# 452 4.5.3, and the message is queued for the recipients accepted.
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from dcrtest import *

DOMAIN = 'd' * 60 + '.' + 'e' * 60 + '.' + 'f' * 60 + '.example.test'   # 194 octets


def addr(i):
    return ('r%04d' % i) + 'x' * 49 + '@' + DOMAIN          # 249 octets


def main():
    with Gateway(routes='*.example.test smtp:[127.0.0.1]:1\n') as gw:
        with gw.raw() as c:
            c.cmd('EHLO client.dcrtest')
            c.cmd('MAIL FROM:<a@localhost>')
            codes = []
            for start in range(0, 1000, 50):
                c.send(b''.join(('RCPT TO:<%s>\r\n' % addr(i)).encode() for i in range(start, start + 50)))
                codes += [c.reply()[0] for _ in range(50)]
            n = sum(1 for x in codes if x == 250)
            ok(400 <= n < 1000, 'between 400 and 999 long recipients accepted (%d)' % n)
            ok(all(x == 452 for x in codes[n:]), 'every later one gets 452')
            is_(c.cmd('DATA')[0], 354, 'DATA 354')
            c.send(b'Subject: long\r\n\r\nx\r\n.\r\n')
            code, text = c.reply(30)
            is_(code, 250, 'message queued, not a 451 from a failed exec')
            qid = queued_id(text)
        env = gw.envelope(qid) if qid in gw.queued() else b''
        ok(addr(n - 1).encode() in env and addr(n).encode() not in env, 'envelope holds exactly the accepted ones')

    # NOTIFY= on every recipient: SMTP_DSN_NOTIFY is bounded the same way
    with Gateway(smtpd_opts=['-n', '100000']) as gw:
        with gw.raw() as c:
            c.cmd('EHLO client.dcrtest')
            c.cmd('MAIL FROM:<a@localhost>')
            codes = []
            for start in range(0, 6400, 200):
                c.send(b''.join(b'RCPT TO:<a%d@localhost> NOTIFY=SUCCESS,FAILURE,DELAY\r\n' % i
                                for i in range(start, start + 200)))
                codes += [c.reply()[0] for _ in range(200)]
            n = sum(1 for x in codes if x == 250)
            ok(n < 6400 and all(x == 452 for x in codes[n:]), 'NOTIFY lines: 452 past the bound (%d accepted)' % n)
            is_(c.cmd('DATA')[0], 354, 'DATA 354')
            c.send(b'Subject: notify\r\n\r\nx\r\n.\r\n')
            is_(c.reply(30)[0], 250, 'queued, not a 451 from a failed exec')


run(main)
