#!/usr/bin/python3
# Proves: PIPELINING works: a batch of commands sent in one write gets one
# reply per command, in order, with a refused recipient in the middle not
# disturbing the others; the end of data, the next transaction and QUIT can
# share a write; swaks --pipeline delivers.
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from dcrtest import *


def replies(c, n):
    return [c.reply()[1] for _ in range(n)]


def main():
    with Gateway(capture=True) as gw:
        with gw.raw() as c:
            code, text = c.cmd('EHLO client.dcrtest')
            ok('PIPELINING' in text, 'PIPELINING advertised')
            c.send(b'MAIL FROM:<a@localhost>\r\n'
                   b'RCPT TO:<u1@localhost>\r\n'
                   b'RCPT TO:<bad@other.test>\r\n'
                   b'RCPT TO:<u2@localhost>\r\n'
                   b'DATA\r\n')
            r = replies(c, 5)
            is_([x[:3] for x in r], ['250', '250', '554', '250', '354'], 'batch of 5: replies in order')
            c.send(b'Subject: one\r\n\r\nfirst\r\n.\r\n'
                   b'MAIL FROM:<b@localhost>\r\n'
                   b'RCPT TO:<u3@localhost>\r\n'
                   b'DATA\r\n')
            r = replies(c, 4)
            is_([x[:3] for x in r], ['250', '250', '250', '354'], 'end of data + next transaction in one write')
            id1 = queued_id(r[0])
            c.send(b'Subject: two\r\n\r\nsecond\r\n.\r\nQUIT\r\n')
            r = replies(c, 2)
            is_([x[:3] for x in r], ['250', '221'], 'end of data + QUIT in one write')
            id2 = queued_id(r[0])
            ok(c.closed(), 'closed after QUIT')
        is_(sorted(gw.queued()), sorted([id1, id2]), 'both messages queued under their ids')
        caps = gw.captures()
        if is_(len(caps), 2, 'child ran twice'):
            is_(caps[0]['env'].get('SMTP_RECIPIENTS'), 'u1@localhost\nu2@localhost',
                'refused recipient left out of the envelope')
            is_(caps[1]['env'].get('SMTP_RECIPIENTS'), 'u3@localhost', 'second envelope')

        # all recipients refused: DATA is refused, the body is not taken as commands
        with gw.raw() as c:
            c.cmd('EHLO client.dcrtest')
            c.send(b'MAIL FROM:<a@localhost>\r\nRCPT TO:<x@other.test>\r\nRCPT TO:<y@other.test>\r\nDATA\r\nNOOP\r\n')
            r = replies(c, 5)
            is_([x[:1] for x in r], ['2', '5', '5', '5', '2'], 'no valid recipient: DATA 5xx, next command 250')

        # RSET in the middle of a batch
        with gw.raw() as c:
            c.cmd('EHLO client.dcrtest')
            c.send(b'MAIL FROM:<a@localhost>\r\nRCPT TO:<u@localhost>\r\nRSET\r\nRCPT TO:<u@localhost>\r\nNOOP\r\n')
            r = replies(c, 5)
            is_([x[:3] for x in r], ['250', '250', '250', '503', '250'], 'RSET inside a batch')

        rc, out = swaks(gw, '--to', 'swaks@localhost', '--from', 'sender@localhost',
                        '--helo', 'swaks.dcrtest', '--pipeline', '--timeout', '10')
        is_(rc, 0, 'swaks --pipeline exits 0')
        like(out, r'queued as [0-9a-f]{23}', 'swaks saw "queued as ID"')
        like(out, r'PIPELINING', 'swaks saw PIPELINING')
        if rc:
            diag(out)
        is_(len(gw.queued()), 3, 'swaks message queued too')


run(main)
