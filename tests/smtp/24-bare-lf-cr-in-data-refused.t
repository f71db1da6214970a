#!/usr/bin/python3
# Proves: a bare LF or bare CR anywhere in DATA (not only near a dot) makes
# the message refused: the data is read to the real CRLF.CRLF, then
# "554 5.6.0"; nothing is queued, the child never runs, the session goes on.
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from dcrtest import *

CASES = [
    (b'Subject: a\r\n\r\nline\nother\r\n', 'bare LF in the body'),
    (b'Subject: a\r\n\r\nline\rother\r\n', 'bare CR in the body'),
    (b'Subject: a\nX-Evil: 1\r\n\r\nbody\r\n', 'bare LF in the header'),
    (b'Subject: a\r\n\r\nends with LF\n\r\n', 'bare LF just before CRLF'),
    (b'Subject: a\r\n\r\nends with CR\r\r\n', 'bare CR just before CRLF'),
    (b'Subject: a\r\n\r\n\n\r\n', 'a line that is a bare LF'),
    (b'Subject: a\r\n\r\n' + b'x' * 100000 + b'\n' + b'y' * 100 + b'\r\n', 'bare LF after 100 kB'),
]


def main():
    with Gateway(capture=True) as gw:
        for data, name in CASES:
            with gw.raw() as c:
                c.cmd('EHLO client.dcrtest')
                c.cmd('MAIL FROM:<a@localhost>')
                c.cmd('RCPT TO:<b@localhost>')
                is_(c.cmd('DATA')[0], 354, name + ': DATA 354')
                c.send(data + b'.\r\n')
                like(c.reply()[1], r'^554 5\.6\.0', name + ': 554 5.6.0')
                is_(c.pending(0.3), b'', name + ': one reply only')
                is_(c.cmd('NOOP')[0], 250, name + ': session in sync')
        is_(gw.queued(), [], 'nothing queued')
        is_(gw.captures(), [], 'the child never ran')
        is_(gw.tmp_files(), [], 'queue/tmp is clean')


run(main)
