#!/usr/bin/python3
# Proves: rule selection: an exact name beats the longest wildcard,
# which beats a shorter one, which beats "*"; "*.example.test" matches
# names ending in .example.test at any depth but not example.test itself
# nor xexample.test; a mode-prefixed pattern (tls:, http:) beats the bare
# one for the same pattern, and applies to its own mode only; names and
# Host headers are compared case-insensitively; a ClientHello without
# SNI goes to the default; the winning rule is named in event=close.
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from snilib import *
from dcrtest import *

NAMES = ('exact', 'wild', 'wildb', 'tlswildc', 'barewildc', 'httpwildc', 'default', 'httpdefault')


def main():
    bes = backends(*NAMES)
    try:
        a = dict((n, b.addr) for n, b in bes.items())
        rules = '\n'.join([
            '# most specific wins, whatever the order in the file',
            '*                      %(default)s',
            '*.example.test         %(wild)s',
            'a.example.test         %(exact)s',
            '*.b.example.test       %(wildb)s',
            'tls:*.c.example.test   %(tlswildc)s',
            '*.c.example.test       %(barewildc)s',
            'http:*.c.example.test  %(httpwildc)s',
            'http:*                 %(httpdefault)s',
            '']) % a
        with Sniproxy(rules, ['tls', 'http']) as sp:
            tls, http = sp.port('tls'), sp.port('http')
            for sni, want in (('a.example.test', 'exact'),
                              ('A.Example.TEST', 'exact'),
                              ('x.example.test', 'wild'),
                              ('deep.x.y.example.test', 'wild'),
                              ('b.example.test', 'wild'),
                              ('x.b.example.test', 'wildb'),
                              ('y.x.B.example.test', 'wildb'),
                              ('x.c.example.test', 'tlswildc'),
                              ('example.test', 'default'),
                              ('xexample.test', 'default'),
                              ('other.test', 'default'),
                              (None, 'default')):
                is_(routed_to(tls, client_hello(sni)), want, 'tls, SNI %s -> %s' % (sni, want))
            for host, want in (('a.example.test', 'exact'),
                               ('x.example.test', 'wild'),
                               ('z.x.b.example.test', 'wildb'),
                               ('x.c.example.test', 'httpwildc'),
                               ('X.C.EXAMPLE.TEST:81', 'httpwildc'),
                               ('example.test', 'httpdefault'),
                               ('other.test', 'httpdefault')):
                req = b'GET / HTTP/1.1\r\nHost: %s\r\n\r\n' % host.encode()
                is_(routed_to(http, req), want, 'http, Host %s -> %s' % (host, want))
            is_(bes['barewildc'].accepted, 0, 'the bare *.c.example.test lost to both mode-prefixed ones')
            like('\n'.join(sp.wait_log(r'sni=x\.b\.example\.test')),
                 r'sni=x\.b\.example\.test rule=\*\.b\.example\.test target=%s' % re.escape(a['wildb']),
                 'event=close names the winning pattern as rule=')
            like('\n'.join(sp.wait_log(r'sni=x\.c\.example\.test ')),
                 r'rule=tls:\*\.c\.example\.test', 'and a mode-prefixed one with its mode')
    finally:
        stop_all(bes)


run(main, 60)
