#!/usr/bin/python3
# Proves, for dcr-queued's kept connections (doc/dcr-queued.md):
#  - a client may send submission after submission on one connection,
#    waiting for each answer; each is committed under its own id;
#  - a kept connection idle for longer than -t is not dropped, while a
#    new connection that sends nothing within -t is;
#  - a client that sends the next submission before the answer is out of
#    step: it gets "Z 451 malformed", the connection closes, and nothing
#    of that submission is committed;
#  - all -c slots held by idle kept connections: a new client is taken
#    at once, and the connection idle the longest is closed for it;
#  - SIGTERM with kept idle connections: the writer closes them and exits
#    0 at once;
#  - through pre-started dcr-smtpd (dcr-tcpd -P 1): five sessions use one
#    connection to the writer, and after the writer restarts the next
#    message still goes through the writer (the dead connection is
#    replaced, the message is not lost or refused); after kill -9 of the
#    writer, with nobody on the socket, each message is committed by
#    dcr-enqueue itself, and once a writer is back, through it again.
import os, re, signal, socket, subprocess, sys, tempfile, shutil, time
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, '..', 'lib'))
sys.path.insert(0, here)
from dcrtest import *
from queuetest import *

QUEUED = os.path.join(os.path.dirname(ENQUEUE), 'dcr-queued')
MSG = b'From: a@example.org\r\nSubject: kept\r\n\r\nhello\r\n'


SEQ = [0]


def envtext(sender='a@example.com'):
    SEQ[0] += 1
    qid = '0640a1f2b3c4d00123a%04x' % SEQ[0]
    return ('dcr-envelope\t1\nid\t%s\narrival\t0\nsize\t0\npriority\t0\nsender\t%s\n'
            'rcpt\tpending\t0\t0\tb@example.net\t\t\t\n' % (qid, sender)).encode()


def netstring(b):
    return b'%d:%s,' % (len(b), b)


def connect(q):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(q.p('submit'))
    return s


def submit(s, fd, payload):
    socket.send_fds(s, [b'M'], [fd])
    s.sendall(payload)


def answer(s):
    """one line, or what came before EOF"""
    return read_line(s).decode()


def eof_within(s, secs):
    s.settimeout(secs)
    try:
        return s.recv(1) == b''
    except (socket.timeout, ConnectionResetError):
        return False
    finally:
        s.settimeout(10)


def client_sockets(pid):
    n = 0
    for fd in os.listdir('/proc/%d/fd' % pid):
        try:
            n += os.readlink('/proc/%d/fd/%s' % (pid, fd)).startswith('socket:')
        except OSError:
            pass
    return n - 1   # the listening socket


def start_writer(q, timeout, opts=()):
    r, w = os.pipe()
    err = tempfile.TemporaryFile()
    p = subprocess.Popen([QUEUED, '-d', str(w), '-t', str(timeout)] + list(opts) + [q.path], stderr=err, pass_fds=(w,))
    os.close(w)
    ready = os.read(r, 1) == b'\n'
    os.close(r)
    return p, ready


def raw_part(top):
    q = make_queue(os.path.join(top, 'q'))
    w, ready = start_writer(q, 1)
    try:
        ok(ready, 'dcr-queued -t 1 is ready')
        s = connect(q)
        ids = []
        for i in range(3):
            fd = spool(q.p('tmp'), b'Subject: kept %d\n\nbody\n' % i)
            submit(s, fd, netstring(envtext()))
            os.close(fd)
            a = answer(s)
            ids.append(a[2:].strip() if a.startswith('K ') else a)
            if i == 1:
                time.sleep(2.5)   # idle for more than -t 1
        is_([bool(re.match(r'^\w{20,}$', x)) for x in ids], [True] * 3,
            'three submissions on one connection, the last after 2.5 s idle (-t 1): each answered K id (%r)' % ids)
        is_(len(set(ids)), 3, 'three ids')
        is_(sorted(q.ids()), sorted(ids), 'all three committed')
        is_([q.message(x) for x in ids], [b'Subject: kept %d\n\nbody\n' % i for i in range(3)], 'each message whole')
        is_(q.check(), [], 'the queue invariants hold')

        silent = connect(q)
        ok(eof_within(silent, 4), 'a new connection that sends nothing within -t is dropped')
        silent.close()

        before = set(q.ids())
        fd = spool(q.p('tmp'), b'Subject: out of step\n\nbody\n')
        socket.send_fds(s, [b'M'], [fd])
        s.sendall(netstring(envtext()) + b'M' + netstring(envtext()))   # the next before the answer
        os.close(fd)
        like(answer(s), r'^Z 451 4\.3\.0 malformed submission\n$', 'two submissions without waiting: Z 451 malformed')
        ok(eof_within(s, 4), 'and the connection closes')
        is_(set(q.ids()) - before, set(), 'nothing of it committed')
        is_(q.orphans(), [], 'and no message left behind')
        s.close()

        kept = [connect(q) for _ in range(3)]
        for k in kept:
            fd = spool(q.p('tmp'), b'Subject: before stop\n\nbody\n')
            submit(k, fd, netstring(envtext()))
            os.close(fd)
            answer(k)
        t0 = time.time()
        w.send_signal(signal.SIGTERM)
        rc = w.wait(10)
        is_(rc, 0, 'SIGTERM with three kept idle connections: exit 0')
        ok(time.time() - t0 < 3, 'at once, not after a timeout (%.2f s)' % (time.time() - t0))
        is_([eof_within(k, 2) for k in kept], [True] * 3, 'each kept connection was closed')
        [k.close() for k in kept]
    finally:
        if w.poll() is None:
            w.kill()
            w.wait()


