#!/usr/bin/python3
# Proves: with a real spamd (SpamAssassin's rules, local tests only), over
# TCP and its unix socket, dcr-scan tags a plain message "X-Spam-Status:
# No, score=... required=... tests=..." and "X-Spam-Score", prepended,
# the rest byte for byte; tags the GTUBE string Yes (X-Spam-Flag: YES)
# and prefixes the Subject with --spam-subject (a folded Subject keeps its
# folds; a message without one gets one); refuses GTUBE over
# --spam-reject with "5.7.1 message looks like spam (score N)" and exit
# 100; --spam-tag is our threshold, not spamd's; --spam-check (CHECK)
# gives no tests=; a sender's own X-Spam-* fields are dropped; a 1 MB
# message of short lines is counted right in CRLF form (spamd answers);
# the log says score, required, result and tests.
import os, re, sys
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, '..', 'lib'))
sys.path.insert(0, here)
from dcrtest import *
from scanlib import *


def added(r, orig):
    """The fields dcr-scan put on top of orig, or None."""
    if r.message is None:
        return None
    # the original header starts at its first field, "Received:"
    i = r.message.find(orig[:40])
    return r.message[:i] if i >= 0 else None


def main():
    with Spamd() as s:
        diag('spamd ready in %.1f s' % s.ready_secs)
        r = scan(['--spamd', s.tcp], HAM)
        is_(r.rc, 0, 'ham over TCP: passed on, exit 0')
        top = added(r, HAM)
        like(top, r'^X-Spam-Status: No, score=-?\d+\.\d required=5\.0 tests=\S+\nX-Spam-Score: -?\d+\.\d\n$',
             '  X-Spam-Status: No and X-Spam-Score on top (spamd\'s required 5.0)')
        ok(r.message is not None and r.message.endswith(HAM), '  then the message byte for byte')
        like(r.err, r'event=scan id=test-id-1 scanner=spamd addr=127\.0\.0\.1:\d+ score=-?\d+\.\d required=5\.0 result=ham tests=\S* ms=\d+',
             '  logged result=ham')

        r = scan(['--spamd', s.unix, '--spam-tag', '5', '--spam-subject', '[SPAM] '], SPAM)
        is_(r.rc, 0, 'GTUBE over the unix socket, no --spam-reject: passed on, tagged')
        top = added(r, SPAM)
        like(top, r'^X-Spam-Flag: YES\nX-Spam-Status: Yes, score=\d{3,4}\.\d required=5\.0 tests=[A-Z_,.\n\t0-9]*GTUBE',
             '  X-Spam-Flag: YES, X-Spam-Status: Yes with GTUBE in tests=')
        is_(header(r.message or b'', 'Subject'), ['[SPAM] Test spam'], '  Subject prefixed')
        ok(all(len(l) <= 78 for l in (top or b'').split(b'\n')), '  the tests= list folded under 78 columns')
        like(r.err, r'score=\d{3,4}\.\d required=5\.0 result=tag tests=\S*GTUBE', '  logged result=tag')

        r = scan(['-s', s.tcp, '-t', '5', '-r', '15'], SPAM)
        like(r.out, r'^5\.7\.1 message looks like spam \(score \d{3,4}\.\d\)\n$', 'GTUBE over --spam-reject 15: 5.7.1 with the score')
        is_((r.rc, r.message), (100, None), '  exit 100, the chain stopped')
        like(r.err, r'result=reject', '  logged result=reject')

        r = scan(['-s', s.tcp, '-t', '5', '-r', '15'], HAM)
        is_(r.rc, 0, 'ham under both thresholds: passed on')

        r = scan(['-s', s.tcp, '--spam-tag', '-50', '--spam-subject', '*** '], HAM)
        top = added(r, HAM)
        like(top, r'^X-Spam-Flag: YES\nX-Spam-Status: Yes, score=\S+ required=-50\.0 ', 'our --spam-tag -50, not spamd\'s 5.0: ham tagged Yes')
        is_(header(r.message or b'', 'Subject'), ['*** Lunch tomorrow'], '  and its Subject prefixed')

        folded = HEAD + b'Subject: a long subject\n =?utf-8?q?caf=C3=A9?= end\nX-Spam-Status: No, forged\nX-Spam-Flag: NO\n' \
            b'X-Spam-Score: -100\n\n' + GTUBE + b'\n'
        r = scan(['-s', s.unix, '-S', '[SPAM] '], folded)
        ok(r.message is not None and b'\nSubject: [SPAM] a long subject\n =?utf-8?q?caf=C3=A9?= end\n' in r.message,
           'a folded Subject: prefixed, its fold and encoded word kept')
        is_([len(header(r.message or b'', n)) for n in ('X-Spam-Status', 'X-Spam-Flag', 'X-Spam-Score')], [1, 1, 1],
            "the sender's own X-Spam-Status/Flag/Score dropped, ours alone")
        like(' '.join(header(r.message or b'', 'X-Spam-Status')), r'^Yes, ', '  and ours says Yes')

        nosubj = HEAD + b'\n' + GTUBE + b'\n'
        r = scan(['-s', s.tcp, '-S', '[SPAM] '], nosubj)
        is_(header(r.message or b'', 'Subject'), ['[SPAM]'], 'no Subject: one is added with the prefix')

        r = scan(['-s', s.tcp, '--spam-check'], SPAM)
        top = added(r, SPAM)
        like(top, r'^X-Spam-Flag: YES\nX-Spam-Status: Yes, score=\d{3,4}\.\d required=5\.0\nX-Spam-Score: ',
             '--spam-check (CHECK): the verdict without tests=')

        r = scan(['-s', s.tcp, '--spam-user', 'nobody'], HAM)
        is_(r.rc, 0, '--spam-user: accepted by spamd')

        # SpamAssassin reads the first 50 kB of a body part: GTUBE first
        big = message(GTUBE + b'\n' + b'a short line of text\n' * 50000)
        r = scan(['-s', s.tcp, '-r', '20'], big)
        is_(r.rc, 100, 'a 1 MB message of 50000 lines: Content-length right in CRLF form, GTUBE seen, refused')
        ok(r.message is None, '  the chain stopped')
        like(s.log(), r'identified spam \(\d{3,4}\.\d/5\.0\) for \S+ in \S+ seconds, %d bytes' % (len(big) + big.count(b'\n')),
             '  spamd saw the CRLF length (%d + %d octets)' % (len(big), big.count(b'\n')))

        r = scan(['-s', s.tcp, '-s', s.unix, '-S', '[SPAM] '], SPAM)
        is_(len(header(r.message or b'', 'X-Spam-Status')), 2, 'two spamd in a row: each adds its fields')
        is_(header(r.message or b'', 'Subject'), ['[SPAM] Test spam'], '  the Subject prefixed once')


run(main, timeout=180)
