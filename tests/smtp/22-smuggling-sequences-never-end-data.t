#!/usr/bin/python3
# Proves: the SMTP smuggling sequences \n.\n  \n.\r\n  \r\n.\n  \r.\r\n
# (and a few cousins) never end the data nor start a second message: the
# data is read to the real CRLF.CRLF, then exactly one reply comes,
# "554 5.6.0" (bare CR or LF), nothing is queued, no smuggled command is
# answered, and the next legitimate message in the same session works.
# Each case is tried with the whole input in one write, and split at the
# smuggling sequence (two writes, a pause between).
import os, sys, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from dcrtest import *

SEQS = [
    (b'\n.\n', r'\n.\n'),
    (b'\n.\r\n', r'\n.\r\n'),
    (b'\r\n.\n', r'\r\n.\n'),
    (b'\r.\r\n', r'\r.\r\n'),
    (b'\r\n.\r', r'\r\n.\r'),
    (b'\n.\r', r'\n.\r'),
    (b'\r.\r', r'\r.\r'),
    (b'\r\n.\r\r\n', r'\r\n.\r\r\n'),
]

FIRST = b'From: a@localhost\r\nTo: b@localhost\r\nSubject: first\r\n\r\nbody of the first'
SMUGGLED = (b'MAIL FROM:<admin@localhost>\r\n'
            b'RCPT TO:<victim@localhost>\r\n'
            b'DATA\r\n'
            b'From: admin@localhost\r\nSubject: smuggled\r\n\r\nevil\r\n')
END = b'.\r\n'


def transaction(c):
    c.cmd('MAIL FROM:<a@localhost>')
    c.cmd('RCPT TO:<b@localhost>')
    return c.cmd('DATA')


def main():
    with Gateway(capture=True) as gw:
        for seq, label in SEQS:
            for split in (False, True):
                name = '%s%s' % (label, ' (split)' if split else '')
                with gw.raw() as c:
                    c.cmd('EHLO client.dcrtest')
                    code, _ = transaction(c)
                    if not is_(code, 354, name + ': DATA 354'):
                        continue
                    if split:
                        c.send(FIRST + seq)
                        time.sleep(0.2)
                        early = c.pending(0.3)
                        is_(early, b'', name + ': no reply at the smuggling sequence')
                        c.send(SMUGGLED + END)
                    else:
                        c.send(FIRST + seq + SMUGGLED + END)
                    r = c.reply()
                    like(r[1], r'^554 5\.6\.0', name + ': one reply, 554 5.6.0, at the real end')
                    is_(c.pending(0.5), b'', name + ': no reply to the smuggled commands')
                    is_(gw.queued(), [], name + ': nothing queued')
                    # the same session goes on with a legitimate message
                    code, _ = transaction(c)
                    is_(code, 354, name + ': next transaction reaches DATA')
                    c.send(b'Subject: legit\r\n\r\nfine\r\n.\r\n')
                    code, text = c.reply()
                    is_(code, 250, name + ': legitimate message after it is accepted')
                    q = gw.queued()
                    if is_(len(q), 1, name + ': one message queued'):
                        m = gw.message(q[0])
                        ok(b'smuggled' not in m and b'first' not in m,
                           name + ': the queued message is only the legitimate one')
                        os.unlink(gw.message_path(q[0]))
                        os.unlink(os.path.join(gw.queue, 'new', q[0]))
        caps = gw.captures()
        ok(all(b'smuggled' not in cap['message'] for cap in caps),
           'the child never saw a smuggled message')
        is_(len(caps), 2 * len(SEQS), 'the child ran only for the legitimate messages')
        is_(gw.tmp_files(), [], 'queue/tmp is clean')


run(main)
