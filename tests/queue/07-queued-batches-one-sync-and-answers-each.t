#!/usr/bin/python3
# Proves, for dcr-queued (the resident queue writer):
#  - it listens on QUEUE/submit once ready (-d), and a second one on the
#    same queue refuses to start (exit 111);
#  - 20 dcr-enqueue processes whose submissions arrive together are
#    committed by ONE batch: one syncfs and one fsync (of new/) in all,
#    every message whole beside its envelope, each process told its own
#    id (spool=writer), DSN parameters and DCR_ID kept;
#  - a named (not O_TMPFILE) stdin is still copied by dcr-enqueue itself;
#  - raw clients: a truncated submission commits nothing; a malformed
#    netstring gets "Z 451"; a bad envelope "D 550 5.5.0"; a linked file
#    "X" (write it yourself) and nothing committed;
#  - syncfs or the fsync of new/ failing (strace fault injection): every
#    message of the batch gets 451 and leaves no trace;
#  - kill -9 of the writer with submissions in flight: each client exits
#    111 with one reply line, nothing half-written is visible, and the
#    next dcr-enqueue (stale socket, nobody listening) commits by itself.
import array, os, shutil, signal, socket, subprocess, sys, tempfile, time
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, '..', 'lib'))
sys.path.insert(0, here)
from dcrtest import *
from queuetest import *

QUEUED = os.path.join(os.path.dirname(ENQUEUE), 'dcr-queued')
STRACE = shutil.which('strace')


class Writer(object):
    """dcr-queued on q, started and ready; prefix: e.g. strace"""

    def __init__(self, q, prefix=()):
        self.q, self.prefix = q, list(prefix)

    def __enter__(self):
        r, w = os.pipe()
        self.err = tempfile.TemporaryFile()
        self.p = subprocess.Popen(self.prefix + [QUEUED, '-d', str(w), self.q.path], stderr=self.err,
                                  pass_fds=(w,))
        os.close(w)
        self.ready = os.read(r, 1) == b'\n'
        os.close(r)
        # under strace, signals go to dcr-queued itself, strace's child
        self.pid = self.p.pid
        if self.prefix:
            with open('/proc/%d/task/%d/children' % (self.p.pid, self.p.pid)) as f:
                self.pid = int(f.read().split()[0])
        return self

    def stop(self):
        os.kill(self.pid, signal.SIGTERM)
        self.p.wait(10)

    def log(self):
        self.err.seek(0)
        return self.err.read().decode('utf-8', 'replace')

    def __exit__(self, *a):
        if self.p.poll() is None:
            try:
                self.stop()
            except (OSError, subprocess.TimeoutExpired):
                for pid in (self.pid, self.p.pid):
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
                self.p.wait()
        return False


