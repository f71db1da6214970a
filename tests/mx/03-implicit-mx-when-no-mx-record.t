#!/usr/bin/python3
# Proves: a domain with no MX record (NODATA) is its own mail host, the
# "implicit MX" of RFC 5321 5.1: its A and AAAA addresses with
# preference 0; a domain with neither MX nor address is permanent (100);
# an MX host with no address is skipped when another has one, and
# permanent when none has.
import os, sys
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, '..', 'lib'))
sys.path.insert(0, here)
from dcrtest import *
from mxtest import *


def main():
    why = usable()
    if why:
        skip(why, 6)
        return
    with Dnsmasq('--host-record=impl.test,192.0.2.7,2001:db8::7',
                 '--txt-record=noaddr.test,hello',
                 '--mx-host=half.test,gone.half.test,10', '--mx-host=half.test,mail.half.test,20',
                 '--host-record=mail.half.test,192.0.2.20',
                 '--mx-host=none.test,gone.none.test,10', '--mx-host=none.test,txt.none.test,20',
                 '--txt-record=txt.none.test,x') as dns:
        rc, out, err, _ = dns.mx('impl.test')
        is_((rc, out), (0, '0\timpl.test\t192.0.2.7\n0\timpl.test\t2001:db8::7\n'),
            'no MX: A and AAAA of the domain itself, preference 0')
        rc, out, err, _ = dns.mx('noaddr.test')
        is_((rc, out), (100, ''), 'no MX and no address: exit 100, nothing on stdout')
        like(err, r'^dcr-mx: event=fail domain=noaddr.test status=permanent error="no MX record and no address',
             '  said on stderr')
        rc, out, err, _ = dns.mx('half.test')
        is_((rc, out), (0, '20\tmail.half.test\t192.0.2.20\n'), 'an MX host without address is skipped')
        rc, out, err, _ = dns.mx('none.test')
        is_((rc, out), (100, ''), 'no MX host has an address: exit 100')
        like(err, r'status=permanent error="no address \(A/AAAA\) for any MX host', '  said on stderr')


run(main, timeout=60)
