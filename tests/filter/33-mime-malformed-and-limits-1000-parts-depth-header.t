#!/usr/bin/python3
# Malformed MIME and the limits. Malformed input (a multipart never
# closed, a multipart without a boundary, a nested boundary equal to its
# parent's, bad base64, garbage) is never a crash: it is logged as
# mime-malformed, the names seen are still checked, and it is accepted
# unless a "malformed" rule says reject or tag. The limits refuse:
# 1,000 parts pass and 1,001 get "5.7.1 too many MIME parts", 20 levels
# of nesting pass and 21 get "MIME nesting too deep", a part header over
# 64 KiB gets "a MIME part header is too large".
import os
import random
import sys
sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'lib'))
sys.path.insert(0, os.path.dirname(__file__))
from dcrtest import *  # noqa: F401,F403
from mimelib import new, attach, check, multipart, raw

RULES = "reject ext exe\n"


def nested(depth, leaf='Content-Type: text/plain\n\nleaf\n'):
    """a message whose innermost part is depth multiparts deep"""
    out = 'From: a@example.org\nMIME-Version: 1.0\n'
    for i in range(depth):
        out += 'Content-Type: multipart/mixed; boundary="b%d"\n\n--b%d\n' % (i, i)
    out += leaf
    for i in reversed(range(depth)):
        out += '--b%d--\n' % i
    return out.encode()


def main():
    unclosed = multipart('U', [('Content-Type: text/plain', 'one'),
                               ('Content-Disposition: attachment; filename="late.exe"', 'MZ')], close=False)
    r = check(RULES, unclosed)
    is_(r.rc, 100, 'no close delimiter: the .exe of the last part still refused')
    r = check("reject ext scr\n", unclosed)
    is_(r.rc, 0, 'no close delimiter, nothing blocked: accepted (default)')
    like(r.err, r'event=mime-malformed id=test-id-1 detail="a multipart not closed"', '  logged as mime-malformed')
    r = check("reject malformed\n", unclosed)
    is_((r.rc, r.out), (100, '5.7.1 malformed MIME is not accepted (a multipart not closed)\n'), 'reject malformed: refused')
    r = check("tag malformed\n", unclosed)
    ok(r.rc == 0 and r.message.startswith(b'X-DCR-MIME: malformed MIME (a multipart not closed)\n'), 'tag malformed: tagged')

    noboundary = b'From: a@example.org\nMIME-Version: 1.0\nContent-Type: multipart/mixed\n\n--x\nContent-Disposition: attachment; filename=a.exe\n\nMZ\n--x--\n'
    r = check("reject malformed\n", noboundary)
    like(r.out, r'^5\.7\.1 malformed MIME is not accepted \(a multipart without a boundary\)', 'multipart without a boundary parameter: malformed')

    same = ('From: a@example.org\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=S\n\n--S\n'
            'Content-Type: multipart/alternative; boundary=S\n\n--S\nContent-Disposition: attachment; filename=x.exe\n\nMZ\n--S--\n').encode()
    r = check(RULES, same)
    is_(r.rc, 100, 'nested boundary equal to the parent\'s: the parts after it still checked (.exe refused)')
    r = check("tag malformed\n", same)
    like(r.message or b'', rb'^X-DCR-MIME: malformed MIME \(a nested boundary equal to an enclosing one', '  and it is malformed')

    dup = ('From: a@example.org\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=D\n\n--D\n'
           'Content-Disposition: attachment; filename="a.txt"\nContent-Disposition: attachment; filename="a.exe"\n\nMZ\n--D--\n').encode()
    r = check(RULES + "reject malformed\n", dup)
    like(r.out, r'^5\.7\.1 malformed MIME is not accepted \(a part header with two Content-Type, Content-Disposition', 'two Content-Disposition fields (a.txt, a.exe): malformed, refused under reject malformed')

    badb64 = ('From: a@example.org\nMIME-Version: 1.0\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\n'
              'aGVsbG8*!!\n').encode()
    r = check("reject malformed\n", badb64)
    like(r.out, r'bad base64', 'bad base64: malformed')

    rnd = random.Random(7)
    worst = 0
    for i in range(60):
        b = bytearray(raw(multipart('R%d' % i, [('Content-Type: text/plain', 'x' * 50), ('Content-Type: application/zip; name=a.zip', 'PK\x03\x04')])))
        for _ in range(rnd.randint(1, 40)):
            b[rnd.randrange(len(b))] = rnd.randrange(256)
        if i % 3 == 0:
            b = bytes(rnd.randrange(256) for _ in range(rnd.randint(0, 3000)))
        r = check(RULES, bytes(b))
        if r.rc not in (0, 100) or (r.rc == 0 and r.message is None):
            worst += 1
            diag('input %d: rc %r %r' % (i, r.rc, r.err[-300:]))
    is_(worst, 0, '60 garbled messages: each accepted or refused, never a crash')

    def parts(n):
        m = new(text=None)
        m.make_mixed()
        for i in range(n):
            attach(m, b'x', 'f%d.txt' % i, 'text', 'plain')
        return m

    m = parts(1000)
    r = check(RULES, m)
    is_(r.rc, 0, '1,000 parts: accepted')
    r = check(RULES, parts(1001))
    is_((r.rc, r.out), (100, '5.7.1 too many MIME parts (more than 1000)\n'), '1,001 parts: 5.7.1 too many MIME parts')
    like(r.err, r'event=mime-reject id=test-id-1 reason=limit detail=parts limit=1000', '  logged')
    r = check(RULES + "set max-parts 5000\n", parts(1001))
    is_(r.rc, 0, 'set max-parts 5000: 1,001 parts accepted')

    is_(check(RULES, nested(20)).rc, 0, '20 nested multiparts: accepted')
    r = check(RULES, nested(21))
    is_((r.rc, r.out), (100, '5.7.1 MIME nesting too deep (more than 20 levels)\n'), '21 nested multiparts: 5.7.1 MIME nesting too deep')
    is_(check(RULES + "set max-depth 30\n", nested(21)).rc, 0, 'set max-depth 30: 21 accepted')
    is_(check(RULES, nested(20, 'Content-Type: text/plain; name=x.exe\n\nMZ\n')).rc, 100, 'an .exe 20 levels deep: refused')

    big = multipart('H', [('X-Big: ' + 'a' * 70000, 'body')])
    r = check(RULES, big)
    is_((r.rc, r.out), (100, '5.7.1 a MIME part header is too large (more than 65536 octets)\n'), 'a part header of 70 KB: refused')
    hdr = b'From: a@example.org\n' + b'X-Many: ' + b'b' * 200000 + b'\n\nbody\n'
    is_(check(RULES, hdr).rc, 0, "the message's own header of 200 KB: accepted (its limit is 1 MiB)")


run(main, timeout=120)
