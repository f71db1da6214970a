#!/usr/bin/python3
# Proves: a scanner that is down (port closed, socket missing), hangs at
# connect, accepts and never answers, never reads, hangs up, or answers
# garbage gives a clean error (a unix socket with a full backlog is
# tried again until the connect timeout), never a crash and never silent acceptance:
# by default "4.7.1 spam|virus scanner unavailable" and exit 111, within
# --timeout / --connect-timeout; --on-error accept passes the message on
# with "X-DCR-Scan: skipped REASON (KIND)" and logs event=scan-error
# action=accept; --on-error reject gives 5.7.1 and exit 100; clamd's
# "INSTREAM size limit exceeded. ERROR" is reason=limit; spamd's own
# error line is reason=scanner. Bad command lines are 4.3.5 and exit 111
# (a typo must not bounce mail); a stdin that is not seekable is 4.3.0.
import os, subprocess, sys, time
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, '..', 'lib'))
sys.path.insert(0, here)
from dcrtest import *
from scanlib import *

SPAMD_GARBAGE = [
    (b'HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n', 'protocol', 'not a SPAMD reply'),
    (b'SPAMD/1.1 0 EX_OK\r\nSpam: Maybe ; 3 / 5\r\n\r\n', 'protocol', 'bad Spam line'),
    (b'SPAMD/1.1 0 EX_OK\r\nContent-length: 5\r\n\r\n', 'protocol', 'no Spam line'),
    (b'SPAMD/1.1 0 EX_OK\r\nSpam: True ; 99999999.0 / 5.0\r\n\r\n', 'protocol', 'bad Spam line'),
    (b'SPAMD/1.1 0 EX_OK\r\nSpam: True ; 9.0 / 5.0\r\nContent-length: 40\r\n\r\nA,B', 'protocol', 'reply cut short'),
    (b'SPAMD/1.1 0 EX_OK\r\nSpam: True ; 9.0 / 5.0\r\n\r\nA,B\r\nX-Evil: 1', 'protocol', 'bad octet in the symbols'),
    (b'SPAMD/1.1 0 EX_OK\r\nSpam: True ; 9.0 / 5.0\r\nSpam: False ; 0.0 / 5.0\r\n\r\n', 'protocol', 'two Spam lines'),
    (b'SPAMD/1.1 0 EX_OK\r\nSpam: True ; 9.0 / 5.0\r\nContent-length: 999999999\r\n\r\n', 'protocol', 'Content-length too big'),
    (b'SPAMD/1.0 76 Bad header line: (EOF)\r\n', 'scanner', 'spamd says: 76 Bad header line'),
    (b'\x00\xff' * 3000, 'protocol', 'reply cut short'),
    (b'S' * 70000, 'protocol', 'reply too long'),
    (b'', 'protocol', 'no reply'),
]
CLAMD_GARBAGE = [
    (b'stream: OK', 'protocol', 'reply cut short'),
    (b'stream: A B C FOUND\0', 'protocol', 'bad octet in the signature'),
    (b'stream: ' + b'N' * 200 + b' FOUND\0', 'protocol', 'signature name too long'),
    (b'UNKNOWN COMMAND\n', 'protocol', 'not a stream reply'),
    (b'stream: OK\0stream: OK\0', 'protocol', 'more than one reply'),
    (b'stream: Evil\nX-Injected: yes FOUND\0', 'protocol', 'more than one reply'),
    (b'stream: MAYBE\0', 'protocol', 'neither OK, FOUND nor ERROR'),
    (b'x' * 5000, 'protocol', 'reply too long'),
    (b'INSTREAM size limit exceeded. ERROR\0', 'limit', 'size limit exceeded'),
    (b'stream: lstat() failed: No such file ERROR\0', 'scanner', 'lstat'),
]


def unavailable(r, kind, name, secs=None):
    word = 'spam' if kind == 'spamd' else 'virus'
    ok(r.rc == 111 and r.out == '4.7.1 %s scanner unavailable\n' % word and r.message is None,
       '%s: 4.7.1 %s scanner unavailable, exit 111%s' % (name, word, '' if secs is None else ' (%.1f s)' % r.secs))
    if r.rc != 111:
        diag('rc=%r out=%r err=%r' % (r.rc, r.out, r.err[-500:]))


