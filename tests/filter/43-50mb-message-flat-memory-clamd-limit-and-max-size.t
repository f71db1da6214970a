#!/usr/bin/python3
# Proves: a 50 MB message goes to a real clamd (StreamMaxLength raised to
# 60M) in chunks with flat memory (dcr-scan's peak RSS, a static
# binary, under 4 MB), and all of it is scanned (an EICAR at its very end is found);
# tagging it (--virus tag) copies 50 MB to the new message with flat
# memory too; with clamd's StreamMaxLength under the message size, its
# "INSTREAM size limit exceeded" is reason=limit and 451 by default (not
# acceptance), "skipped limit" with --on-error accept; over --max-size the
# message is not sent at all (no connection: the scanner is down here).
# 50 MB to spamd (a fake one that counts: SpamAssassin on 50 MB would
# take minutes) is sent in CRLF form with the exact Content-length, flat.
import os, sys
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, '..', 'lib'))
sys.path.insert(0, here)
from dcrtest import *
from scanlib import *

MB = 1024 * 1024


def main():
    body = (b'0123456789 abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ\n' * (50 * MB // 64))
    big = message(body + EICAR + b'\n')
    diag('message: %d octets' % len(big))
    with Clamd(stream_max='60M') as c:
        r = scan(['--clamd', c.unix, '--max-size', str(60 * MB), '--timeout', '120'], big, rss=True, timeout=200)
        is_((r.rc, r.message), (100, None), '50 MB, EICAR at the end: found (all of it reached clamd), refused')
        like(r.out, r'^5\.7\.1 message contains a virus \(Dcrtest-Eicar', '  with the signature')
        if r.base_kb:
            ok(r.peak_kb < 4096, '  flat memory: peak RSS %d KiB for 50 MB (%.1f s)' % (r.peak_kb, r.secs))
        else:
            skip('no RSS sample')

        r = scan(['--clamd', c.tcp, '--max-size', str(60 * MB), '--virus', 'tag', '--timeout', '120'], big, rss=True, timeout=200)
        is_(r.rc, 0, '--virus tag on 50 MB: passed on')
        ok(r.message is not None and r.message.startswith(b'X-Virus-Status: Infected (Dcrtest-Eicar.UNOFFICIAL)\n')
           and r.message.endswith(big) and len(r.message) == len(big) + 52, '  the new message is the field then all 50 MB')
        if r.base_kb:
            ok(r.peak_kb < 4096, '  flat memory while copying: peak RSS %d KiB' % r.peak_kb)
        else:
            skip('no RSS sample')

    with Clamd(stream_max='10M') as c:
        r = scan(['--clamd', c.unix, '--max-size', str(60 * MB)], big, timeout=200)
        is_((r.rc, r.out), (111, '4.7.1 virus scanner unavailable\n'), "over clamd's StreamMaxLength: 451 by default, not accepted")
        like(r.err, r'reason=limit error="clamd says: INSTREAM size limit exceeded\."', '  logged reason=limit')
        r = scan(['--clamd', c.unix, '--max-size', str(60 * MB), '--on-error', 'accept'], big, timeout=200)
        is_(r.rc, 0, '  with --on-error accept: passed on')
        ok(r.message is not None and r.message.startswith(b'X-DCR-Scan: skipped limit (clamd)\n'), '  with "X-DCR-Scan: skipped limit (clamd)"')

    with FakeScanner('spamc') as f:
        r = scan(['--spamd', f.addr, '--max-size', str(60 * MB), '--timeout', '120'], big, rss=True, timeout=200)
        crlf = len(big) + big.count(b'\n')
        like(r.message[:200] if r.message else b'', rb'^X-Spam-Status: No, score=0\.0 required=5\.0 tests=GOT_%d,CRLF_OK\n' % crlf,
             '50 MB to a spamd (a fake that counts): Content-length %d octets exactly, every LF made CRLF' % crlf)
        ok(r.message is not None and r.message.endswith(big), '  the message passed on whole')
        if r.base_kb:
            ok(r.peak_kb < 4096, '  flat memory converting to CRLF: peak RSS %d KiB (%.1f s)' % (r.peak_kb, r.secs))
        else:
            skip('no RSS sample')

    port = free_port()
    r = scan(['--clamd', '127.0.0.1:%d' % port, '--max-size', str(10 * MB)], big)
    is_(r.rc, 0, 'over --max-size (10 MB): passed on without a connection (the scanner is down)')
    ok(r.message is not None and r.message.startswith(b'X-DCR-Scan: skipped size (clamd)\n') and r.message.endswith(big),
       '  "X-DCR-Scan: skipped size (clamd)" then the message')
    like(r.err, r'event=scan-skip .*reason=size size=%d max=%d' % (len(big), 10 * MB), '  logged reason=size')


run(main, timeout=400)
