#!/usr/bin/python3
# Proves: on a full filesystem dcr-enqueue answers
# "452 4.3.1 insufficient system storage", exits 111 and leaves no visible
# trace (nothing in new/ or mess/, tmp/ clean), whether the space runs out
# while copying the message, while writing the envelope after an
# O_TMPFILE spool was linked, or for want of inodes; once space is back the
# same spool is queued (copied: a once-linked O_TMPFILE cannot be relinked). Uses a 200 KiB tmpfs it mounts (root), unmounted
# in a finally; skipped when mount is not permitted.
import errno, os, shutil, subprocess, sys, tempfile
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, '..', 'lib'))
sys.path.insert(0, here)
from dcrtest import *
from queuetest import *

NOSPACE = '452 4.3.1 insufficient system storage\n'


def no_trace(q, name):
    is_((q.ids(), q.files('mess'), q.files('tmp')), ([], [], []), name + ': no trace in new/ mess/ tmp/')


def main():
    top = tempfile.mkdtemp(prefix='dcrq-')
    mounted = []
    try:
        d = os.path.join(top, 'fs')
        os.mkdir(d)
        if not tmpfs_mount(d, 'size=200k,mode=0750'):
            skip('cannot mount a tmpfs here (not root?)', 13)
            return
        mounted.append(d)
        q = Queue(os.path.join(d, 'q'))
        os.mkdir(q.path, 0o750)
        os.mkdir(q.p('tmp'), 0o750)

        # 1. the copy runs out of space
        rc, out, err = enqueue(q.path, b'x' * (300 * 1024))
        is_((rc, out), (111, NOSPACE), 'copying 300 KiB into 200 KiB: 452, exit 111')
        like(err, r'event=failed .*step="write message"', 'logged with the step')
        no_trace(q, 'copy')

        # 2. the spool fits and is linked, the envelope does not fit
        msg = b'Subject: big\n\n' + b'y' * (60 * 1024)
        fd = spool(q.p('tmp'), msg)
        fill_disk(os.path.join(d, 'filler'))
        rc, out, err = enqueue(q.path, stdin=fd)
        is_((rc, out), (111, NOSPACE), 'envelope write on a full fs: 452, exit 111')
        diag(err.strip())
        no_trace(q, "link")
        is_(os.fstat(fd).st_nlink, 0, 'the spool is nameless again')
        os.unlink(os.path.join(d, 'filler'))
        rc, out, err = enqueue(q.path, stdin=fd)
        os.close(fd)
        ok(rc == 0 and q.message(out.strip()) == msg, 'space back: the same spool is queued')
        like(err, 'spool=copy', '  by a copy (Linux links an O_TMPFILE file once only)')
        is_(q.check(), [], '  queue invariants hold')

        # 3. no inodes left
        d2 = os.path.join(top, 'fs2')
        os.mkdir(d2)
        if not tmpfs_mount(d2, 'size=1m,nr_inodes=8,mode=0750'):
            skip('cannot mount a second tmpfs', 4)
            return
        mounted.append(d2)
        q2 = Queue(os.path.join(d2, 'q'))
        os.mkdir(q2.path, 0o750)
        n = 0
        try:
            while True:
                open(os.path.join(d2, 'i%d' % n), 'w').close()
                n += 1
        except OSError as e:
            ok(e.errno == errno.ENOSPC, 'inodes used up after %d files' % n)
        rc, out, err = enqueue(q2.path, b'Subject: x\n\nx\n')
        is_((rc, out), (111, NOSPACE), 'no inode for the queue directories: 452, exit 111')
        for i in range(n):
            os.unlink(os.path.join(d2, 'i%d' % i))
        fill_disk(os.path.join(d2, 'filler'))
        rc, out, err = enqueue(q2.path, b'Subject: x\n\nx\n')
        is_((rc, out), (111, NOSPACE), 'no block for the message: 452, exit 111')
        no_trace(q2, 'inodes')
    finally:
        for m in mounted:
            tmpfs_umount(m)
        shutil.rmtree(top, ignore_errors=True)


run(main)
