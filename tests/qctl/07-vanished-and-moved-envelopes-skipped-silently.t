#!/usr/bin/python3
# Proves, deterministically (strace holds dcr-qctl between its readdir of
# the queue and its first envelope open): an envelope the runner deleted
# in between (delivered) is skipped without a word, one it moved from
# new/ to env/NN/ is read where it went, and list exits 0.
import os, subprocess, sys, time
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, '..', 'lib'))
sys.path.insert(0, here)
from dcrtest import *
from qctltest import *


def main():
    q = QueueDir()
    try:
        now = int(time.time())
        x, a, d, e, c = [make_id(now - 100 + i, i) for i in range(5)]
        # a lands in a bucket of its own, so the scan of env/ saw nothing of it
        while bucket(a) in (bucket(d), bucket(e)):
            a = a[:-4] + '%04x' % (int(a[-4:], 16) + 16)
        for qid, new in ((x, True), (a, True), (d, False), (e, False), (c, True)):
            write_envelope(q, qid, [('pending', 0, 0, 'r@example.net')], new=new)
        trace = q.p('..', 'trace')
        # a dry run finds which open of the program is the first envelope's
        # (musl: open(2) after the 64 env/NN and new/; glibc: openat(2),
        # after its own loader's)
        argv = [QCTL, '-q', q.path, 'list', '--ids']
        subprocess.run(['strace', '-e', 'trace=open,openat', '-e', 'signal=none', '-o', trace] + argv,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(trace) as f:
            calls = [l for l in f if l.startswith(('open(', 'openat('))]
        first = next(i for i, l in enumerate(calls) if '"new/' + x in l)
        sysname = calls[first].split('(')[0]
        nth = 1 + len([l for l in calls[:first] if l.startswith(sysname + '(')])
        p = subprocess.Popen(['strace', '-e', 'trace=' + sysname, '-e', 'signal=none', '-o', trace,
                              '-e', 'inject=%s:delay_enter=1500000:when=%d' % (sysname, nth)] + argv,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(0.7)
        os.unlink(env_path(q, x, new=True))                 # x delivered
        os.makedirs(os.path.dirname(env_path(q, a)), exist_ok=True)
        os.rename(env_path(q, a, new=True), env_path(q, a))  # a picked up
        os.unlink(env_path(q, d))                           # d delivered
        out, err = p.communicate(timeout=20)
        with open(trace) as f:
            opens = [l for l in f if l.startswith(sysname + '(')]
        ok(len(opens) >= nth and ('new/' + x) in opens[nth - 1] and 'DELAYED' in opens[nth - 1],
           'the delay hit the first envelope open: %r' % (opens[nth - 1:nth],))
        is_(p.returncode, 0, 'exit 0')
        is_(out.decode().split(), [a, e, c], 'the moved one listed, the deleted ones not')
        is_(err.decode(), '', 'nothing on stderr: a vanished envelope is no error')
    finally:
        q.cleanup()


run(main)
