#!/usr/bin/python3
# Proves: exit 100 with a clear reason on stderr and nothing on stdout for
# a null MX (RFC 7505: one MX record, host "."), for a domain that does
# not exist (NXDOMAIN), and for arguments that are not domain names
# (these without asking DNS at all); a null MX beside real MX records is
# ignored; bad usage is 100 too.
import os, sys
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, '..', 'lib'))
sys.path.insert(0, here)
from dcrtest import *
from mxtest import *

BAD = ['', '.', 'a..b', '-a.test', 'a-.test', 'a_b.test', 'a b.test', 'a\tb', '[192.0.2.1]',
       'x' * 64 + '.test', ('a' * 60 + '.') * 5, 'bücher.test', 'a.test..', '../etc']


def main():
    # no server needed: an address nobody answers on, the look-up must not happen
    for d in BAD:
        rc, out, err, secs = run_mx(['-t', '2', '--', d], '127.0.0.1')
        ok(rc == 100 and out == '' and 'status=permanent' in err and secs < 1,
           'not a domain, exit 100 at once: %r' % d)
    rc, out, err, _ = run_mx([], '127.0.0.1')
    ok(rc == 100 and 'usage' in err, 'no argument: usage, exit 100')
    rc, out, err, _ = run_mx(['-t', 'x', 'a.test'], '127.0.0.1')
    ok(rc == 100 and 'usage' in err, 'bad -t: usage, exit 100')
    why = usable()
    if why:
        skip(why, 5)
        return
    # RFC 7505 null MX: preference 0, host "." (rdata 00 00 00)
    with Dnsmasq('--dns-rr=null.test,15,000000', '--dns-rr=mixed.test,15,000000',
                 '--mx-host=mixed.test,mail.mixed.test,10', '--host-record=mail.mixed.test,192.0.2.5',
                 '--host-record=null.test,192.0.2.6') as dns:
        rc, out, err, _ = dns.mx('null.test')
        is_((rc, out), (100, ''), 'null MX: exit 100, even though the domain has an A record')
        like(err, r'status=permanent error="null MX: the domain accepts no mail \(RFC 7505\)"', '  said on stderr')
        rc, out, err, _ = dns.mx('nx.test')
        is_((rc, out), (100, ''), 'NXDOMAIN: exit 100')
        like(err, r'domain=nx.test status=permanent error="no such domain \(NXDOMAIN\)"', '  said on stderr')
        rc, out, err, _ = dns.mx('mixed.test')
        is_((rc, out), (0, '10\tmail.mixed.test\t192.0.2.5\n'), 'a "." among real MX hosts is skipped')


run(main, timeout=60)
