#!/usr/bin/python3
# Proves: -C N (connections per worker): the connection beyond N is
# closed without a byte (reason=max-conns) and one more is served once a
# slot is free; -i N (per client IP): the (N+1)th from one address is
# closed (reason=max-per-ip) while another address is still served; a
# rule's max-conns=N refuses the (N+1)th connection of that rule only;
# idle-timeout=S closes a silent spliced connection after S seconds
# (reason=idle-timeout) and traffic either way keeps it open.
import os, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from snilib import *
from dcrtest import *


def hold(port, sni, source=None):
    """A connection routed to its back end (answer read), or None"""
    try:
        s = connect(port, source=source, timeout=3)
        s.sendall(client_hello(sni))
        if not s.recv(100).startswith(b'backend='):
            s.close()
            return None
        return s
    except OSError:
        return None


def refused(port, sni, source=None):
    with connect(port, source=source) as s:
        try:
            s.sendall(client_hello(sni))
        except OSError:
            pass
        how, _ = end_of(s, 3)
    return how in ('eof', 'reset')


def main():
    with RawBackend('a') as a:
        with Sniproxy('* %s\n' % a.addr, ['tls'], opts=['-C', '3']) as sp:
            port = sp.port('tls')
            held = [hold(port, 'x%d.test' % i) for i in range(3)]
            ok(all(held), '-C 3: three connections held')
            ok(refused(port, 'x.test'), 'the fourth: closed without a byte')
            ok(sp.wait_log(r'event=close .*reason=max-conns'), 'reason=max-conns')
            held.pop().close()
            time.sleep(0.3)
            s = hold(port, 'y.test')
            ok(s, 'one closed: the next is served')
            for h in held + [s]:
                h and h.close()

        with Sniproxy('* %s\n' % a.addr, ['tls'], opts=['-C', '20', '-i', '2']) as sp:
            port = sp.port('tls')
            held = [hold(port, 'x%d.test' % i) for i in range(2)]
            ok(all(held), '-i 2: two from 127.0.0.1 held')
            ok(refused(port, 'x.test'), 'the third from 127.0.0.1: closed without a byte')
            ok(sp.wait_log(r'event=close client=127\.0\.0\.1:\d+ .*reason=max-per-ip'), 'reason=max-per-ip')
            more = [hold(port, 'z%d.test' % i, source='127.0.0.2') for i in range(2)]
            ok(all(more), 'two from 127.0.0.2 are still served')
            for h in held + more:
                h and h.close()

        rules = ('m.test %s max-conns=2\n'
                 'idle.test %s idle-timeout=1\n'
                 '* %s\n') % (a.addr, a.addr, a.addr)
        with Sniproxy(rules, ['tls']) as sp:
            port = sp.port('tls')
            held = [hold(port, 'm.test') for i in range(2)]
            ok(all(held), 'max-conns=2: two m.test held')
            ok(refused(port, 'm.test'), 'a third m.test: closed without a byte')
            ok(sp.wait_log(r'event=close .*sni=m\.test .*reason=(max-conns|no-target)'),
               'reason=max-conns (or no-target)')
            s = hold(port, 'other.test')
            ok(s, 'another rule is not limited')
            for h in held + [s]:
                h and h.close()

            s = hold(port, 'idle.test')
            t0 = time.time()
            how, _ = end_of(s, 4)
            secs = time.time() - t0
            ok(how in ('eof', 'reset') and 0.7 < secs < 2.5,
               'idle-timeout=1: a silent connection is closed after about a second (%s, %.2f s)' % (how, secs))
            s.close()
            ok(sp.wait_log(r'event=close .*sni=idle\.test .*reason=idle-timeout'), 'reason=idle-timeout')
            s = hold(port, 'idle.test')
            alive = True
            for i in range(5):
                time.sleep(0.5)
                try:
                    s.sendall(b'ping\n')
                    alive = s.recv(100).startswith(b'backend=a')
                except OSError:
                    alive = False
                if not alive:
                    break
            ok(alive, 'a connection with traffic every 0.5 s outlives idle-timeout=1 (2.5 s)')
            s.close()


run(main, 60)
