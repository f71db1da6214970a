#!/usr/bin/python3
# Proves: under a descriptor limit (prlimit --nofile=64) with more
# clients than descriptors, dcr-sniproxy serves what it can, logs
# event=accept-paused reason=EMFILE, does not spin (its CPU time over 3 s
# of the limit stays under 0.3 s), and once descriptors are free again
# the clients that waited in the backlog are served, none is left
# hanging, none is accepted only to be dropped because no descriptor is
# left for its back end (reason=no-fd), and new ones are served too.
import os, selectors, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from snilib import *
from dcrtest import *

N = 80


def outcome(socks, timeout):
    """{sock: 'served' (its back end's answer came), 'closed' (EOF or a
    reset without a byte) or 'waiting'} after at most timeout seconds"""
    sel = selectors.DefaultSelector()
    for s in socks:
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
    res = dict((s, 'waiting') for s in socks)
    left = len(socks)
    deadline = time.time() + timeout
    while left and time.time() < deadline:
        for key, _ in sel.select(0.1):
            left -= 1
            try:
                d = key.fileobj.recv(100)
            except OSError:
                d = b''
            sel.unregister(key.fileobj)
            res[key.fileobj] = 'served' if d.startswith(b'backend=') else 'closed'
    sel.close()
    return res


def count(res, what):
    return [s for s, v in res.items() if v == what]


def main():
    raise_nofile(1024)
    with RawBackend('a') as a:
        with Sniproxy('* %s\n' % a.addr, ['tls'], wrap=['prlimit', '--nofile=64', '--'],
                      opts=['-C', '1000', '-i', '1000']) as sp:
            port = sp.port('tls')
            socks = []
            for i in range(N):
                s = connect(port)
                s.sendall(client_hello('c%d.test' % i))
                socks.append(s)
            r1 = outcome(socks, 2)
            first = count(r1, 'served')
            ok(10 < len(first) < N, 'with 64 descriptors, some of %d clients are served: %d' % (N, len(first)))
            ok(sp.wait_log(r'event=accept-paused reason=EMFILE'), 'event=accept-paused reason=EMFILE')
            cpu0 = sp.cpu_seconds()
            time.sleep(3)
            cpu = sp.cpu_seconds() - cpu0
            ok(cpu < 0.3, 'no busy loop at the limit: %.2f s CPU in 3 s' % cpu)
            ok(sp.proc.poll() is None, 'still running')
            # free the descriptors twice: whoever waited is served or told
            closed = count(r1, 'closed')
            waiting = count(r1, 'waiting')
            served = list(first)
            for wave in (1, 2, 3):
                for s in served:
                    s.close()
                r = outcome(waiting, 6)
                served = count(r, 'served')
                closed += count(r, 'closed')
                waiting = count(r, 'waiting')
                diag('wave %d: %d served, %d closed, %d waiting' % (wave, len(served), len(closed), len(waiting)))
                if not waiting:
                    break
            is_(len(waiting), 0, 'descriptors freed: none of the %d clients is left hanging' % N)
            drops = sp.lines(r'event=close .*reason=(no-fd|max-conns)')
            is_(len(drops), len(closed), 'every client closed unserved is logged (%d lines)' % len(drops))
            # a client taken from the backlog with no descriptor left for
            # its back end is lost; left in the backlog it would be served
            is_(len(closed), 0, 'no client is taken in only to be dropped for want of a descriptor')
            for s in served + closed:
                s.close()
            time.sleep(0.5)
            is_(routed_to(port, client_hello('new.test')), 'a', 'and a new client is served')


run(main, 60)
