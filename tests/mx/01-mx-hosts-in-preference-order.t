#!/usr/bin/python3
# Proves: dcr-mx prints one "PREF<TAB>HOST<TAB>IP" line per address, MX
# hosts by preference (lowest first, whatever order DNS gives them), a
# host's A before its AAAA, names lowercased; -4 and -6 keep one family;
# a host named twice is tried once (at its best preference), an address
# shared by two hosts once; -A HOST gives the addresses of HOST with PREF 0.
import os, sys
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, '..', 'lib'))
sys.path.insert(0, here)
from dcrtest import *
from mxtest import *


def main():
    why = usable()
    if why:
        skip(why, 9)
        return
    with Dnsmasq('--mx-host=a.test,mx3.a.test,30', '--mx-host=a.test,MX1.a.test,10',
                 '--mx-host=a.test,mx2.a.test,20',
                 '--host-record=mx1.a.test,192.0.2.1,2001:db8::1',
                 '--host-record=mx2.a.test,192.0.2.2', '--host-record=mx2.a.test,192.0.2.22',
                 '--host-record=mx3.a.test,2001:db8::3',
                 '--mx-host=dup.test,mx2.a.test,5', '--mx-host=dup.test,mx1.a.test,7',
                 '--mx-host=dup.test,mx2.a.test,9', '--mx-host=dup.test,same.test,8',
                 '--host-record=same.test,192.0.2.1') as dns:
        rc, out, err, _ = dns.mx('a.test')
        is_(rc, 0, 'exit 0')
        lines = out.splitlines()
        is_(lines[:2], ['10\tmx1.a.test\t192.0.2.1', '10\tmx1.a.test\t2001:db8::1'],
            'preference 10 first, A before AAAA, lowercased')
        is_(sorted(lines[2:4]), ['20\tmx2.a.test\t192.0.2.2', '20\tmx2.a.test\t192.0.2.22'],
            'then preference 20, both addresses')
        is_(lines[4:], ['30\tmx3.a.test\t2001:db8::3'], 'then 30, an IPv6-only host')
        is_(err, '', 'nothing on stderr')

        rc, out, err, _ = dns.mx('-4', 'a.test')
        ok(rc == 0 and all(':' not in l.split('\t')[2] for l in out.splitlines())
           and len(out.splitlines()) == 3, '-4: A records only')
        rc, out, err, _ = dns.mx('-6', 'a.test')
        is_((rc, out), (0, '10\tmx1.a.test\t2001:db8::1\n30\tmx3.a.test\t2001:db8::3\n'), '-6: AAAA only')

        rc, out, err, _ = dns.mx('dup.test')
        lines = out.splitlines()
        is_([l.split('\t')[:2] for l in lines],
            [['5', 'mx2.a.test'], ['5', 'mx2.a.test'], ['7', 'mx1.a.test'], ['7', 'mx1.a.test']],
            'a host named twice is tried once, at its best preference; '
            'same.test (8) shares 192.0.2.1 with mx1 and is not repeated')

        rc, out, err, _ = dns.mx('-A', 'MX1.A.TEST.')
        is_((rc, out), (0, '0\tmx1.a.test\t192.0.2.1\n0\tmx1.a.test\t2001:db8::1\n'),
            '-A: the host itself, preference 0, final dot and case ignored')


run(main, timeout=60)
