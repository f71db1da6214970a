#!/usr/bin/python3
# The per-address table with many addresses, insertions and deletions:
# 200 clients from 200 addresses with --max-per-ip 1; a second
# connection from any of them is refused; after half of them leave,
# exactly those may come back.
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tcpdlib import *
from dcrtest import ok, is_, like, run

N = 200


def addr(i):
    return '127.0.%d.%d' % (1 + i // 200, 1 + i % 200)


def main():
    with Tcpd(['-v', '-c', '500', '-C', '1'], HOLDPROG) as t:
        held = {}
        for i in range(N):
            held[i] = t.connect(src=addr(i))
        ok(all(readline(s) == b'hello\n' for s in held.values()), '%d sessions from %d addresses' % (N, N))
        refused = [t.talk(src=addr(i)) for i in range(0, N, 10)]
        ok(all(r.startswith(b'421 ') for r in refused), 'a second session from any of them is refused')
        for i in range(0, N, 2):
            held.pop(i).close()
        ok(t.wait_log(r'event=end .*conns=%d\n' % (N // 2), timeout=10), 'half of them left')
        back = [t.connect(src=addr(i)) for i in range(0, N, 2)]
        ok(all(readline(s) == b'hello\n' for s in back), 'those who left may come back')
        again = [t.talk(src=addr(i)) for i in range(1, N, 10)]
        ok(all(r.startswith(b'421 ') for r in again), 'those who stayed are still counted')
        for s in back + list(held.values()):
            s.close()
        ok(t.wait_log(r'event=end .*conns=0\n', timeout=10), 'all ended')


run(main, timeout=60)