def full_part(top):
    q = make_queue(os.path.join(top, 'q2'))
    w, ready = start_writer(q, 60, ['-c', '2'])
    try:
        kept = []
        for i in range(2):
            k = connect(q)
            fd = spool(q.p('tmp'), b'Subject: kept %d\n\nbody\n' % i)
            submit(k, fd, netstring(envtext()))
            os.close(fd)
            answer(k)
            kept.append(k)
            time.sleep(0.1)
        t0 = time.time()
        c = connect(q)
        fd = spool(q.p('tmp'), b'Subject: third\n\nbody\n')
        submit(c, fd, netstring(envtext()))
        os.close(fd)
        like(answer(c), r'^K \w+\n$', '-c 2 held by two idle kept connections: a third client is still answered K')
        ok(time.time() - t0 < 3, 'at once (%.2f s), not after a timeout' % (time.time() - t0))
        ok(eof_within(kept[0], 2), 'the connection idle the longest made room: closed')
        fd = spool(q.p('tmp'), b'Subject: kept again\n\nbody\n')
        submit(kept[1], fd, netstring(envtext()))
        os.close(fd)
        like(answer(kept[1]), r'^K \w+\n$', 'the other kept connection still works')
        is_(len(q.ids()), 4, 'four committed')
        [k.close() for k in kept + [c]]
        ok(wait_for(lambda: client_sockets(w.pid) == 0, 3), 'clients that close after their answer are dropped by the writer')
        time.sleep(0.5)
        with open('/proc/%d/stat' % w.pid) as f:
            ticks = sum(int(x) for x in f.read().rsplit(')', 1)[1].split()[11:13])
        ok(ticks < 20, 'and it sleeps: %d ticks of CPU in all, no spin on their EOF' % ticks)
    finally:
        w.kill()
        w.wait()


def pooled_part():
    with Gateway(writer=True, tcpd_opts=['-P', '1']) as gw:
        codes = [send_message(gw, MSG)[0] for _ in range(5)]
        is_(codes, [250] * 5, 'pre-started dcr-smtpd: five sessions, five 250')
        # dcr-tcpd may have started more than one (-P keeps one spare);
        # each holds one connection at most, and without kept ones: none
        n, procs = client_sockets(gw.writer_proc.pid), len(children_of(gw.proc.pid))
        ok(1 <= n <= procs, 'the writer holds a connection per dcr-smtpd process, not one per message (%d, %d processes)' % (n, procs))
        gw.writer_proc.terminate()
        is_(gw.writer_proc.wait(10), 0, 'the writer stops (SIGTERM)')
        env = dict(os.environ)
        gw._start_writer(env)
        code, text = send_message(gw, MSG)
        is_(code, 250, 'after the writer restarted: 250')
        qid = queued_id(text)
        like(gw.log(), r'dcr-smtpd: event=queued id=%s .*spool=writer' % qid,
             'through the new writer: the dead connection was replaced')
        # kill -9, and no writer at all: the kept connections are dead and
        # the socket file stale; each message is committed by dcr-enqueue
        gw.writer_proc.kill()
        gw.writer_proc.wait(10)
        got = [send_message(gw, MSG) for _ in range(3)]
        is_([c for c, _ in got], [250] * 3, 'after kill -9 of the writer: three sessions, three 250')
        ids = [queued_id(t) for _, t in got]
        is_([bool(re.search(r'dcr-enqueue: event=queued id=%s .*spool=link' % i, gw.log())) for i in ids], [True] * 3,
            'each committed by dcr-enqueue itself (spool=link): the dead connection costs no message')
        gw._start_writer(env)
        code, text = send_message(gw, MSG)
        like(gw.log(), r'dcr-smtpd: event=queued id=%s .*spool=writer' % queued_id(text),
             'a writer again: the next message goes through it (%d)' % code)
        q = Queue(gw.queue)
        is_(len(q.ids()), 10, 'all ten messages are in the queue')
        is_(q.check(), [], 'whole')


def main():
    top = tempfile.mkdtemp(prefix='dcrqk-')
    try:
        raw_part(top)
        full_part(top)
    finally:
        shutil.rmtree(top, ignore_errors=True)
    pooled_part()


run(main, 120)