def main():
    port = free_port()
    for kind in ('spamd', 'clamd'):
        r = scan(['--' + kind, '127.0.0.1:%d' % port], HAM)
        unavailable(r, kind, '%s port closed' % kind)
        like(r.err, r'event=scan-error id=test-id-1 scanner=%s addr=127\.0\.0\.1:%d reason=connect error="connect: Connection refused" action=tempfail'
             % (kind, port), '  logged event=scan-error reason=connect action=tempfail')
    r = scan(['--clamd', 'unix:/nonexistent/clamd.ctl'], HAM)
    unavailable(r, 'clamd', 'clamd socket missing')

    r = scan(['--spamd', '127.0.0.1:%d' % port, '--on-error', 'accept'], HAM)
    is_(r.rc, 0, '--on-error accept: passed on')
    is_(r.message, b'X-DCR-Scan: skipped connect (spamd)\n' + HAM, '  untagged but for "X-DCR-Scan: skipped connect (spamd)"')
    like(r.err, r'event=scan-error .*reason=connect .*action=accept', '  logged action=accept')
    r = scan(['--clamd', '127.0.0.1:%d' % port, '-e', 'reject'], HAM)
    is_((r.rc, r.out, r.message), (100, '5.7.1 virus scanner unavailable\n', None), '--on-error reject: 5.7.1, exit 100')

    with Unanswered() as u:
        r = scan(['--spamd', u.addr, '--connect-timeout', '1', '--timeout', '30'], HAM)
        unavailable(r, 'spamd', 'connect never completes, --connect-timeout 1', r.secs)
        ok(0.8 < r.secs < 3, '  after the connect timeout (%.1f s)' % r.secs)
        like(r.err, r'reason=timeout error="connect: ', '  logged reason=timeout')

    with BusyUnix() as b:
        r = scan(['--clamd', b.addr, '--connect-timeout', '1'], HAM)
        unavailable(r, 'clamd', 'unix socket with a full backlog (EAGAIN), --connect-timeout 1', r.secs)
        ok(0.8 < r.secs < 3, '  tried again until the connect timeout (%.1f s), not failed at once' % r.secs)
    with BusyUnix(release=0.5) as b:
        r = scan(['--clamd', b.addr, '--connect-timeout', '5'], HAM)
        ok(r.rc == 0 and r.message == HAM, 'a full backlog that drains after 0.5 s: connected, scanned, passed (%.1f s)' % r.secs)

    for kind in ('spamd', 'clamd'):
        with FakeScanner('silent') as f:
            r = scan(['--' + kind, f.addr, '--timeout', '2'], HAM)
            unavailable(r, kind, '%s accepts, reads, never answers, --timeout 2' % kind, r.secs)
            ok(1.8 < r.secs < 4, '  within the timeout (%.1f s)' % r.secs)
            like(r.err, r'reason=timeout error="read the reply: ', '  logged reason=timeout')
    big = message(b'0123456789abcdef' * 4 + b'\n') * 60000   # 6 MB: more than the socket buffers
    with FakeScanner('noread') as f:
        r = scan(['--clamd', f.addr, '--timeout', '2', '--max-size', '100000000'], big)
        unavailable(r, 'clamd', 'clamd accepts, never reads 6 MB, --timeout 2', r.secs)
        ok(1.8 < r.secs < 4, '  within the timeout (%.1f s)' % r.secs)
        like(r.err, r'reason=timeout error="send the message: ', '  logged reason=timeout while sending')
    for kind in ('spamd', 'clamd'):
        with FakeScanner('close') as f:
            r = scan(['--' + kind, f.addr, '--timeout', '5'], HAM)
            unavailable(r, kind, '%s hangs up at once' % kind)

    for kind, cases in (('spamd', SPAMD_GARBAGE), ('clamd', CLAMD_GARBAGE)):
        for reply, reason, why in cases:
            with FakeScanner(reply) as f:
                r = scan(['--' + kind, f.addr, '--timeout', '5'], HAM)
                unavailable(r, kind, '%s answers %r' % (kind, reply[:40]))
                like(r.err, r'event=scan-error .*reason=%s error=.*%s' % (reason, why), '  reason=%s %s' % (reason, why))
    with FakeScanner(b'INSTREAM size limit exceeded. ERROR\0') as f:
        r = scan(['--clamd', f.addr, '--on-error', 'accept'], HAM)
        is_(r.message, b'X-DCR-Scan: skipped limit (clamd)\n' + HAM, "clamd's size limit with --on-error accept: skipped limit")

    # a bad command line: 4.3.5, exit 111, the next program not run
    for args, name in ((['--spamd', '127.0.0.1:1', '--no-such-option'], 'unknown long option'),
                       (['--spamd', 'mail.example.com:783'], 'a host name (no resolver: IP or unix:)'),
                       (['--clamd', '127.0.0.1:99999'], 'a bad port'),
                       (['--spamd', 'unix:relative'], 'a relative socket path'),
                       (['--virus', 'drop', '--clamd', '/run/c'], 'a bad --virus'),
                       (['--on-error', 'ignore', '--clamd', '/run/c'], 'a bad --on-error'),
                       (['--spam-tag', 'five', '--spamd', '127.0.0.1'], 'a bad score'),
                       (['--timeout', '0', '--spamd', '127.0.0.1'], 'a zero timeout'),
                       (['--spam-subject', 'a\nb', '--spamd', '127.0.0.1'], 'a newline in the subject prefix'),
                       (['-x', '--spamd', '127.0.0.1'], 'an unknown short option'),
                       ([], 'no scanner')):
        r = scan(args, HAM)
        ok(r.rc == 111 and r.out == '4.3.5 dcr-scan: configuration error\n' and r.message is None,
           'bad command line, %s: 4.3.5, exit 111' % name)
        if r.rc != 111:
            diag('rc=%r out=%r err=%r' % (r.rc, r.out, r.err))
    p = subprocess.run([bin_path('dcr-scan'), '--clamd', '/run/c'], stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    is_((p.returncode, p.stdout), (111, b'4.3.5 dcr-scan: configuration error\n'), 'no program after the options: 4.3.5')
    p = subprocess.run([bin_path('dcr-scan'), '--clamd', '/run/c', 'true'], input=HAM,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    is_((p.returncode, p.stdout), (111, b'4.3.0 dcr-scan: temporary failure\n'), 'stdin a pipe, not seekable: 4.3.0, exit 111')


run(main, timeout=150)
