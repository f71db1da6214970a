# ISC license.
"""qctltest: helpers of the dcr-qctl tests (tests/qctl).

  QueueDir()             a fresh queue (tmp mess new env) in a temp dir;
                         .cleanup() removes it
  qctl(q, *args)         run dcr-qctl -q q ARGS -> (rc, stdout, stderr)
  make_id(t, n)          a queue id for unix time t (seconds), counter n
  write_envelope(q, ...) an envelope in the format of doc/queue.md, in
                         env/NN/ID (or new/ID), and its message
  envelope_text(...)     the same text, without writing it
  Runner(q)              stands in for dcr-qrun: holds QUEUEDIR/lock the
                         way skalibs' fd_lock does (fcntl F_SETLK, a POSIX
                         record lock on the whole file) and reads the
                         control fifo; .read() returns what it read
"""

import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'queue'))
from queuetest import bucket, enqueue, parse_envelope  # noqa: E402

__all__ = ['QueueDir', 'qctl', 'make_id', 'write_envelope', 'envelope_text',
           'Runner', 'QCTL', 'bucket', 'enqueue', 'parse_envelope', 'env_path']

QCTL = os.path.join(os.environ.get('DCR_BIN') or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), '..', '..', 'build', 'bin'),
    'dcr-qctl')


class QueueDir(object):
    def __init__(self):
        self.top = tempfile.mkdtemp(prefix='dcrqctl-')
        self.path = os.path.join(self.top, 'q')
        os.mkdir(self.path, 0o750)
        for d in ('tmp', 'mess', 'new', 'env'):
            os.mkdir(os.path.join(self.path, d), 0o750)

    def p(self, *x):
        return os.path.join(self.path, *x)

    def read(self, *x):
        with open(self.p(*x), 'rb') as f:
            return f.read()

    def cleanup(self):
        if os.environ.get('DCR_KEEP'):
            print('# kept ' + self.top)
        else:
            shutil.rmtree(self.top, ignore_errors=True)


def qctl(q, *args, env=None, timeout=60):
    e = {'PATH': '/usr/bin:/bin'}
    e.update(env or {})
    argv = [QCTL] + (['-q', q.path] if q is not None else []) + list(args)
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, env=e, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=timeout)
    return (p.returncode, p.stdout.decode('utf-8', 'replace'),
            p.stderr.decode('utf-8', 'replace'))


def make_id(t, n=0, pid=0x123):
    return '%013x%06x%04x' % (int(t * 1000000), pid, n)


def env_path(q, qid, new=False):
    return q.p('new', qid) if new else q.p('env', bucket(qid), qid)


def envelope_text(qid, rcpts, arrival=None, size=10, sender='alice@example.com',
                  hold=False, priority=0, extra=()):
    """rcpts: list of (state, tries, next, addr[, reply]) tuples."""
    lines = ['dcr-envelope\t1', 'id\t' + qid,
             'arrival\t%d' % (arrival if arrival is not None else int(time.time())),
             'size\t%d' % size, 'priority\t%d' % priority, 'sender\t' + sender]
    lines += ['%s\t%s' % kv for kv in extra]
    if hold:
        lines.append('hold\t1')
    for r in rcpts:
        state, tries, nxt, addr = r[:4]
        reply = r[4] if len(r) > 4 else ''
        lines.append('rcpt\t%s\t%d\t%d\t%s\t\t\t%s' % (state, tries, nxt, addr, reply))
    return '\n'.join(lines) + '\n'


def write_envelope(q, qid, rcpts, new=False, message=None, text=None, **kw):
    """Write env/NN/ID (or new/ID) and mess/NN/ID. Returns the envelope path."""
    msg = message if message is not None else b'Subject: test\n\nbody\n'
    if text is None:
        text = envelope_text(qid, rcpts, size=len(msg), **kw)
    md = q.p('mess', bucket(qid))
    os.makedirs(md, 0o750, exist_ok=True)
    with open(os.path.join(md, qid), 'wb') as f:
        f.write(msg)
    path = env_path(q, qid, new)
    os.makedirs(os.path.dirname(path), 0o750, exist_ok=True)
    with open(path, 'wb') as f:
        f.write(text.encode('utf-8', 'surrogateescape') if isinstance(text, str) else text)
    os.chmod(path, 0o640)
    return path


class Runner(object):
    """The runner's side of the protocol, without the runner: the lock
    held with fcntl(F_SETLK, F_WRLCK) over the whole file, as skalibs'
    fd_lock(fd, 1, 0) takes it (src/libstddjb/fd_lock.c), and the control
    fifo open for reading. fifo=False: the lock only (no reader)."""

    def __init__(self, q, fifo=True, mkfifo=True):
        self.q = q
        self.fd = os.open(q.p('lock'), os.O_RDWR | os.O_CREAT, 0o640)
        fcntl.lockf(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)   # fcntl(F_SETLK): a POSIX lock
        self.rfd = None
        if mkfifo and not os.path.exists(q.p('control')):
            os.mkfifo(q.p('control'), 0o660)
        if fifo:
            self.rfd = os.open(q.p('control'), os.O_RDONLY | os.O_NONBLOCK)

    def read(self):
        """Every byte written to the fifo since the last call."""
        data = b''
        while True:
            try:
                chunk = os.read(self.rfd, 65536)
            except BlockingIOError:
                break
            if not chunk:
                break
            data += chunk
        return data

    def close(self):
        if self.rfd is not None:
            os.close(self.rfd)
        os.close(self.fd)   # drops the lock

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False
