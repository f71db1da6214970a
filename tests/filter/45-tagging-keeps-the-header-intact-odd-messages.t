#!/usr/bin/python3
# Proves, with canned scanner replies (fake spamd and clamd, so the
# verdicts are fixed): the fields go on top in the order of the scanners;
# the Subject prefix goes on the first Subject only, "Subject:x" and the
# obsolete "Subject :" included, the other fields kept in order and byte
# for byte (CR before LF kept); a body line "Subject: ..." is not touched;
# a message that is only a header without a final LF, or empty, gets a
# well-formed field; a header section over 1 MiB is not edited (fields on
# top, the rest byte for byte); 300 rule names fold under 78 columns; a
# negative score prints as spamd's does; a scanner on [::1]; no room
# for the tagged copy is 4.3.0, never the message passed on untagged.
import os, sys
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, '..', 'lib'))
sys.path.insert(0, here)
from dcrtest import *
from scanlib import *


def spamd_reply(score, symbols=b'RULE_A,RULE_B'):
    return (b'SPAMD/1.1 0 EX_OK\r\nContent-length: %d\r\nSpam: True ; %s / 5.0\r\n\r\n%s'
            % (len(symbols), score, symbols))


def main():
    with FakeScanner(spamd_reply(b'9.0')) as sp, FakeScanner(b'stream: Fake.Sig-1 FOUND\0') as cl:
        tag = ['--spamd', sp.addr, '--spam-subject', '[SPAM] ']

        m = (b'Received: from x\r\n\tby y\r\nSubject: first\r\nX-Other: 1\nSubject: second\n\n'
             b'Subject: in the body\n')
        r = scan(['--clamd', cl.addr, '--virus', 'tag'] + tag, m)
        is_(r.message, b'X-Virus-Status: Infected (Fake.Sig-1)\nX-Spam-Flag: YES\n'
            b'X-Spam-Status: Yes, score=9.0 required=5.0 tests=RULE_A,RULE_B\nX-Spam-Score: 9.0\n'
            b'Received: from x\r\n\tby y\r\nSubject: [SPAM] first\r\nX-Other: 1\nSubject: second\n\nSubject: in the body\n',
            'fields in scanner order; first Subject prefixed; CRs, other fields and the body kept')

        r = scan(tag, b'From: a@b\nSubject:x')
        is_(r.message, b'X-Spam-Flag: YES\nX-Spam-Status: Yes, score=9.0 required=5.0 tests=RULE_A,RULE_B\n'
            b'X-Spam-Score: 9.0\nFrom: a@b\nSubject: [SPAM] x', '"Subject:x" as the last line, no final LF')
        r = scan(tag, b'Subject  : old style\n\nbody\n')
        ok(r.message is not None and r.message.endswith(b'\nSubject: [SPAM] old style\n\nbody\n'), 'the obsolete "Subject  :"')
        r = scan(tag, b'From: a@b')
        ok(r.message is not None and r.message.endswith(b'X-Spam-Score: 9.0\nFrom: a@b\nSubject: [SPAM]\n'),
           'no Subject, the last field without its LF: the Subject on a line of its own')
        r = scan(tag, b'')
        ok(r.message is not None and r.message.endswith(b'X-Spam-Score: 9.0\nSubject: [SPAM]\n'), 'an empty message: our fields and a Subject')
        r = scan(tag, b'\nonly a body\n')
        is_(r.message and r.message.split(b'X-Spam-Score: 9.0\n', 1)[1], b'Subject: [SPAM]\n\nonly a body\n',
            'no header at all: the Subject before the empty line')

        huge = b'Subject: huge\n' + (b'X-Filler: ' + b'y' * 1000 + b'\n') * 1100 + b'X-Spam-Status: No\n\nbody\n'
        r = scan(tag, huge)
        ok(r.message is not None and r.message.endswith(huge) and r.message.startswith(b'X-Spam-Flag: YES\n'),
           'a header section over 1 MiB: our fields on top, the rest as it was')

        r = scan(tag, HAM, env={'TMPDIR': '/nonexistent/dir'})
        is_((r.rc, r.out, r.message), (111, '4.3.0 dcr-scan: temporary failure\n', None),
            'no room for the tagged copy ($TMPDIR missing): 4.3.0, exit 111, not passed on untagged')

    try:
        v6 = FakeScanner(spamd_reply(b'9.0'), host='::1')
    except OSError:
        v6 = None
    if v6:
        with v6:
            r = scan(['--spamd', v6.addr], HAM)
            ok(r.rc == 0 and r.message is not None and r.message.startswith(b'X-Spam-Flag: YES\n'), 'a scanner at [::1]:PORT')
    else:
        skip('no IPv6 loopback')

    syms = b','.join(b'RULE_NUMBER_%03d' % i for i in range(300))
    with FakeScanner(spamd_reply(b'-2.5', syms)) as sp:
        r = scan(['--spamd', sp.addr], HAM)
        top = r.message.split(HAM[:20], 1)[0] if r.message else b''
        ok(top.startswith(b'X-Spam-Status: No, score=-2.5 required=5.0 tests=RULE_NUMBER_000,'), 'a negative score: -2.5')
        lines = top.split(b'\n')
        ok(len(lines) > 50 and all(len(l) <= 78 for l in lines), '300 rule names folded, %d lines, none over 78' % len(lines))
        ok(all(l.startswith(b'\t') for l in lines[1:-2]), '  each fold a tab')
        is_(b''.join(l.strip() for l in lines[:-2]).split(b'tests=')[1], syms, '  unfolded, the list as spamd gave it')


run(main, timeout=120)
