#!/usr/bin/python3
# dcr-rewrite on a 50 MB message whose From is rewritten: the body is
# copied, never loaded (peak memory of the whole chain step well under
# the message size), and comes out byte-identical.
import hashlib
import os
import shutil
import sys
import tempfile
sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'lib'))
sys.path.insert(0, os.path.dirname(__file__))
from dcrtest import *  # noqa: F401,F403
from rwlib import run_file

MB = 1024 * 1024


def main():
    d = tempfile.mkdtemp(prefix='dcr-rewrite-big-')
    try:
        mapfile = os.path.join(d, 'map')
        with open(mapfile, 'w') as f:
            f.write("*@internal.example.com -> *@example.com\n")
        src, out = os.path.join(d, 'msg'), os.path.join(d, 'out')
        head = b"From: Joe <joe@internal.example.com>\nTo: a@b.test\nSubject: big\n\n"
        line = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdef\n"
        h = hashlib.sha256()
        with open(src, 'wb') as f:
            f.write(head)
            chunk = line * (MB // len(line))
            n = 0
            while n < 50 * MB:
                f.write(chunk)
                h.update(chunk)
                n += len(chunk)
        r = run_file(['dcr-rewrite', '-f', mapfile], src, out)
        is_(r.rc, 0, 'a 50 MB message went through')
        with open(out, 'rb') as f:
            got_head = f.read(len(head) - 9)
            f.seek(0)
            first = f.read(4096)
            f.seek(first.index(b'\n\n') + 2)
            g = hashlib.sha256()
            while True:
                b = f.read(MB)
                if not b:
                    break
                g.update(b)
        ok(got_head.startswith(b"From: Joe <joe@example.com>\n"), 'the From address rewritten')
        is_(g.hexdigest(), h.hexdigest(), 'the 50 MB body byte-identical')
        diag('peak RSS %d KiB, %.2f s' % (r.maxrss_kb, r.secs))
        ok(r.maxrss_kb < 8 * 1024, 'peak memory %d KiB < 8 MiB for a 50 MB message' % r.maxrss_kb)
    finally:
        shutil.rmtree(d, ignore_errors=True)


run(main, timeout=200)
