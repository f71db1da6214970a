#!/usr/bin/python3
# Proves: 1000 deliveries into one Maildir make 1000 files with 1000
# distinct names, from one agent (600 jobs, Q counts up) and from four
# agents at once (100 jobs each: the pid tells them apart); every file
# is whole.
import os, subprocess, sys, tempfile
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, '..', 'lib'))
sys.path.insert(0, here)
from dcrtest import *
from maildirtest import *

MSG = b'Subject: s\n\nbody\n'


def main():
    top = tempfile.mkdtemp(prefix='dcrmd-')
    msg = os.path.join(top, 'msg')
    with open(msg, 'wb') as f:
        f.write(MSG)
    md = os.path.join(top, 'md')
    rc, out, err, _ = agent([md], ''.join(job('A%d' % i, msg, 's', 'r@x') for i in range(600)), timeout=60)
    ok(rc == 0 and out.count('\tD\t') == 600, 'one agent: 600 D verdicts')
    procs = []
    for k in range(4):
        p = subprocess.Popen([bin_path('dcr-maildir'), md], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL)
        procs.append(p)
    for k, p in enumerate(procs):
        p.stdin.write(''.join(job('B%d-%d' % (k, i), msg, 's', 'r@x') for i in range(100)).encode())
        p.stdin.close()
    outs = [p.stdout.read().decode() for p in procs]
    rcs = [p.wait(60) for p in procs]
    for p in procs:
        p.stdout.close()
    ok(rcs == [0] * 4 and all(o.count('\tD\t') == 100 for o in outs), 'four agents at once: 100 D verdicts each')
    names = files(md)
    is_(len(names), 1000, '1000 files in new/')
    is_(len(set(NAME_RE.match(n).group(0) for n in names if NAME_RE.match(n))), 1000, '1000 distinct names of the standard form')
    is_(len(set(NAME_RE.match(n).group(3) for n in names)), 5, 'from five pids')
    ok(all(read(md, n) == b'Return-Path: <s>\nDelivered-To: r@x\n' + MSG for n in names), 'every file whole')
    is_(files(md, 'tmp'), [], 'tmp/ empty')


run(main, timeout=120)