def start_enqueue(q, fd, env):
    e = dict(BASE_ENV)
    e.update(env)
    return subprocess.Popen([ENQUEUE, q.path], stdin=fd, env=e, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def burst(q, w, n, tag):
    """n dcr-enqueue at once while the writer is stopped, so that their
    submissions are all waiting when it goes on: [(rc, out, err, body)]"""
    os.kill(w.pid, signal.SIGSTOP)
    procs = []
    try:
        for i in range(n):
            body = ('Subject: %s %d\n\n' % (tag, i)).encode() + (b'%d ' % i) * (500 + 37 * i)
            fd = spool(q.p('tmp'), body)
            env = {'SMTP_RECIPIENTS': 'r%d@example.net\nx%d@example.org' % (i, i),
                   'SMTP_DSN_NOTIFY': 'SUCCESS,FAILURE\nNEVER', 'SMTP_DSN_ORCPT': 'rfc822;o%d@example.net\n' % i}
            procs.append((start_enqueue(q, fd, env), body))
            os.close(fd)
        # each one connects and sends at once (the backlog takes them
        # while the writer is stopped), then waits for the answer
        time.sleep(0.5)
    finally:
        os.kill(w.pid, signal.SIGCONT)
    out = []
    for p, body in procs:
        o, e = p.communicate(timeout=30)
        out.append((p.returncode, o.decode().strip(), e.decode(), body))
    return out


def raw_submit(q, fd, payload, close_early=False):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(q.p('submit'))
    socket.send_fds(s, [b'M'], [fd])
    s.sendall(payload)
    if close_early:
        s.close()
        return None
    s.shutdown(socket.SHUT_WR)
    data = b''
    while True:
        d = s.recv(600)
        if not d:
            break
        data += d
    s.close()
    return data.decode()


def envtext(qid='0640a1f2b3c4d00123a0001', sender='a@example.com'):
    return ('dcr-envelope\t1\nid\t%s\narrival\t0\nsize\t0\npriority\t0\nsender\t%s\n'
            'rcpt\tpending\t0\t0\tb@example.net\t\t\t\n' % (qid, sender)).encode()


def netstring(b):
    return b'%d:%s,' % (len(b), b)


def count_calls(path, name):
    with open(path) as f:
        return sum(1 for line in f if (' %s(' % name) in line or line.startswith('%s(' % name))


def main():
    top = tempfile.mkdtemp(prefix='dcrqd-')
    try:
        q = make_queue(os.path.join(top, 'q'))
        trace = os.path.join(top, 'trace')
        prefix = [STRACE, '-f', '-qq', '-e', 'trace=syncfs,fsync', '-o', trace] if STRACE else []
        with Writer(q, prefix) as w:
            ok(w.ready, 'dcr-queued says it is ready on the -d descriptor')
            ok(os.path.exists(q.p('submit')), 'and listens on QUEUE/submit')
            p = subprocess.run([QUEUED, q.path], stderr=subprocess.PIPE, timeout=10)
            is_(p.returncode, 111, 'a second dcr-queued on the same queue exits 111')
            like(p.stderr.decode(), r'another dcr-queued holds .*submit\.lock', 'naming the lock')

            res = burst(q, w, 20, 'burst')
            is_(sorted(set(r[0] for r in res)), [0], 'the 20 submissions all exit 0')
            ids = [r[1] for r in res]
            is_(len(set(ids)), 20, 'each told its own id')
            ok(all('spool=writer' in r[2] for r in res), 'each logged spool=writer')
            is_(q.check(), [], 'the queue invariants hold')
            is_(sorted(q.ids()), sorted(ids), 'exactly those 20 envelopes are in new/')
            is_([q.message(r[1]) == r[3] for r in res], [True] * 20, 'every message is whole, byte for byte')
            e = q.envelope(ids[3])
            is_(e['sender'], 'alice@example.com', 'the envelope keeps the sender')
            like(q.envelope_bytes(ids[3]).decode(), r'rcpt\tpending\t0\t0\tr3@example.net\tSUCCESS,FAILURE\trfc822;o3@example.net\t',
                 'and each recipient with its NOTIFY and ORCPT')
            is_(os.listdir(q.p('tmp')), [], 'tmp/ is empty again')
            if STRACE:
                w.stop()
                n_sync, n_fsync = count_calls(trace, 'syncfs'), count_calls(trace, 'fsync')
                ok(1 <= n_sync <= 2 and 1 <= n_fsync <= 2,
                   'the 20 were committed with one or two syncfs and fsyncs, not 20 (%d, %d)' % (n_sync, n_fsync))
            else:
                skip('no strace: sync count not checked')

        with Writer(q) as w:
            before = set(q.ids())
            f = tempfile.NamedTemporaryFile(dir=top)
            f.write(b'Subject: named\n\nbody\n')
            f.flush()
            f.seek(0)
            p = start_enqueue(q, f, {})
            o, e = p.communicate(timeout=30)
            ok(p.returncode == 0 and 'spool=copy' in e.decode(), 'a named stdin is copied by dcr-enqueue itself')
            f.close()

            fd = spool(q.p('tmp'), b'Subject: raw\n\nbody\n')
            raw_submit(q, fd, netstring(envtext())[:-5], close_early=True)   # cut off half-way
            time.sleep(0.3)
            like(raw_submit(q, fd, b'12:abc'), r'^Z 451 4\.3\.0 malformed submission\n$', 'a short netstring: Z 451')
            like(raw_submit(q, fd, netstring(b'dcr-envelope\t1\nid\tnope\n')), r'^D 550 5\.5\.0 bad envelope: ',
                 'a bad envelope: D 550 5.5.0')
            like(raw_submit(q, fd, netstring(envtext(sender='a\x01b@example.com'))), r'^D 550 5\.5\.0 bad envelope: ',
                 'a control character in the sender: D 550 5.5.0')
            named = os.path.join(top, 'named')
            with open(named, 'wb') as g:
                g.write(b'x\n')
            nfd = os.open(named, os.O_RDONLY)
            like(raw_submit(q, nfd, netstring(envtext())), r'^X ', 'a linked file: X, write it yourself')
            os.close(nfd)
            os.close(fd)
            is_(set(q.ids()) - before, {o.decode().strip()},
                'none of these (the cut-off one included) committed anything; only the copy is there')
            is_(q.orphans(), [], 'and left no message behind')

        if STRACE:
            for call, what in (('syncfs', 'syncfs'), ('fsync', 'the fsync of new/')):
                before = set(q.ids())
                with Writer(q, [STRACE, '-f', '-qq', '-o', '/dev/null', '-e', 'inject=%s:error=EIO' % call]) as w:
                    res = burst(q, w, 5, call)
                    is_(sorted(set(r[0] for r in res)), [111], '%s failing: all 5 of the batch exit 111' % what)
                    ok(all(r[1] == '451 4.3.0 queue write failed' for r in res), 'each with 451 4.3.0')
                    is_(set(q.ids()) - before, set(), 'and none is in new/')
                    is_(q.orphans(), [], 'no message is left behind')
                    is_(q.check(), [], 'the queue invariants hold')
        else:
            skip('no strace: fault injection not run', 10)

        before = set(q.ids())
        with Writer(q) as w:
            os.kill(w.pid, signal.SIGSTOP)
            procs = []
            for i in range(5):
                fd = spool(q.p('tmp'), b'Subject: killed %d\n\nbody\n' % i)
                procs.append(start_enqueue(q, fd, {}))
                os.close(fd)
            time.sleep(0.5)
            os.kill(w.pid, signal.SIGKILL)
            res = [(p.wait(30), p.stdout.read().decode()) for p in procs]
            is_(sorted(set(r[0] for r in res)), [111], 'kill -9 of the writer: the 5 in flight exit 111')
            ok(all(r[1] == '451 4.3.0 queue writer did not answer\n' for r in res), 'each with one 451 line')
            is_(set(q.ids()) - before, set(), 'nothing of theirs is visible')
            is_(q.check(), [], 'the queue invariants hold')
        fd = spool(q.p('tmp'), b'Subject: after\n\nbody\n')
        p = start_enqueue(q, fd, {})
        o, e = p.communicate(timeout=30)
        os.close(fd)
        ok(p.returncode == 0 and 'spool=link' in e.decode(), 'with nobody on the stale socket, dcr-enqueue commits by itself')
        is_(q.check(), [], 'and the queue is sound')
    finally:
        shutil.rmtree(top, ignore_errors=True)



run(main, 120)
