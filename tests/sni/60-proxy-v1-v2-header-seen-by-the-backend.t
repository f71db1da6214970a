#!/usr/bin/python3
# Proves: proxy=v1 and proxy=v2 put a PROXY protocol header in front of
# the spliced stream, with the real client address and port and the
# listener's address and port (TCP4 from 127.0.0.1, TCP6 from ::1), and
# the TLS session behind it works (the back end reads the header, then
# does TLS); v2 is the binary form (signature, version 2 / PROXY command,
# the right family); http and forward listeners send it too; a rule
# without proxy= sends none.
import os, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from snilib import *
from dcrtest import *


def fetch(port, host, sni, certs):
    """(client's own (ip, port), body) of one TLS request"""
    raw = connect(port, host)
    me = raw.getsockname()[:2]
    try:
        s = certs.client_ctx().wrap_socket(raw, server_hostname=sni)
        s.sendall(b'hello\n')
        data = b''
        while b'\n\n' not in data.replace(b'\r', b''):
            data += s.recv(4096)
        data += s.recv(4096)
        return me, data
    except (OSError, ssl.SSLError) as e:
        return me, repr(e).encode()
    finally:
        raw.close()


def main():
    with Certs('a.test') as certs, TlsBackend(certs, 'a.test', proxy=True) as be, \
            RawBackend('raw') as raw:
        rules = ('v1.test %s proxy=v1\n'
                 'v2.test %s proxy=v2\n'
                 'none.test %s\n'
                 'http:www.test %s proxy=v1\n'
                 'forward:bulk %s proxy=v2\n') % (be.addr, be.addr, be.addr, raw.addr, raw.addr)
        with Sniproxy(rules, ['tls', 'tls6', 'http', 'forward:bulk']) as sp:
            for lst, host in (('tls', '127.0.0.1'), ('tls6', '::1')):
                lport = sp.port(lst)
                for ver in (1, 2):
                    me, body = fetch(lport, host, 'v%d.test' % ver, certs)
                    like(body, rb'\r\n\r\nbackend=a\.test sni=v%d\.test\n' % ver,
                         'v%d from %s: TLS works behind the header' % (ver, host))
                    h = be.conns[-1].get('proxy') if be.conns else None
                    if not ok(h and h['version'] == ver, 'v%d from %s: the back end read a v%d header' % (ver, host, ver)):
                        diag(be.conns[-1:])
                        continue
                    is_((h.get('src'), h.get('sport'), h.get('dst'), h.get('dport')),
                        (host, me[1], host, lport),
                        'v%d from %s: client address and port, listener address and port' % (ver, host))
                    if ver == 1:
                        like(h['raw'], rb'^PROXY %s %s %s \d+ \d+\r\n$' % (b'TCP4' if ':' not in host else b'TCP6',
                                                                          host.encode(), host.encode()),
                             'v1: "PROXY TCP%s SRC DST SPORT DPORT" CRLF' % ('4' if ':' not in host else '6'))
                    else:
                        is_((h['vercmd'], h['fam']), (0x21, 0x11 if ':' not in host else 0x21),
                            'v2: version 2, PROXY command, %s over STREAM' % ('INET' if ':' not in host else 'INET6'))
            me, body = fetch(sp.port('tls'), '127.0.0.1', 'none.test', certs)
            like(body, rb'\r\n\r\nbackend=a\.test sni=none\.test\n', 'no proxy=: TLS straight away')
            is_(be.conns[-1].get('proxy'), None, 'and no header at all')

            with connect(sp.port('http')) as s:
                me = s.getsockname()
                s.sendall(b'GET / HTTP/1.1\r\nHost: www.test\r\n\r\n')
                # the back end answers each of the three lines; all three
                # answers are read before the close, so that the records
                # are complete and the close is a FIN, not a reset
                answers = b''
                try:
                    while answers.count(b'\n') < 3:
                        d = s.recv(4096)
                        if not d:
                            break
                        answers += d
                except OSError:
                    pass
                like(answers, rb'^backend=raw n=16 sni=-\nbackend=raw n=16 sni=-\nbackend=raw n=2 sni=-\n$',
                     'http: served, one answer per line')
            h = raw.proxies[-1] if raw.proxies else {}
            is_((h.get('version'), h.get('src'), h.get('sport'), h.get('dport')),
                (1, '127.0.0.1', me[1], sp.port('http')), 'http: a v1 header with the client\'s port')
            is_(b''.join(raw.records[-3:]), b'GET / HTTP/1.1\r\nHost: www.test\r\n\r\n',
                'and the request right behind it')

            with connect(sp.port('forward:bulk')) as s:
                me = s.getsockname()
                s.sendall(b'some bytes\n')
                like(s.recv(100), rb'^backend=raw n=11', 'forward: served')
            h = raw.proxies[-1] if raw.proxies else {}
            is_((h.get('version'), h.get('src'), h.get('sport'), h.get('dport')),
                (2, '127.0.0.1', me[1], sp.port('forward:bulk')), 'forward: a v2 header with the client\'s port')


run(main, 60)
