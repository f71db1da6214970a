#!/usr/bin/python3
# Proves: under a descriptor limit (prlimit --nofile=64) with more
# clients than descriptors, dcr-sniproxy serves what it can, logs
# event=accept-paused reason=EMFILE, does not spin (its CPU time over 3 s
# of the limit stays under 0.3 s), and once descriptors are free again
# the clients that waited in the backlog are served, and new ones too.
import os, selectors, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from snilib import *
from dcrtest import *

N = 80


def served(socks, timeout):
    """The sockets among socks that got their back end's answer in time"""
    sel = selectors.DefaultSelector()
    for s in socks:
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
    got = []
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
            if d.startswith(b'backend='):
                got.append(key.fileobj)
    sel.close()
    return got


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
            first = served(socks, 2)
            ok(10 < len(first) < N, 'with 64 descriptors, some of %d clients are served: %d' % (N, len(first)))
            ok(sp.wait_log(r'event=accept-paused reason=EMFILE'), 'event=accept-paused reason=EMFILE')
            cpu0 = sp.cpu_seconds()
            time.sleep(3)
            cpu = sp.cpu_seconds() - cpu0
            ok(cpu < 0.3, 'no busy loop at the limit: %.2f s CPU in 3 s' % cpu)
            ok(sp.proc.poll() is None, 'still running')
            waiting = [s for s in socks if s not in first]
            for s in first:
                s.close()
            later = served(waiting, 6)
            ok(len(later) >= min(len(waiting), 20),
               'descriptors freed: the clients that waited are served (%d of %d)' % (len(later), len(waiting)))
            for s in waiting:
                s.close()
            time.sleep(0.5)
            is_(routed_to(port, client_hello('new.test')), 'a', 'and a new client is served')


run(main, 60)
