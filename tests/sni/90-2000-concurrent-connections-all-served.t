#!/usr/bin/python3
# Proves: 2,000 connections at once through one splicer (-w 2, its
# descriptor limit raised to 10,000): every one is routed by its SNI to
# its own back end (two back ends, alternate names) and answered, all
# 2,000 are held open at the same time at both ends, and when the
# clients close, the splicer closes every back-end connection.
import errno, os, selectors, socket, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from snilib import *
from dcrtest import *

N = 2000


def main():
    raise_nofile(N * 2 + 500)
    bes = backends('a', 'b')
    try:
        rules = 'a.test %s\nb.test %s\n' % (bes['a'].addr, bes['b'].addr)
        with Sniproxy(rules, ['tls'], opts=['-w', '2', '-C', '5000', '-i', '5000'],
                      wrap=['prlimit', '--nofile=10000', '--']) as sp:
            port = sp.port('tls')
            hellos = {'a': client_hello('a.test'), 'b': client_hello('b.test')}
            sel = selectors.DefaultSelector()
            socks, answers, errors = [], {}, []
            t0 = time.time()
            pending = 0
            while (len(socks) < N or pending) and time.time() - t0 < 40:
                # open in waves of 200, so the listen queue never overflows
                while len(socks) < N and pending < 200:
                    s = socket.socket()
                    s.setblocking(False)
                    e = s.connect_ex(('127.0.0.1', port))
                    if e not in (0, errno.EINPROGRESS):
                        errors.append(os.strerror(e))
                        s.close()
                        continue
                    want = 'ab'[len(socks) % 2]
                    socks.append(s)
                    sel.register(s, selectors.EVENT_WRITE, [want, 'connecting', b''])
                    pending += 1
                for key, ev in sel.select(0.2):
                    s, st = key.fileobj, key.data
                    if st[1] == 'connecting':
                        err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                        if err:
                            errors.append(os.strerror(err))
                            sel.unregister(s)
                            pending -= 1
                            continue
                        s.send(hellos[st[0]])
                        st[1] = 'reading'
                        sel.modify(s, selectors.EVENT_READ, st)
                        continue
                    try:
                        d = s.recv(200)
                    except OSError:
                        d = b''
                    st[2] += d
                    if not d or b'\n' in st[2]:
                        answers[s] = (st[0], st[2])
                        sel.unregister(s)
                        pending -= 1
            secs = time.time() - t0
            is_(len(socks), N, '%d connections opened' % N)
            is_(errors, [], 'no connect error')
            right = sum(1 for want, got in answers.values()
                        if got.startswith(b'backend=%s n=%d sni=%s.test\n' % (want.encode(), len(hellos[want]), want.encode())))
            is_(right, N, 'all %d answered by the back end of their name (%.1f s)' % (N, secs))
            time.sleep(0.3)
            held = bes['a'].open + bes['b'].open
            is_(held, N, 'all %d held open at once at the back ends (a %d, b %d)' % (N, bes['a'].open, bes['b'].open))
            ok(sp.proc.poll() is None, 'the splicer is running')
            workers = len(sp.pids()) - 1
            ok(workers >= 1, '%d worker process(es)' % workers)
            for s in socks:
                s.close()
            deadline = time.time() + 10
            while time.time() < deadline and bes['a'].open + bes['b'].open:
                time.sleep(0.1)
            is_(bes['a'].open + bes['b'].open, 0, 'clients gone: every back-end connection closed')
            sel.close()
            is_(routed_to(port, hellos['b']), 'b', 'still serving')
    finally:
        stop_all(bes)


run(main, 90)
