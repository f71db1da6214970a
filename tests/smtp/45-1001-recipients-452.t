#!/usr/bin/python3
# Proves: 1000 recipients (the default max-rcpt) are accepted, the 1001st
# gets "452 4.5.3 too many recipients", the message still goes to the
# first 1000 (and only them); conf/max-rcpt and -n change the limit.
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from dcrtest import *


def rcpts(c, n, batch=100):
    out = []
    for start in range(1, n + 1, batch):
        end = min(n, start + batch - 1)
        c.send(b''.join(b'RCPT TO:<r%04d@localhost>\r\n' % i for i in range(start, end + 1)))
        out += [c.reply() for _ in range(start, end + 1)]
    return out


def main():
    with Gateway(capture=True) as gw:
        with gw.raw() as c:
            c.cmd('EHLO client.dcrtest')
            c.cmd('MAIL FROM:<a@localhost>')
            r = rcpts(c, 1001)
            is_(sum(1 for x in r[:1000] if x[0] == 250), 1000, 'recipients 1..1000: 250')
            like(r[1000][1], r'^452 4\.5\.3', 'recipient 1001: 452 4.5.3')
            is_(c.cmd('DATA')[0], 354, 'DATA 354')
            c.send(b'Subject: many\r\n\r\nx\r\n.\r\n')
            code, text = c.reply(30)
            is_(code, 250, 'message accepted')
            qid = queued_id(text)
        caps = gw.captures()
        if is_(len(caps), 1, 'child ran'):
            lst = caps[0]['env'].get('SMTP_RECIPIENTS', '').split('\n')
            is_(len(lst), 1000, '1000 recipients in SMTP_RECIPIENTS')
            ok('r1000@localhost' in lst and 'r1001@localhost' not in lst, 'the 1001st is not there')
        env = gw.envelope(qid) if qid in gw.queued() else b''
        ok(b'r1000@localhost' in env and b'r1001@localhost' not in env, 'envelope has r1000, not r1001')

    with Gateway(conf={'max-rcpt': '5'}) as gw:
        with gw.raw() as c:
            c.cmd('EHLO client.dcrtest')
            c.cmd('MAIL FROM:<a@localhost>')
            r = rcpts(c, 7)
            is_([x[0] for x in r], [250] * 5 + [452, 452], 'conf/max-rcpt 5: 6th and 7th get 452')
    with Gateway(conf={'max-rcpt': '5'}, smtpd_opts=['-n', '100']) as gw:
        with gw.raw() as c:
            c.cmd('EHLO client.dcrtest')
            c.cmd('MAIL FROM:<a@localhost>')
            r = rcpts(c, 101)
            is_(sum(1 for x in r[:100] if x[0] == 250), 100, '-n 100 overrides conf/max-rcpt: 100 accepted')
            is_(r[100][0], 452, '-n 100: the 101st gets 452')


run(main)
