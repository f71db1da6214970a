#!/usr/bin/python3
# Proves: only CRLF ends a command line. A command holding a bare LF or a
# bare CR is refused with "500 5.5.2 bare CR or LF not allowed, use CRLF",
# once for the whole line up to its CRLF; no piece of it is ever run as a
# command (a bare LF is not a line end); the session continues.
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from dcrtest import *

CASES = [
    (b'NOOP\nNOOP\r\n', 'LF between two commands'),
    (b'NOOP\rNOOP\r\n', 'CR between two commands'),
    (b'NOOP\r\r\n', 'CR before CRLF'),
    (b'NOOP\n\r\n', 'LF before CRLF'),
    (b'\nNOOP\r\n', 'leading LF'),
    (b'RSET\nMAIL FROM:<evil@localhost>\r\n', 'LF hides a MAIL'),
    (b'MAIL FROM:<a@localhost>\rRCPT TO:<b@localhost>\r\n', 'CR hides a RCPT'),
    (b'EHLO x\n\n\n\r\n', 'several LFs'),
]


def main():
    with Gateway() as gw:
        for data, name in CASES:
            with gw.raw() as c:
                c.cmd('EHLO client.dcrtest')
                c.send(data)
                first = c.reply()
                like(first[1], r'^500 5\.5\.2', name + ': 500 5.5.2')
                # only CRLF ends a line: the input is one line, so one reply
                extra = c.pending(0.5)
                is_(extra, b'', name + ': one reply for the whole line (no piece run as a command)')
                is_(c.cmd('NOOP probe')[0], 250, name + ': the session goes on')
                # a MAIL hidden behind a bare LF must not have opened a transaction
                is_(c.cmd('RCPT TO:<b@localhost>')[0], 503, name + ': no transaction was opened')
        is_(gw.queued(), [], 'nothing queued')


run(main)
