#!/usr/bin/python3
# Proves the order of step 1 (doc/queue.md), on both paths: the message
# file is linked into mess/NN/ID first and fsync'd after, then mess/NN is
# fsync'd. The other order can leave, after a crash on ext4 without a
# journal, a name for an inode whose link count on disk is still 0.
import os, re, shutil, subprocess, sys, tempfile
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, '..', 'lib'))
sys.path.insert(0, here)
from dcrtest import *
from queuetest import *


def trace(q, fd_or_none, top):
    out = os.path.join(top, 'trace')
    rc, so, se = enqueue(q.path, data=b'Subject: t\n\nbody\n', stdin=fd_or_none,
                         prefix=['strace', '-f', '-qq', '-o', out,
                                 '-e', 'trace=link,linkat,fsync,fdatasync,open,openat'])
    return rc, open(out).read().splitlines()


def order_ok(lines, name):
    link = next((i for i, l in enumerate(lines) if re.search(r'link(at)?\(.*"mess/[0-9a-f]{2}/', l)), None)
    ok(link is not None, name + ': the message is linked into mess/NN')
    if link is None:
        return
    m = re.search(r'link(at)?\((\w+|-?\d+),?\s*"([^"]*)"', lines[link])
    # the fsync of the message's descriptor: fd 0 (link path) or the tmp file
    fsyncs = [i for i, l in enumerate(lines) if re.search(r'\bfsync\(', l)]
    before = [lines[i] for i in fsyncs if i < link]
    after = [lines[i] for i in fsyncs if i > link]
    ok(not any(re.search(r'fsync\((0|[3-9]|\d\d)\)', l) for l in before),
       name + ': no file fsync before the link (got %r)' % before)
    ok(len(after) >= 4, name + ': message, mess/NN, envelope and new/ fsync\'d after it (%d)' % len(after))


def main():
    if not shutil.which('strace'):
        skip('strace not installed', 8)
        return
    top = tempfile.mkdtemp(prefix='dcrq-')
    try:
        q = Queue(os.path.join(top, 'q'))
        os.mkdir(q.path, 0o750)
        for d in ('tmp', 'mess', 'new', 'env'):
            os.mkdir(q.p(d), 0o750)
        fd = spool(q.p('tmp'), b'Subject: t\n\nbody\n')
        rc, lines = trace(q, fd, top)
        os.close(fd)
        is_(rc, 0, 'link path: queued')
        order_ok(lines, 'link path')
        rc, lines = trace(q, None, top)
        is_(rc, 0, 'copy path: queued')
        order_ok(lines, 'copy path')
    finally:
        shutil.rmtree(top, ignore_errors=True)


run(main)
