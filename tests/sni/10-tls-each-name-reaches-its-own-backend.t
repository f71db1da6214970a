#!/usr/bin/python3
# Proves: real TLS on both ends through the splicer: each SNI name
# reaches its own back end (python ssl servers and an openssl s_server,
# each with its own certificate), checked by the certificate the client
# sees and by the body; clients are python ssl, openssl s_client
# -servername and curl --resolve; names match case-insensitively; the
# ClientHello reaches the back end unchanged (its SNI is there); a name
# with no rule and a hello without SNI are closed without a byte; one
# event=close line per connection names sni, rule, target and bytes.
import os, re, subprocess, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from snilib import *
from dcrtest import *


def main():
    with Certs('a.test', 'b.test', 'c.test') as certs, \
            TlsBackend(certs, 'a.test') as a, TlsBackend(certs, 'b.test') as b:
        # c.test: openssl's own server (-www answers a status page)
        cport = free_port()
        sserver = subprocess.Popen(
            ['openssl', 's_server', '-accept', '127.0.0.1:%d' % cport, '-cert', certs.pem('c.test'),
             '-key', certs.key('c.test'), '-www', '-quiet'],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)
        try:
            deadline = time.time() + 5
            while time.time() < deadline:
                try:
                    connect(cport).close()
                    break
                except OSError:
                    time.sleep(0.05)
            rules = ('# two python back ends and openssl s_server\n'
                     'a.test %s\n'
                     'tls:b.test %s   # mode-prefixed\n'
                     'c.test 127.0.0.1:%d\n') % (a.addr, b.addr, cport)
            with Sniproxy(rules, ['tls']) as sp:
                port = sp.port('tls')
                for name in ('a.test', 'b.test'):
                    r = tls_fetch(port, name, certs)
                    is_(r['cn'], name, 'python ssl, SNI %s: the certificate of %s' % (name, name)) or diag(r)
                    is_(r['body'], 'backend=%s sni=%s\n' % (name, name),
                        'python ssl, SNI %s: the body of its back end, which saw the SNI' % name)
                r = tls_fetch(port, 'A.TEST', certs)
                is_(r['cn'], 'a.test', 'SNI A.TEST matches the rule a.test (case-insensitive)') or diag(r)

                for name in ('a.test', 'b.test'):
                    cn, body, text = s_client(port, name, certs)
                    is_(cn, name, 's_client -servername %s: its certificate' % name) or diag(text[-800:])
                    is_(body, 'backend=%s sni=%s' % (name, name), 's_client -servername %s: its body' % name)
                cn, body, text = s_client(port, 'c.test', certs)
                is_(cn, 'c.test', 's_client -servername c.test: the s_server certificate') or diag(text[-800:])

                for name in ('a.test', 'b.test'):
                    rc, out, err = curl('--resolve', '%s:%d:127.0.0.1' % (name, port), '--cacert', certs.ca,
                                        'https://%s:%d/' % (name, port))
                    is_((rc, out), (0, 'backend=%s sni=%s\n' % (name, name)),
                        'curl --resolve https://%s/ verifies and gets its body' % name) or diag(err)
                rc, out, err = curl('--resolve', 'c.test:%d:127.0.0.1' % port, '--cacert', certs.ca,
                                    'https://c.test:%d/' % port)
                ok(rc == 0 and 's_server' in out, 'curl https://c.test/ gets the s_server -www page') or diag(err)

                for name in ('nope.test', None):
                    t0 = time.time()
                    r = tls_fetch(port, name, certs)
                    ok(r['cn'] is None and r['error'], 'SNI %s: no rule, no handshake (%s)' % (name, r['error']))
                    ok(time.time() - t0 < 3, 'SNI %s: closed at once, not after a timeout' % name)
                with connect(port) as s:
                    s.sendall(client_hello('nope.test'))
                    how, secs = end_of(s, 5)
                    ok(how in ('eof', 'reset'), 'a hand-made hello for nope.test: closed without a byte (%s)' % how)
                ok(sp.wait_log(r'event=close .*sni=nope\.test.*reason=no-rule'),
                   'event=close ... reason=no-rule for nope.test')
                ok(a.conns and all((c.get('sni') or '').lower() == 'a.test' or c.get('error') for c in a.conns),
                   'a.test\'s back end only ever saw a.test')
                is_(len(b.conns), 3, 'b.test\'s back end got its 3 connections, no others')

                lines = sp.wait_log(r'event=close .*sni=b\.test', count=3)
                like(lines[0] if lines else '',
                     r'event=close client=127\.0\.0\.1:\d+ listener=tls:127\.0\.0\.1:%d sni=b\.test '
                     r'rule=(tls:)?b\.test target=127\.0\.0\.1:%d up=\d+ down=\d+ ms=\d+ reason=' % (port, b.port),
                     'event=close names client, listener, sni, rule, target, bytes, ms, reason')
                m = re.search(r' up=(\d+) down=(\d+)', lines[0] if lines else '')
                ok(m and int(m.group(1)) > 200 and int(m.group(2)) > 200,
                   'up= and down= count the bytes both ways (hello and certificate at least)')
        finally:
            os.killpg(sserver.pid, 9)
            sserver.wait()


run(main, 90)
