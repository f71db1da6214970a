#!/usr/bin/python3
# Many short sessions at once: every child is reaped (no zombie, the
# count returns to 0), every client is served, nothing is lost between
# SIGCHLD and accept.
import os, socket, sys, threading
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tcpdlib import *
from dcrtest import ok, is_, like, run

N_THREADS, PER_THREAD = 8, 40


def zombies(pid):
    n = 0
    for d in os.listdir('/proc'):
        if not d.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % d) as f:
                st = f.read().rsplit(')', 1)[1].split()
        except OSError:
            continue
        if st[1] == str(pid) and st[0] == 'Z':
            n += 1
    return n


def main():
    with Tcpd(['-v', '-c', '1000', '-C', '1000'], ['/bin/echo', 'hi']) as t:
        results = []

        def client():
            for _ in range(PER_THREAD):
                results.append(t.talk())

        threads = [threading.Thread(target=client) for _ in range(N_THREADS)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        total = N_THREADS * PER_THREAD
        is_(results.count(b'hi\n'), total, 'all %d clients served' % total)
        ok(t.wait_log(r'event=end pid=\d+ status=0 conns=\d+', count=total, timeout=10), 'all %d sessions ended' % total)
        ok(t.wait_log(r'event=end .*conns=0\n$', timeout=5), 'the count is back to 0')
        is_(zombies(t.proc.pid), 0, 'no zombie left')
        ok('refuse' not in t.log(), 'nobody refused')


run(main, timeout=60)
