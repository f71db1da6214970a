#!/usr/bin/python3
# Proves: exit 111 (temporary), within the -t bound, when the DNS server
# is down (nothing listens: ICMP refused), when it never answers (a UDP
# socket that reads and stays silent), and when dnsmasq cannot reach its
# upstream; when one MX host's look-up times out and another's works, the
# addresses found are printed (exit 0) and the failure logged; when all
# MX hosts' look-ups time out, 111. -t bounds the whole run, not each query.
import os, socket, sys
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
    ip = free_loopback()
    rc, out, err, secs = run_mx(['-t', '2', 'a.test'], ip)
    ok(rc == 111 and out == '' and 'status=temporary' in err, 'no server at all: exit 111')
    ok(secs < 4, '  within the -t 2 bound (%.1f s)' % secs)

    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind((ip, 53))
    try:
        rc, out, err, secs = run_mx(['-t', '2', 'a.test'], ip)
    finally:
        silent.close()
    ok(rc == 111 and out == '' and 'error="DNS timed out"' in err, 'a server that never answers: exit 111, timed out')
    ok(1.5 < secs < 4, '  after about 2 s (%.1f s)' % secs)

    # dead.example is forwarded to a port where nothing listens: dnsmasq
    # has no answer to give
    with Dnsmasq('--server=/dead.example/127.0.0.1#9',
                 '--mx-host=part.test,mx.dead.example,10', '--mx-host=part.test,ok.part.test,20',
                 '--host-record=ok.part.test,192.0.2.30',
                 '--mx-host=all.test,mx.dead.example,10', '--mx-host=all.test,mx2.dead.example,20') as dns:
        rc, out, err, secs = dns.mx('-t', '3', 'sub.dead.example')
        ok(rc == 111 and secs < 5, 'MX look-up without answer: exit 111 within -t 3 (%.1f s)' % secs)
        rc, out, err, secs = dns.mx('-t', '3', 'part.test')
        is_((rc, out), (0, '20\tok.part.test\t192.0.2.30\n'), 'one MX host fails, the other is printed: exit 0')
        like(err, r'event=tempfail domain=part.test host=mx.dead.example type=A error="DNS timed out"',
             '  the failed look-up is logged')
        ok(secs < 5, '  the slow host did not stop the other (side by side, %.1f s)' % secs)
        rc, out, err, secs = dns.mx('-t', '3', 'all.test')
        ok(rc == 111 and out == '' and 'no address for any MX host yet' in err,
           'every MX host times out: exit 111 (%.1f s)' % secs)


run(main, timeout=60)
