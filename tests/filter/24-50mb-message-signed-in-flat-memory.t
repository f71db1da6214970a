#!/usr/bin/python3
# Proves: a 50 MB message is signed with flat memory (the body is hashed
# as it streams: dcr-dkimsign's resident size stays under 8 MB while it
# reads 50 MB), the signed message is the field plus the original byte
# for byte, and both verifiers accept it (relaxed and simple bodies).
import os, subprocess, sys, tempfile, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dkimlib import *
from dcrtest import *

SIZE = 50 * 1024 * 1024


def big():
    line = b'The quick brown fox jumps over the lazy dog  \t  0123456789 ABCDEFGHIJKLMNOPQRS\n'
    body = line * (SIZE // len(line))
    return (b'From: Alice <alice@example.com>\nTo: bob@example.net\nSubject: big\n'
            b'Date: Thu, 3 Dec 2026 19:00:00 +0000\n\n' + body + b'\n\n\n')


def main():
    msg = big()
    with tempfile.TemporaryDirectory(prefix='dcr-dkim-') as td:
        keys = Keys(td)
        keys.add('example.com', 'sel', 2048)
        src = os.path.join(td, 'msg')
        with open(src, 'wb') as f:
            f.write(msg)
        for c in ('relaxed/relaxed', 'simple/simple'):
            out = os.path.join(td, 'out')
            env = dict(os.environ, TMPDIR=td, DCR_ID='big-1')
            with open(src, 'rb') as stdin:
                t0 = time.time()
                p = subprocess.Popen([bin_path('dcr-dkimsign'), '-c', c, '-d', keys.dir,
                                      '/bin/sh', '-c', 'exec cat > "$0"', out],
                                     stdin=stdin, stderr=subprocess.PIPE, env=env)
                with RssPeak(p.pid) as m:
                    err = p.communicate(timeout=120)[1].decode()
                secs = time.time() - t0
            is_(p.returncode, 0, '%s: exit 0' % c)
            like(err, r'event=dkim-sign id=big-1 d=example\.com', '%s: signed' % c)
            if m.base is not None:
                ok(m.peak < 8 * 1024, '%s: resident size stayed under 8 MB (peak %d KiB, %.1f s)' % (c, m.peak, secs))
            else:
                skip('the process could not be sampled')
            with open(out, 'rb') as f:
                signed = f.read()
            ok(signed.endswith(msg) and len(signed) - len(msg) < 1000, '%s: the field plus the original, byte for byte' % c)
            ok(dkimpy(signed, keys), '%s: dkimpy verifies 50 MB' % c)
            v, line = opendkim(signed, keys)
            if not ok(v, '%s: opendkim verifies 50 MB' % c):
                diag(line)
            os.unlink(out)


run(main, timeout=300)
