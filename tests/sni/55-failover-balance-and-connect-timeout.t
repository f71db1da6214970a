#!/usr/bin/python3
# Proves: failover: a target that refuses the connection, or does not
# answer within connect-timeout=, is skipped for the next one, without
# the client noticing (its ClientHello reaches the next target whole);
# when every target fails the client is closed, reason=no-target;
# IPv6 targets ([::1]:PORT) fail over the same way;
# balance=ordered (the default) always takes the first live target,
# roundrobin alternates, random uses both.
import os, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from snilib import *
from dcrtest import *


def main():
    bes = backends('a', 'b')
    six = RawBackend('six', host='::1').start()
    try:
        with Blackhole() as hole:
            d1, d2 = dead_port(), dead_port()
            x = {'a': bes['a'].addr, 'b': bes['b'].addr, 'd1': '127.0.0.1:%d' % d1,
                 'd2': '127.0.0.1:%d' % d2, 'hole': hole.addr, 'six': six.addr,
                 'd6': '[::1]:%d' % dead_port('::1')}
            rules = '\n'.join([
                'refused.test %(d1)s %(a)s',
                'two-dead.test %(d1)s %(d2)s %(b)s',
                'all-dead.test %(d1)s %(d2)s',
                'slow.test %(hole)s %(b)s connect-timeout=1',
                'slow-dead.test %(hole)s connect-timeout=1',
                'ordered.test %(a)s %(b)s',
                'rr.test %(a)s %(b)s balance=roundrobin',
                'random.test %(a)s %(b)s balance=random',
                'six.test %(d6)s %(six)s',
                '']) % x
            with Sniproxy(rules, ['tls']) as sp:
                port = sp.port('tls')
                hello = client_hello('refused.test', pad=300)
                with connect(port) as s:
                    s.sendall(hello)
                    how, _ = end_of(s, 3)
                like(how, r'backend=a n=%d sni=refused\.test' % len(hello),
                     'first target refuses: the second (a) gets the whole hello')
                is_(routed_to(port, client_hello('two-dead.test')), 'b', 'two refusing targets, then b')
                ok(sp.wait_log(r'sni=two-dead\.test .*target=%s' % re.escape(x['b'])),
                   'event=close names the target used')
                t0 = time.time()
                is_(routed_to(port, client_hello('all-dead.test')), None, 'every target refuses: closed')
                ok(time.time() - t0 < 2, 'at once')
                ok(sp.wait_log(r'sni=all-dead\.test .*reason=no-target'), 'reason=no-target')

                t0 = time.time()
                is_(routed_to(port, client_hello('slow.test'), timeout=6), 'b',
                    'a target that does not answer: after connect-timeout=1, b')
                secs = time.time() - t0
                ok(0.8 < secs < 3, 'in about a second (%.2f s)' % secs)
                t0 = time.time()
                is_(routed_to(port, client_hello('slow-dead.test'), timeout=6), None,
                    'the only target does not answer: closed')
                secs = time.time() - t0
                ok(0.8 < secs < 3, 'after about a second (%.2f s)' % secs)
                ok(sp.wait_log(r'sni=slow-dead\.test .*reason=no-target'), 'reason=no-target')

                got = [routed_to(port, client_hello('ordered.test')) for _ in range(6)]
                is_(got, ['a'] * 6, 'ordered: always the first')
                got = [routed_to(port, client_hello('rr.test')) for _ in range(6)]
                is_(sorted(got), ['a'] * 3 + ['b'] * 3, 'roundrobin: 3 and 3 of 6 (%s)' % ' '.join(map(str, got)))
                ok(all(got[i] != got[i + 1] for i in range(5)), 'roundrobin alternates')
                got = [routed_to(port, client_hello('random.test')) for _ in range(30)]
                ok(set(got) == {'a', 'b'}, 'random: both used in 30 (%d a)' % got.count('a'))
                is_(routed_to(port, client_hello('six.test')), 'six', 'IPv6 targets: [::1] refuses, the next [::1] serves')
                ok(sp.wait_log(r'sni=six\.test .*target=\[::1\]:%d ' % six.port), 'logged as target=[::1]:PORT')
                ok(sp.proc.poll() is None, 'still running')
    finally:
        stop_all(bes)
        six.stop()


run(main, 60)
