#!/usr/bin/python3
# Proves: an http listener routes plain HTTP by its Host header (curl,
# and requests written by hand): each host reaches its own back end,
# which gets the request unchanged; Host is matched without its :port
# and case-insensitively; a header split over many small writes still
# routes; an unknown host and a request with no Host are refused (a
# close, or a 4xx) with reason=no-rule; a client that never finishes its
# header is dropped after -t seconds (hello-timeout).
import os, re, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from snilib import *
from dcrtest import *


def refused(resp):
    """A close without bytes, or a minimal 4xx answer"""
    return resp == b'' or re.match(rb'HTTP/1\.[01] 4\d\d', resp or b'x') is not None


def main():
    with HttpBackend('www') as www, HttpBackend('api') as api, HttpBackend('tlsonly') as tonly:
        rules = ('http:www.example.test %s\n'
                 'api.example.test %s\n'
                 'tls:tls.example.test %s   # not for http\n') % (www.addr, api.addr, tonly.addr)
        with Sniproxy(rules, ['http'], opts=['-t', '2']) as sp:
            port = sp.port('http')
            for host, be in (('www.example.test', 'www'), ('api.example.test', 'api')):
                rc, out, err = curl('--resolve', '%s:%d:127.0.0.1' % (host, port),
                                    'http://%s:%d/some/path?q=1' % (host, port))
                is_((rc, out), (0, 'backend=%s host=%s:%d path=/some/path?q=1\n' % (be, host, port)),
                    'curl http://%s/ reaches %s with the request unchanged' % (host, be)) or diag(err)
            rc, out, err = curl('-H', 'Host: WWW.Example.TEST', 'http://127.0.0.1:%d/' % port)
            is_((rc, out), (0, 'backend=www host=WWW.Example.TEST path=/\n'),
                'Host: WWW.Example.TEST (no port) reaches www')
            req = (b'GET /x HTTP/1.1\r\nUser-Agent: t\r\nAccept: */*\r\n'
                   b'hOsT:   api.example.test:8080\r\n\r\n')
            resp = raw_exchange(port, req)
            like(resp, rb'backend=api host=api\.example\.test:8080 path=/x\n',
                 'a lower-case header name, blanks and a :port: api')
            is_(api.conns[-1]['request'], req, 'the back end got the request byte for byte')

            # the header in 1-byte writes
            with connect(port) as s:
                for i in range(len(req)):
                    s.sendall(req[i:i + 1])
                    time.sleep(0.002)
                how, secs = end_of(s, 5)
            like(how, r'backend=api', 'a request sent one byte at a time still routes')

            for what, r in (('an unknown host', b'GET / HTTP/1.1\r\nHost: other.test\r\n\r\n'),
                            ('a tls-only rule', b'GET / HTTP/1.1\r\nHost: tls.example.test\r\n\r\n'),
                            ('no Host header', b'GET / HTTP/1.0\r\nAccept: */*\r\n\r\n')):
                resp = raw_exchange(port, r)
                ok(refused(resp), '%s: refused (closed or 4xx): %r' % (what, (resp or b'')[:40]))
            is_(len(tonly.conns), 0, 'the tls-only back end never got an http connection')
            ok(sp.wait_log(r'event=close .*reason=no-rule', count=3),
               'event=close reason=no-rule for each of them')

            with connect(port) as s:
                s.sendall(b'GET / HTTP/1.1\r\nHost: www.exa')
                how, secs = end_of(s, 6)
            ok(how in ('eof', 'reset') or re.match(r"data:b'HTTP/1\.[01] 4", how), 'an unfinished header: dropped (%s)' % how)
            ok(1.5 < secs < 4.5, 'after about -t 2 seconds (%.1f s)' % secs)
            ok(sp.wait_log(r'event=close .*reason=hello-timeout'), 'logged as reason=hello-timeout')

            rc, out, err = curl('--resolve', 'www.example.test:%d:127.0.0.1' % port,
                                'http://www.example.test:%d/after' % port)
            like(out, r'backend=www .*path=/after', 'still serving afterwards')


run(main, 60)
