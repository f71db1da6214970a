#!/usr/bin/python3
# Proves: with a real clamd (a signature file the test writes, no
# database download), over its unix socket and its TCP port, dcr-scan
# refuses the EICAR string with "5.7.1 message contains a virus (NAME)"
# and exit 100, the next program not run; with --virus tag it passes the
# message on with "X-Virus-Status: Infected (NAME)" on top and the rest
# byte for byte; a clean message passes unchanged (no header added, no
# copy); a message over --max-size is not sent to clamd (event=scan-skip
# reason=size, "X-DCR-Scan: skipped size (clamd)"), the EICAR inside it
# notwithstanding; the log lines carry id, scanner, result, signature, ms.
import os, sys
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, '..', 'lib'))
sys.path.insert(0, here)
from dcrtest import *
from scanlib import *

SIG = SIGNATURE + '.UNOFFICIAL'


def main():
    with Clamd() as c:
        diag('clamd ready in %.1f s' % c.ready_secs)
        for addr in (c.unix, c.tcp):
            r = scan(['--clamd', addr], VIRUS)
            is_((r.rc, r.out), (100, '5.7.1 message contains a virus (%s)\n' % SIG),
                'EICAR over %s: 5.7.1 with the signature, exit 100' % addr.split(':')[0])
            is_(r.message, None, '  the next program did not run')
            like(r.err, r'event=scan id=test-id-1 scanner=clamd addr=\S+ result=virus signature=%s action=reject ms=\d+'
                 % SIG.replace('.', r'\.'), '  logged with the signature')

            r = scan(['--clamd', addr], HAM)
            is_((r.rc, r.out), (0, 'next-ran\n'), 'clean message over %s: passed on, exit 0' % addr.split(':')[0])
            is_(r.message, HAM, '  byte for byte, nothing added')
            like(r.err, r'event=scan id=test-id-1 scanner=clamd addr=\S+ result=clean ms=\d+', '  logged clean')

        r = scan(['--clamd', c.unix, '--virus', 'tag'], VIRUS)
        is_(r.rc, 0, '--virus tag: passed on, exit 0')
        is_(r.message, ('X-Virus-Status: Infected (%s)\n' % SIG).encode() + VIRUS,
            '  X-Virus-Status on top, then the message byte for byte')
        like(r.err, r'result=virus signature=\S+ action=tag', '  logged as tagged')

        r = scan(['-c', c.tcp, '-v', 'tag'], message(EICAR + b'\n', extra=b'X-Virus-Status: Clean\n'))
        is_(r.message and header(r.message, 'X-Virus-Status'), ['Infected (%s)' % SIG],
            "short options; a sender's own X-Virus-Status is dropped when tagging")

        big = VIRUS + b'x' * 2000 + b'\n'
        r = scan(['--clamd', c.unix, '--max-size', str(len(big) - 1)], big)
        is_(r.rc, 0, 'over --max-size: not scanned, passed on (the EICAR in it unseen)')
        ok(r.message is not None and r.message.startswith(b'X-DCR-Scan: skipped size (clamd)\n')
           and r.message.endswith(big), '  "X-DCR-Scan: skipped size (clamd)" on top of the message')
        like(r.err, r'event=scan-skip id=test-id-1 scanner=clamd addr=\S+ reason=size size=%d max=%d'
             % (len(big), len(big) - 1), '  logged event=scan-skip reason=size')
        r = scan(['--clamd', c.unix, '--max-size', str(len(big))], big)
        is_(r.rc, 100, 'at exactly --max-size it is scanned (and refused)')

        # a message without a final newline, and one of 3 MB across many chunks
        r = scan(['--clamd', c.unix], VIRUS.rstrip(b'\n'))
        is_(r.rc, 100, 'EICAR at the very end, no final newline: found')
        many = message(b'line of text\n' * 250000 + EICAR + b'\n')
        r = scan(['--clamd', c.tcp], many)
        is_(r.rc, 100, 'EICAR after 3 MB (chunks of 64 KiB): found')
        is_(r.message, None, '  and the chain stopped')


run(main, timeout=120)
