#!/usr/bin/python3
# Proves: allow= and deny= CIDR lists on a rule, IPv4 and IPv6: a client
# outside allow= or inside deny= is closed without a byte (reason=denied)
# and its back end never sees a connection; deny= wins over a wider
# allow=; several CIDRs in one list; the client address is the one it
# connects from (127.0.0.2 is another client than 127.0.0.1); the same
# checks hold on an http listener.
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from snilib import *
from dcrtest import *


def main():
    bes = backends('a', 'b', 'c', 'd', 'e', 'f', 'g')
    try:
        x = dict((n, b.addr) for n, b in bes.items())
        rules = '\n'.join([
            'a.test %(a)s deny=127.0.0.0/8',
            'b.test %(b)s allow=10.0.0.0/8,192.168.0.0/16',
            'c.test %(c)s allow=127.0.0.1/32',
            'd.test %(d)s allow=10.0.0.0/8,127.0.0.0/8 deny=127.0.0.2/32',
            'e.test %(e)s deny=::1/128',
            'f.test %(f)s allow=127.0.0.0/8',
            'g.test %(g)s allow=192.0.2.0/24,::1/128',
            '']) % x
        with Sniproxy(rules, ['tls', 'tls6', 'http']) as sp:
            v4, v6, http = sp.port('tls'), sp.port('tls6'), sp.port('http')
            for sni, src, want in (('a.test', '127.0.0.1', None),
                                   ('b.test', '127.0.0.1', None),
                                   ('c.test', '127.0.0.1', 'c'),
                                   ('c.test', '127.0.0.2', None),
                                   ('d.test', '127.0.0.1', 'd'),
                                   ('d.test', '127.0.0.3', 'd'),
                                   ('d.test', '127.0.0.2', None)):
                if want is None:
                    with connect(v4, source=src) as s:
                        s.sendall(client_hello(sni))
                        how, secs = end_of(s, 3)
                    ok(how in ('eof', 'reset'), '%s from %s: closed without a byte (%s)' % (sni, src, how))
                else:
                    is_(routed_to(v4, client_hello(sni), source=src), want, '%s from %s: served by %s' % (sni, src, want))
            for sni, want in (('e.test', None), ('f.test', None), ('g.test', 'g'), ('a.test', 'a')):
                if want is None:
                    with connect(v6, host='::1') as s:
                        s.sendall(client_hello(sni))
                        how, secs = end_of(s, 3)
                    ok(how in ('eof', 'reset'), '%s from ::1: closed without a byte (%s)' % (sni, how))
                else:
                    is_(routed_to(v6, client_hello(sni), host='::1'), want, '%s from ::1: served by %s' % (sni, want))
            resp = raw_exchange(http, b'GET / HTTP/1.1\r\nHost: a.test\r\n\r\n')
            ok(resp == b'' or re.match(rb'HTTP/1\.[01] 4', resp or b'x'), 'http, a.test from 127.0.0.1: refused')
            is_([bes[n].accepted for n in 'abef'], [1, 0, 0, 0],
                'the denied rules\' back ends never got a connection (a: only the one from ::1)')
            lines = sp.wait_log(r'event=close .*reason=denied', count=7)
            is_(len(lines), 7, 'seven event=close lines with reason=denied')
            like('\n'.join(lines), r'client=127\.0\.0\.2:\d+ .*sni=c\.test', 'naming the client and the name')
            like('\n'.join(lines), r'client=\[?::1\]?[:.]\d+ ', 'IPv6 clients too')
    finally:
        stop_all(bes)


run(main, 60)
