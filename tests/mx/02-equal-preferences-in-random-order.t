#!/usr/bin/python3
# Proves: MX hosts of equal preference come in a random order (RFC 5321
# 5.1: spread the load), every order of three seen over 60 runs, while a
# lower preference is always first and a higher one always last.
import os, sys
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, '..', 'lib'))
sys.path.insert(0, here)
from dcrtest import *
from mxtest import *


def main():
    why = usable()
    if why:
        skip(why, 4)
        return
    recs = ['--mx-host=eq.test,first.eq.test,1', '--mx-host=eq.test,last.eq.test,50',
            '--host-record=first.eq.test,192.0.2.1', '--host-record=last.eq.test,192.0.2.9']
    for h, ip in (('x', 2), ('y', 3), ('z', 4)):
        recs += ['--mx-host=eq.test,%s.eq.test,10' % h, '--host-record=%s.eq.test,192.0.2.%d' % (h, ip)]
    with Dnsmasq(*recs) as dns:
        orders = {}
        bad = []
        for _ in range(60):
            rc, out, err, _ = dns.mx('-4', 'eq.test')
            hosts = [l.split('\t')[1] for l in out.splitlines()]
            if rc != 0 or len(hosts) != 5 or hosts[0] != 'first.eq.test' or hosts[4] != 'last.eq.test':
                bad.append((rc, out, err))
                continue
            key = ' '.join(h.split('.')[0] for h in hosts[1:4])
            orders[key] = orders.get(key, 0) + 1
        is_(bad, [], '60 runs: exit 0, five hosts, preference 1 first and 50 last')
        is_(sorted(orders), ['x y z', 'x z y', 'y x z', 'y z x', 'z x y', 'z y x'],
            'all six orders of the three preference-10 hosts seen')
        diag('orders: %r' % orders)
        ok(max(orders.values()) < 30, 'no order dominates (each under 30 of 60)')
        rc, out, err, _ = dns.mx('-4', 'eq.test')
        is_(sorted(out.splitlines()[1:4]), ['10\tx.eq.test\t192.0.2.2', '10\ty.eq.test\t192.0.2.3',
                                            '10\tz.eq.test\t192.0.2.4'], 'lines keep their preference')


run(main, timeout=60)
