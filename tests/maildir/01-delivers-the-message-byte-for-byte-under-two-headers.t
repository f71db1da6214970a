#!/usr/bin/python3
# Proves: dcr-maildir writes the message into new/ of the Maildir,
# making tmp/ new/ cur/ (0700) when missing, as a 0600 file named
# SECONDS.M<usec>P<pid>Q<n>.HOST,S=<size> whose size is S=; the file is
# "Return-Path: <sender>" then "Delivered-To: rcpt" then the message
# byte for byte (8-bit, NUL, no final LF, 3 MB); the null sender gives
# "Return-Path: <>"; ESMTP parameters are ignored; tmp/ is left empty;
# the verdicts follow the contract (D with the path, then "ID done"),
# several jobs in one run; exit 0 at EOF, and at the idle timeout (-i).
import os, re, stat, subprocess, sys, tempfile, time
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, '..', 'lib'))
sys.path.insert(0, here)
from dcrtest import *
from maildirtest import *


def main():
    top = tempfile.mkdtemp(prefix='dcrmd-')
    md = os.path.join(top, 'deep', 'er', 'Maildir')
    msgs = {
        'm1': b'Subject: one\n\nhello\n',
        'm2': bytes(range(256)) * 4 + b'\n\nno final newline',
        'm3': (b'Subject: big\n\n' + b'0123456789abcdef' * 64 + b'\n') * 3000,
    }
    for k, v in msgs.items():
        with open(os.path.join(top, k), 'wb') as f:
            f.write(v)
    jobs = (job('J1', os.path.join(top, 'm1'), 'alice@example.com', 'bob@example.net') +
            job('J2', 'm2', '', '<Bob@example.net> NOTIFY=SUCCESS ORCPT=rfc822;bob@example.net') +
            job('J3', 'm3', '<alice@example.com> BODY=8BITMIME', 'bob@example.net'))
    rc, out, err, _ = agent([md], jobs, cwd=top)
    is_(rc, 0, 'exit 0 at EOF')
    v = verdicts(out)
    is_([x[:3] for x in v], [('J1', 'bob@example.net', 'D'), ('J1', 'done'),
                             ('J2', 'Bob@example.net', 'D'), ('J2', 'done'),
                             ('J3', 'bob@example.net', 'D'), ('J3', 'done')],
        'one D verdict per recipient, then done, per job (bare address in the verdict)')
    like(v[0][3], r'^250 2\.0\.0 delivered to maildir ' + re.escape(md) + r'/new/\S+$', 'the reply names the file')
    names = files(md)
    is_(len(names), 3, 'three files in new/')
    is_((files(md, 'tmp'), files(md, 'cur')), ([], []), 'tmp/ and cur/ empty')
    for sub in ('', 'tmp', 'new', 'cur'):
        is_(stat.S_IMODE(os.stat(os.path.join(md, sub)).st_mode), 0o700, 'mode 0700: Maildir/' + sub)
    byname = {}
    for n in names:
        m = NAME_RE.match(n)
        ok(m is not None, 'unique name form: ' + n)
        data = read(md, n)
        is_(int(m.group(6)) if m else -1, len(data), '  S= is the file size')
        is_(stat.S_IMODE(os.stat(os.path.join(md, 'new', n)).st_mode), 0o600, '  mode 0600')
        byname[n] = data
    got = sorted(byname.values(), key=len)
    exp = sorted([b'Return-Path: <alice@example.com>\nDelivered-To: bob@example.net\n' + msgs['m1'],
                  b'Return-Path: <>\nDelivered-To: Bob@example.net\n' + msgs['m2'],
                  b'Return-Path: <alice@example.com>\nDelivered-To: bob@example.net\n' + msgs['m3']], key=len)
    ok(got == exp, 'the two headers, then the message byte for byte (20 B, 1 KB binary, 3 MB)')
    like(err, r'id=J1 event=delivered maildir=\S+ rcpts=1', 'logged as key=value on stderr')
    with open(os.path.join(top, 'm1'), 'rb') as f:
        is_(f.read(), msgs['m1'], 'the message file is not changed')

    # idle: exits 0 after -i seconds with stdin open
    p = subprocess.Popen([bin_path('dcr-maildir'), '-i', '1', md], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    t = time.monotonic()
    try:
        rc = p.wait(10)
    except subprocess.TimeoutExpired:
        p.kill(); rc = p.wait()
    secs = time.monotonic() - t
    p.stdin.close()
    ok(rc == 0 and 0.8 < secs < 4, '-i 1: exits 0 when idle for a second (%.1f s)' % secs)
    like(p.stderr.read().decode(), r'event=exit reason=idle jobs=0', '  and says why')
    p.stdout.close(); p.stderr.close()


run(main, timeout=60)
