#!/usr/bin/python3
# Proves: while dcr-qrun holds QUEUEDIR/lock (taken here the way skalibs'
# fd_lock takes it: fcntl F_SETLK, F_WRLCK, whole file), dcr-qctl leaves
# the files alone and writes exactly one line per command to the control
# fifo (retry ID|@DOMAIN|*, hold, release, delete, bounce, pause [DOMAIN],
# resume [DOMAIN], reload), prints "asked dcr-qrun to LINE" and exits 0;
# no reader on the fifo (the runner just went away) or no fifo is exit
# 111 and a clear message; an unknown id is refused before anything is
# sent.
import os, subprocess, sys, time
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, '..', 'lib'))
sys.path.insert(0, here)
from dcrtest import *
from qctltest import *


def snapshot(q):
    out = {}
    for root, _, files in os.walk(q.path):
        for f in files:
            p = os.path.join(root, f)
            if f in ('control', 'lock'):
                continue
            with open(p, 'rb') as fh:
                out[os.path.relpath(p, q.path)] = fh.read()
    return out


def main():
    q = QueueDir()
    try:
        now = int(time.time())
        a = make_id(now - 50, 1)
        write_envelope(q, a, [('pending', 1, now + 600, 'bob@example.net')])
        rc, out, err = enqueue(q.path, b'Subject: n\n\nx\n', {'SMTP_RECIPIENTS': 'new@example.com'})
        c = out.strip()
        before = snapshot(q)
        with Runner(q) as r:
            cases = [
                (['retry', a], 'retry ' + a),
                (['retry', c], 'retry ' + c),             # still in new/
                (['retry', '@Example.NET'], 'retry @example.net'),
                (['retry', 'all'], 'retry *'),
                (['retry', '*'], 'retry *'),
                (['hold', a], 'hold ' + a),
                (['release', a], 'release ' + a),
                (['delete', a], 'delete ' + a),
                (['bounce', a], 'bounce ' + a),
                (['pause'], 'pause'),
                (['pause', '*'], 'pause'),
                (['resume'], 'resume'),
                (['pause', 'Example.ORG'], 'pause example.org'),
                (['resume', '@example.org'], 'resume example.org'),
                (['reload'], 'reload'),
            ]
            for args, line in cases:
                rc, out, err = qctl(q, *args)
                got = r.read()
                is_((rc, got, out, err), (0, (line + '\n').encode(), 'dcr-qctl: asked dcr-qrun to %s\n' % line, ''),
                    '%s: one line "%s" to the fifo, exit 0' % (' '.join(args), line))
            is_(snapshot(q), before, 'runner up: no queue file changed')
            ok(not os.path.exists(q.p('paused')), 'runner up: paused is the runner\'s to write')

            # the lock test is skalibs' fd_lock(fd, 1, 1), the line one write()
            trace = q.p('..', 'trace')
            p = subprocess.run(['strace', '-e', 'trace=fcntl,write', '-e', 'signal=none', '-o', trace,
                                QCTL, '-q', q.path, 'pause', 'example.com'],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            is_(r.read(), b'pause example.com\n', 'under strace: the line sent')
            with open(trace) as f:
                calls = [l for l in f if l.startswith(('fcntl', 'write'))]
            like(''.join(calls), r'fcntl\(\d+, F_SETLK, \{l_type=F_WRLCK, l_whence=SEEK_SET, l_start=0, l_len=0\}\) = -1 EAGAIN',
                 'the lock is tested with fcntl F_SETLK F_WRLCK over the whole file (fd_lock), and found taken')
            is_(len([l for l in calls if l.startswith('write') and 'pause example.com' in l]), 1,
                'the line goes in one write()')
            like(''.join(calls), r'write\(\d+, "pause example.com\\n", 18\) += 18', 'the whole line in that write()')

            # refused before sending
            rc, out, err = qctl(q, 'hold', make_id(now, 9))
            is_((rc, r.read()), (100, b''), 'unknown id with the runner up: exit 100, nothing sent')
            like(err, r'^dcr-qctl: unknown queue id: ', 'unknown id: said')
            rc, out, err = qctl(q, 'pause', 'no such/domain')
            is_((rc, r.read()), (100, b''), 'bad domain with the runner up: exit 100, nothing sent')

        # the lock held, nobody reading: the runner just went away
        with Runner(q, fifo=False):
            rc, out, err = qctl(q, 'hold', a)
            is_(rc, 111, 'no reader on the fifo: exit 111')
            like(err, r'nobody reads the control fifo', 'no reader: said')
            is_(snapshot(q), before, 'no reader: nothing changed on the files either')
        os.unlink(q.p('control'))
        with Runner(q, fifo=False, mkfifo=False):
            rc, out, err = qctl(q, 'reload')
            ok(rc == 111 and 'no control fifo' in err, 'no fifo at all: exit 111, said')
        with open(q.p('control'), 'w') as f:
            f.write('')
        with Runner(q, fifo=False, mkfifo=False):
            rc, out, err = qctl(q, 'reload')
            ok(rc == 111 and 'not a fifo' in err, 'control is a regular file: exit 111, said')
        os.unlink(q.p('control'))

        # the lock free again: dcr-qctl acts itself
        rc, out, err = qctl(q, 'hold', a)
        like(out, r'held %s \(dcr-qrun is not running' % a, 'lock released: dcr-qctl holds the message itself')
    finally:
        q.cleanup()


run(main)
