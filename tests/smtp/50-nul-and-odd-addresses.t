#!/usr/bin/python3
# Proves: NUL bytes, control characters, missing angle brackets and
# malformed paths are refused (5xx) in MAIL and RCPT, in the command word
# and in EHLO; each refusal leaves the session in sync; the null sender is
# accepted but a null recipient is not; nothing odd reaches the queue.
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from dcrtest import *

MAIL_BAD = [
    b'MAIL FROM:<a\x00b@localhost>', b'MAIL FROM:<ab@localhost>\x00', b'MAIL FROM:<ab@local\x00host>',
    b'MAIL FROM:\x00<ab@localhost>', b'MA\x00IL FROM:<ab@localhost>',
    b'MAIL FROM:a@localhost', b'MAIL FROM:<a@localhost', b'MAIL FROM:a@localhost>',
    b'MAIL FROM:<<a@localhost>>', b'MAIL FROM:', b'MAIL FROM:<a@localhost> <b@localhost>',
    b'MAIL FROM:<a\x01b@localhost>', b'MAIL FROM:<a\x7fb@localhost>', b'MAIL FROM:<a\tb@localhost>',
    b'MAIL FROM:<a b@localhost>', b'MAIL FROM:<@localhost>', b'MAIL FROM:<a@>',
    b'MAIL FROM:<a@@localhost>', b'MAIL FROM:<a@local host>', b'MAIL FROM:<a@localhost..>',
    b'MAIL FROM:<a@.localhost>', b'MAIL FROM:<a@[300.1.1.1]>', b'MAIL FROM:<a@[127.0.0.1>',
    b'MAIL FROM:<"unterminated@localhost>', b'MAIL FROM:<a@localhost\xff>',
    b'MAIL TO:<a@localhost>', b'MAIL <a@localhost>',
]
RCPT_BAD = [
    b'RCPT TO:<b\x00c@localhost>', b'RCPT TO:<bc@localhost\x00.other.test>', b'RCPT TO:<bc@localhost>\x00x',
    b'RCPT TO:b@localhost', b'RCPT TO:<b@localhost', b'RCPT TO:<>', b'RCPT TO:',
    b'RCPT TO:<b\x01@localhost>', b'RCPT TO:<b@loc\x7falhost>', b'RCPT TO:<b@>', b'RCPT TO:<@localhost>',
    b'RCPT TO:<b@@localhost>', b'RCPT TO:<b@local host>', b'RCPT TO:<b c@localhost>',
    b'RCPT TO:<b@localhost> <c@localhost>', b'RCPT FROM:<b@localhost>', b'RCPT TO:<<b@localhost>>',
    b'RCPT TO:<b@' + b'd' * 300 + b'.localhost>',
]
EHLO_BAD = [b'EHLO a\x00b', b'EHLO \x00', b'HELO a\x00b', b'EHLO a\x01b']


def main():
    with Gateway(capture=True) as gw:
        for line in EHLO_BAD:
            r = session(gw, line, 'NOOP', ehlo=None)
            ok(r[0][1].startswith('5'), '%r -> 5xx' % line) or diag('  got %r' % (r[0],))
            is_(r[1][0], 250, '%r: in sync' % line)
        for line in MAIL_BAD:
            r = session(gw, line, 'NOOP', 'MAIL FROM:<good@localhost>')
            ok(r[0][1].startswith('5'), '%r -> 5xx' % line[:60]) or diag('  got %r' % (r[0],))
            ok(r[1][0] == 250 and r[2][0] == 250, '%r: in sync, no transaction opened' % line[:60])
        for line in RCPT_BAD:
            r = session(gw, 'MAIL FROM:<a@localhost>', line, 'NOOP')
            ok(r[1][1].startswith('5'), '%r -> 5xx' % line[:60]) or diag('  got %r' % (r[1],))
            is_(r[2][0], 250, '%r: in sync' % line[:60])

        dialogue(gw, r'''
            S: 220
            C: EHLO client.dcrtest
            S: 250
            C: MAIL FROM:<>
            S: 250
            C: RCPT TO:<b@localhost>
            S: 250
            C: RCPT TO:<b\x00@localhost>
            S: 5
            C: DATA
            S: 354
            C: Subject: null sender
            C:
            C: x
            C: .
            S: 250
        ''', 'null sender accepted, NUL recipient refused')
        caps = gw.captures()
        if is_(len(caps), 1, 'one message reached the child'):
            is_(caps[0]['env'].get('SMTP_RECIPIENTS'), 'b@localhost', 'only the good recipient')
        is_(len(gw.queued()), 1, 'one message queued')

        # UTF-8 addresses need SMTPUTF8 (RFC 6531 3.4)
        r = session(gw, 'MAIL FROM:<pel\u00e9@localhost> SMTPUTF8'.encode(), 'RCPT TO:<jos\u00e9@localhost>'.encode())
        is_([x[0] for x in r], [250, 250], 'UTF-8 addresses with SMTPUTF8: 250 250')
        r = session(gw, 'MAIL FROM:<pel\u00e9@localhost>'.encode())
        ok(r[0][1].startswith('5'), 'UTF-8 sender without SMTPUTF8: 5xx') or diag('  got %r' % (r[0],))
        r = session(gw, 'MAIL FROM:<a@localhost>', 'RCPT TO:<jos\u00e9@localhost>'.encode())
        ok(r[1][1].startswith('5'), 'UTF-8 recipient without SMTPUTF8: 5xx') or diag('  got %r' % (r[1],))
        r = session(gw, b'MAIL FROM:<a\xc3@localhost> SMTPUTF8')
        ok(r[0][1].startswith('5'), 'invalid UTF-8 even with SMTPUTF8: 5xx') or diag('  got %r' % (r[0],))


run(main)
