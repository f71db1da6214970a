#!/usr/bin/python3
# Proves: -w 2 runs two workers sharing the listeners (every connection
# served, and a SIGHUP reload reaches both); -s FILE: SIGUSR1 writes the
# stats file (a line per worker and a worker=all sum), without -s
# SIGUSR1 logs an event=stats line;
# SIGTERM stops accepting at once but lets a spliced connection finish
# (it still carries data both ways), then the splicer exits 0 when the
# last one ends; with -g S, connections still open S seconds after
# SIGTERM are closed (reason=shutdown) and it exits 0.
import os, signal, subprocess, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from snilib import *
from dcrtest import *


def main():
    bes = backends('a', 'b')
    try:
        with Sniproxy('* %s\n' % bes['a'].addr, ['tls', 'http'], opts=['-w', '2', '-s', 'stats']) as sp:
            port = sp.port('tls')
            time.sleep(0.3)
            procs = sp.pids()
            ok(len(procs) >= 2, '-w 2: %d processes (master and/or workers)' % len(procs))
            got = [routed_to(port, client_hello('x%d.test' % i)) for i in range(20)]
            is_(got.count('a'), 20, '20 connections served')
            sp.write_rules('* %s\n' % bes['b'].addr)
            sp.signal(signal.SIGHUP)
            ok(sp.wait_log(r'event=reload rules=1', count=1), 'SIGHUP: event=reload')
            time.sleep(0.5)
            got = [routed_to(port, client_hello('y%d.test' % i)) for i in range(20)]
            is_(got.count('b'), 20, 'after the reload all 20 go to b (every worker reloaded)')

            stats = sp.path('stats')
            sp.signal(signal.SIGUSR1)
            deadline = time.time() + 3
            while time.time() < deadline and not (os.path.exists(stats) and os.path.getsize(stats)):
                time.sleep(0.05)
            text = open(stats).read() if os.path.exists(stats) else ''
            like(text, r'(?m)^worker=0 .*accepted=\d+', 'SIGUSR1 with -s: the stats file has a line per worker')
            like(text, r'(?m)^worker=all .*accepted=40 ', 'and a worker=all line counting the 40 connections')
            diag('stats: ' + text.strip().replace('\n', ' | ')[:300])

        with Sniproxy('* %s\n' % bes['a'].addr, ['tls']) as sp:
            port = sp.port('tls')
            is_(routed_to(port, client_hello('z.test')), 'a', 'one worker (-w 1): served')
            sp.signal(signal.SIGUSR1)
            like('\n'.join(sp.wait_log(r'event=stats ')), r'event=stats .*accepted=1 .*bytes_up=\d+',
                 'SIGUSR1 without -s: an event=stats line with the counters')

            held = connect(port)
            held.sendall(client_hello('held.test'))
            like(held.recv(100), rb'^backend=a ', 'a connection is spliced')
            sp.signal(signal.SIGTERM)
            time.sleep(0.5)
            is_(routed_to(port, client_hello('late.test'), timeout=2), None,
                'after SIGTERM a new connection is not served')
            held.sendall(b'still there\n')
            like(held.recv(100), rb'^backend=a n=12 ', 'the spliced one still carries data both ways')
            ok(sp.proc.poll() is None, 'and the splicer waits for it')
            held.close()
            try:
                rc = sp.proc.wait(5)
            except subprocess.TimeoutExpired:
                rc = None
            is_(rc, 0, 'the last connection ended: exit 0')

        with Sniproxy('* %s\n' % bes['a'].addr, ['tls'], opts=['-g', '1']) as sp:
            port = sp.port('tls')
            held = connect(port)
            held.sendall(client_hello('held.test'))
            like(held.recv(100), rb'^backend=a ', '-g 1: a connection is spliced')
            sp.signal(signal.SIGTERM)
            how, secs = end_of(held, 5)
            ok(how in ('eof', 'reset') and 0.7 < secs < 3,
               'SIGTERM: after the 1 s grace the connection is closed (%s, %.1f s)' % (how, secs))
            held.close()
            try:
                rc = sp.proc.wait(5)
            except subprocess.TimeoutExpired:
                rc = None
            is_(rc, 0, 'and the splicer exits 0')
            ok(sp.lines(r'event=close .*sni=held\.test .*reason=shutdown'), 'reason=shutdown')
    finally:
        stop_all(bes)


run(main, 60)
