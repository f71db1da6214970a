#!/usr/bin/python3
# Proves: a signature breaks when it must, and only then. Both verifiers
# (dkimpy, opendkim -t) fail a message whose body was altered after
# signing, whose signed Subject was changed, whose DKIM-Signature was
# touched, or that got a second From (above or below: From is
# oversigned), or a second To below the first; an unsigned field added
# does not break it, nor blanks added under relaxed body
# canonicalization (they do under simple).
import os, sys, tempfile
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dkimlib import *
from dcrtest import *

MSG = (b'From: Alice <alice@example.com>\nTo: bob@example.net\nSubject: the subject\n'
       b'Date: Thu, 3 Dec 2026 19:00:00 +0000\nMessage-ID: <a1@example.com>\n\n'
       b'Dear Bob,\n\nthe amount is 100 EUR.\n\nAlice\n')


def both(msg, keys):
    return dkimpy(msg, keys), opendkim(msg, keys)[0]


def main():
    with tempfile.TemporaryDirectory(prefix='dcr-dkim-') as td:
        keys = Keys(td)
        keys.add('example.com', 'sel', 2048)
        for c in ('relaxed/relaxed', 'simple/simple'):
            r = sign(keys, MSG, ['-c', c])
            s = r.message
            is_(both(s, keys), (True, True), '%s: the signed message verifies (both)' % c)
            cases = [
                ('body altered', s.replace(b'100 EUR', b'900 EUR')),
                ('a body line added', s + b'P.S. send it to me\n'),
                ('Subject changed', s.replace(b'the subject', b'the subjecT')),
                ('a second From above', b'From: mallory@evil.test\n' + s),
                ('a second From below', s.replace(b'\n\nDear', b'\nFrom: mallory@evil.test\n\nDear', 1)),
                ('a second To below', s.replace(b'\n\nDear', b'\nTo: mallory@evil.test\n\nDear', 1)),
                ('d= changed in the signature', s.replace(b'd=example.com', b'd=example.org', 1)),
                ('b= altered', s.replace(b'b=', b'b=A', 1)),
                ('h= shortened', s.replace(b'h=from:from:', b'h=from:', 1)),
            ]
            for what, m in cases:
                ok(m != s, '%s: %s: the message did change' % (c, what))
                is_(both(m, keys), (False, False), '%s: %s: both verifiers fail' % (c, what))
            m = s.replace(b'\n\nDear', b'\nX-Spam-Score: 0.1\n\nDear', 1)
            is_(both(m, keys), (True, True), '%s: an unsigned field added still verifies' % c)
            m = s.replace(b'Dear Bob,\n', b'Dear   Bob,  \n')
            want = c.endswith('relaxed')
            is_(both(m, keys), (want, want), '%s: blanks added to the body %s' % (c, 'still verify' if want else 'break it'))
            m = s + b'\n\n\n'
            is_(both(m, keys), (True, True), '%s: empty lines added at the end still verify' % c)


run(main, timeout=180)
