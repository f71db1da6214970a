#!/usr/bin/python3
# Proves: dot-stuffing is undone exactly once (".." -> "."), lines that
# start with dots survive, a 998-octet line and 8-bit bytes are stored
# intact, and the stored form is the body with CRLF -> LF.
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from dcrtest import *

# what the user means (before stuffing)
LINES = [b'Subject: dots', b'', b'.', b'..', b'...', b'.leading dot', b'..two dots',
         b' . space dot', b'end.', b'x' * 998, b'caf\xc3\xa9 8-bit \xff\x80', b'.']


def stuffed(lines):
    return b''.join((b'.' + l if l.startswith(b'.') else l) + b'\r\n' for l in lines)


def body_of(msg):
    """the stored message after the prepended Received header"""
    i = msg.find(b'\nSubject: dots\n')
    return msg[i + 1:] if i >= 0 else None


def main():
    want = b''.join(l + b'\n' for l in LINES)
    with Gateway() as gw:
        # by hand: we stuff
        with gw.raw() as c:
            c.cmd('EHLO client.dcrtest')
            c.cmd('MAIL FROM:<a@localhost> BODY=8BITMIME')
            c.cmd('RCPT TO:<b@localhost>')
            is_(c.cmd('DATA')[0], 354, 'DATA 354')
            c.send(stuffed(LINES) + b'.\r\n')
            code, text = c.reply()
            is_(code, 250, 'stuffed message accepted')
            qid = queued_id(text)
        ok(qid in gw.queued(), 'queued')
        if qid in gw.queued():
            is_(body_of(gw.message(qid)), want, 'stored body is unstuffed exactly once, LF form')

        # smtplib does the stuffing itself
        s = gw.smtp()
        s.ehlo('client.dcrtest')
        msg = b''.join(l + b'\r\n' for l in LINES)
        s.mail('a@localhost', ['BODY=8BITMIME'])
        s.rcpt('b@localhost')
        code, text = s.data(msg)
        is_(code, 250, 'smtplib message accepted')
        qid = queued_id(text)
        if qid in gw.queued():
            is_(body_of(gw.message(qid)), want, 'smtplib round trip identical')
        s.quit()

        # a message whose only line is "." stuffed, and an empty message
        with gw.raw() as c:
            c.cmd('EHLO client.dcrtest')
            c.cmd('MAIL FROM:<a@localhost>')
            c.cmd('RCPT TO:<b@localhost>')
            c.cmd('DATA')
            c.send(b'Subject: dots\r\n\r\n..\r\n.\r\n')
            code, text = c.reply()
            is_(code, 250, 'message ending in a stuffed dot accepted')
            qid = queued_id(text)
            if qid in gw.queued():
                is_(body_of(gw.message(qid)), b'Subject: dots\n\n.\n', 'stuffed lone dot stored as "."')

        # NUL in the data: either stored intact or refused, never truncated
        with gw.raw() as c:
            c.cmd('EHLO client.dcrtest')
            c.cmd('MAIL FROM:<a@localhost>')
            c.cmd('RCPT TO:<b@localhost>')
            c.cmd('DATA')
            before = set(gw.queued())
            c.send(b'Subject: dots\r\n\r\nnul\x00here\r\nafter\r\n.\r\n')
            code, text = c.reply()
            new = set(gw.queued()) - before
            if code == 250:
                m = gw.message(new.pop()) if new else b''
                ok(m.endswith(b'nul\x00here\nafter\n'), 'NUL in data: accepted and stored intact')
            else:
                ok(code is not None and code >= 500 and not new, 'NUL in data: refused (%s), nothing queued' % code)
            is_(c.cmd('NOOP')[0], 250, 'session usable after NUL in data')


run(main)
