#!/usr/bin/python3
# Proves: a command line over 512 octets gets exactly one
# "500 5.5.2 line too long", whatever its length and however it arrives,
# the rest of the long line is never run as a command, and the session
# stays in sync (the next command gets its own reply). A line of exactly
# 512 octets (CRLF included) is a valid command.
import os, sys, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from dcrtest import *


def one_500(gw, line, name, split=None):
    """Send line (no CRLF) + CRLF, then NOOP; expect 500 5.5.2, then 250."""
    with gw.raw() as c:
        c.cmd('EHLO client.dcrtest')
        data = line + b'\r\n'
        if split:
            for i in range(0, len(data), split):
                c.send(data[i:i + split])
                time.sleep(0.01)
        else:
            c.send(data)
        r = c.reply()
        if not like(r[1], r'^500 5\.5\.2', name + ': one 500 5.5.2'):
            diag('  got %r' % (r,))
        extra = c.pending(0.5)
        is_(extra, b'', name + ': no second reply')
        code, text = c.cmd('NOOP')
        is_(code, 250, name + ': next command answered in sync')
        code, text = c.cmd('MAIL FROM:<a@localhost>')
        is_(code, 250, name + ': session still usable')


def main():
    with Gateway() as gw:
        one_500(gw, b'NOOP ' + b'x' * 600, '600-octet NOOP')
        one_500(gw, b'NOOP ' + b'x' * 506, '513-octet NOOP (one over)')
        one_500(gw, b'NOOP ' + b'y' * 100000, '100 kB line')
        one_500(gw, b'NOOP ' + b'z' * 5000, '5 kB line in 7-byte pieces', split=7)
        one_500(gw, b'MAIL FROM:<a@localhost> ' + b'X' * 70000, '70 kB MAIL line')
        # the tail after octet 512 looks like a command: it must not run
        one_500(gw, b'NOOP ' + b'q' * 505 + b'QUIT', 'tail "QUIT" after 512 octets')
        one_500(gw, b'NOOP ' + b'q' * 505 + b'MAIL FROM:<a@localhost>', 'tail "MAIL FROM" after 512 octets')

        with gw.raw() as c:
            c.cmd('EHLO client.dcrtest')
            line = b'NOOP ' + b'k' * (512 - 2 - 5)
            is_(len(line) + 2, 512, 'probe line is 512 octets with CRLF')
            code, text = c.cmd(line)
            is_(code, 250, '512-octet command is accepted')

        # several long lines pipelined with good ones: one reply each
        with gw.raw() as c:
            c.cmd('EHLO client.dcrtest')
            long = b'NOOP ' + b'w' * 2000 + b'\r\n'
            c.send(long + b'NOOP\r\n' + long + long + b'RSET\r\n')
            want = ['500', '250', '500', '500', '250']
            got = [c.reply()[1][:3] for _ in want]
            is_(got, want, 'pipelined long and short lines: one reply each, in order')
            is_(c.pending(0.5), b'', 'and nothing more')

        # a long line inside a transaction does not break it
        dialogue(gw, '''
            S: 220
            C: EHLO client.dcrtest
            S: 250
            C: MAIL FROM:<a@localhost>
            S: 250
            # RCPT lines may exceed 512 octets for extensions: 500 or 501
            C: RCPT TO:<%s@localhost>
            S: 50
            C: RCPT TO:<b@localhost>
            S: 250
            C: DATA
            S: 354
            C: Subject: ok
            C:
            C: x
            C: .
            S: 250
        ''' % ('r' * 600), 'long RCPT inside a transaction')
        is_(len(gw.queued()), 1, 'the message after the long RCPT was queued')


run(main)
