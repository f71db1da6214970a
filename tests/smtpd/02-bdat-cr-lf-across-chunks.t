#!/usr/bin/python3
# Proves: in BDAT, a CRLF split across two chunks is a line end, a CR
# ending one chunk followed by anything but LF is a bare CR, a CR at the
# very end of the LAST chunk is bare (554 5.6.0); the message reaches the
# child in internal form, byte for byte, dots untouched.
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from smtpdlib import *


def session(chunks):
    with Smtpd(routes='example.test smtp:[127.0.0.1]:1\n') as s:
        s.send('EHLO c\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<u@example.test>\r\n')
        s.reply(); s.reply(); s.reply()
        for i, c in enumerate(chunks):
            last = i == len(chunks) - 1
            s.send(b'BDAT %d%s\r\n' % (len(c), b' LAST' if last else b'') + c)
            r = s.reply()
        msg = s.file('msg')
        return r, msg


def main():
    r, msg = session([b'Subject: x\r', b'\n\r\n.body\r\n.', b'\r\n'])
    like(r, r'^250 2\.0\.0 Ok: queued as [0-9a-f]{23}$', 'CRLF split across chunks: accepted')
    ok(msg is not None and msg.endswith(b'Subject: x\n\n.body\n.\n'), 'internal form, dots untouched')
    r, msg = session([b'Subject: x\r', b'X\r\n'])
    like(r, r'^554 5\.6\.0', 'CR then X across chunks: bare CR, refused')
    is_(msg, None, 'refused: the child never ran')
    r, msg = session([b'Subject: x\r\n\r\nbody\r'])
    like(r, r'^554 5\.6\.0', 'CR at the end of LAST: bare CR, refused')
    r, msg = session([b'Subject: x\r\n', b'\nbody\r\n'])
    like(r, r'^554 5\.6\.0', 'LF starting a chunk after a CRLF: bare LF, refused')


run(main)
