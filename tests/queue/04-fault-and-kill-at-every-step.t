#!/usr/bin/python3
# Proves, with strace's fault injection, at every system call dcr-enqueue
# makes once in the queue (open, write, fsync, link/linkat, rename, close,
# unlink, read... found by tracing a clean run, so any libc works), on the
# link path (O_TMPFILE spool) and the copy path (named file):
#  - that call failing with EIO or ENOSPC: either exit 0 with the message
#    committed whole, or exit 111 with one reply line (452 4.3.1 for
#    ENOSPC, else 451 4.3.0) and no trace in new/, mess/, tmp/. The calls
#    of the commit itself (every fsync, the link, the rename, the
#    envelope write) always fail the commit;
#  - SIGKILL on entering that call: no half-written message is visible;
#    the envelope exists if and only if the rename had run, and then the
#    message is whole; leftovers are only the documented ones (an orphan
#    message, a tmp/ file); the queue takes the next message.
# And linkat failing with EXDEV falls back to a copy. Skipped without strace.
import os, re, shutil, sys, tempfile
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, '..', 'lib'))
sys.path.insert(0, here)
from dcrtest import *
from queuetest import *

MSG = b'Received: from x by y id z\nSubject: faults\n\nbody\n'
STRACE = shutil.which('strace')
REPLY = {'ENOSPC': '452 4.3.1 insufficient system storage\n', 'EIO': '451 4.3.0 queue write failed\n'}
ENV = {'ASAN_OPTIONS': 'detect_leaks=0'}   # LeakSanitizer does not run under ptrace
CALLS = ('open', 'openat', 'fsync', 'link', 'linkat', 'rename', 'renameat', 'renameat2',
         'write', 'pread64', 'read', 'close', 'unlink', 'unlinkat', 'fstat', 'newfstatat',
         'lseek', 'fchmod', 'mkdir', 'mkdirat')
MUST_FAIL = ('fsync', 'link', 'linkat', 'rename', 'renameat', 'renameat2')
SYSCALL = re.compile(r'^([a-z0-9_]+)\(')


def fresh(top, name):
    q = Queue(os.path.join(top, name))
    os.mkdir(q.path, 0o750)
    for d in ('tmp', 'mess', 'new', 'env'):
        os.mkdir(q.p(d), 0o750)
    for i in range(64):
        os.mkdir(q.p('mess', '%02x' % i), 0o750)
    os.mkfifo(q.p('trigger'), 0o600)
    return q


def run_path(q, linkpath, strace_args):
    prefix = [STRACE, '-qq'] + strace_args
    if linkpath:
        fd = spool(q.p('tmp'), MSG)
        try:
            return enqueue(q.path, stdin=fd, env=ENV, prefix=prefix)
        finally:
            os.close(fd)
    return enqueue(q.path, MSG, env=ENV, prefix=prefix)


def steps(top, linkpath):
    """The calls of a clean run after chdir: [(name, when, index)], and the
    index of the rename that commits."""
    q = fresh(top, 'trace-%d' % linkpath)
    log = os.path.join(top, 'trace-%d.txt' % linkpath)
    rc, out, err = run_path(q, linkpath, ['-o', log])
    names = []
    with open(log) as f:
        for line in f:
            m = SYSCALL.match(line)
            if m:
                names.append(m.group(1))
    start = names.index('chdir') + 1
    out, seen = [], {}
    for i, n in enumerate(names):
        seen[n] = seen.get(n, 0) + 1
        if i >= start and n in CALLS:
            out.append((n, seen[n], i))
    commit = [i for n, w, i in out if n.startswith('rename')][-1]
    return out, commit


def main():
    if not STRACE:
        skip('no strace', 1)
        return
    top = tempfile.mkdtemp(prefix='dcrq-')
    try:
        q = fresh(top, 'probe')
        rc, out, err = run_path(q, True, ['-o', '/dev/null', '-e', 'inject=linkat:error=EXDEV'])
        ok(rc == 0 and 'spool=copy' in err and q.message(out.strip()) == MSG,
           'linkat EXDEV: falls back to a copy, exit 0')

        for linkpath in (True, False):
            how = 'link' if linkpath else 'copy'
            calls, commit = steps(top, linkpath)
            ok(len(calls) > 10 and commit, '%s path: %d calls traced, the rename is call %d'
               % (how, len(calls), commit))
            fsyncs = [c for c in calls if c[0] == 'fsync']
            is_(len(fsyncs), 4, '%s path: 4 fsyncs (message, mess/NN, envelope, new/)' % how)
            bad, n = [], 0
            for name, when, idx in calls:
                for e in ('EIO', 'ENOSPC'):
                    n += 1
                    q = fresh(top, 'f-%s-%s%d-%s' % (how, name, when, e))
                    rc, out, err = run_path(q, linkpath, ['-o', '/dev/null', '-e',
                                            'inject=%s:error=%s:when=%d' % (name, e, when)])
                    ids = q.ids()
                    if rc == 0:
                        good = (not q.check() and len(ids) == 1 and q.message(ids[0]) == MSG
                                and name not in MUST_FAIL and idx != commit)
                    else:
                        good = (rc == 111 and out == REPLY[e] and not ids and not q.messages()
                                and not q.files('tmp'))
                    if not good:
                        bad.append('%s #%d %s: rc=%r out=%r ids=%r err=%r'
                                   % (name, when, e, rc, out, ids, err[-200:]))
            ok(not bad, '%s path: %d faults, each a clean commit or a clean 451/452' % (how, n))
            for b in bad:
                diag(b)

            bad, n = [], 0
            for name, when, idx in calls:
                n += 1
                q = fresh(top, 'k-%s-%s%d' % (how, name, when))
                rc, out, err = run_path(q, linkpath, ['-o', '/dev/null', '-e',
                                        'inject=%s:signal=KILL:when=%d' % (name, when)])
                ids = q.ids()
                want = 1 if idx > commit else 0
                if out or q.check() or len(ids) != want or any(q.message(i) != MSG for i in ids):
                    bad.append('%s #%d: out=%r ids=%r problems=%r' % (name, when, out, ids, q.check()))
                rc, out, err = enqueue(q.path, MSG)
                if rc != 0 or q.check():
                    bad.append('%s #%d: the next message failed: %r' % (name, when, err))
            ok(not bad, '%s path: SIGKILL at each of %d calls: envelope only after the rename, '
               'never half-written; the queue goes on' % (how, n))
            for b in bad:
                diag(b)
    finally:
        shutil.rmtree(top, ignore_errors=True)


run(main, timeout=300)
