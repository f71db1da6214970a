#!/usr/bin/python3
# Proves: dcr-tlsd speaks TLS 1.2 with ECDHE and AEAD ciphers only:
# openssl s_client -tls1 and -tls1_1 (security level 0, so that the
# client really offers them) fail with a protocol_version alert logged
# (code 582); -tls1_3 alone fails (BearSSL has no TLS 1.3); TLS 1.2
# with CBC or non-ECDHE suites fails (handshake_failure, code 552);
# each of AES128-GCM, AES256-GCM and ChaCha20-Poly1305 works, with
# both key types. -K 1: a client that connects and says nothing, one
# that stops in the middle of its ClientHello, one that sends it an
# octet at a time (the limit is for the whole handshake), and one that
# goes silent after STARTTLS are all dropped in about a second, logged as
# reason="handshake timeout"; the plaintext part of a STARTTLS session
# is not bound by -K.
import os, ssl, sys, time
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
from tlstest import *
from dcrtest import *


def refused(gw, name, code, *args):
    fails = gw.log().count('event=tls-fail')
    rc, out = s_client(gw, '-brief', *args, input=b'EHLO x\nQUIT\n', timeout=15)
    ok(rc != 0 and '220 mx.dcrtest' not in out, '%s: the handshake fails' % name) or diag(out[-800:])
    deadline = time.time() + 3
    while True:
        lines = [l for l in gw.log().splitlines() if 'event=tls-fail' in l]
        if len(lines) > fails or time.time() > deadline:
            break
        time.sleep(0.05)
    ok(len(lines) == fails + 1 and lines[-1].endswith(' code=%d' % code),
       '  event=tls-fail code=%d logged' % code) or diag(lines[fails:])


def main():
    with Certs() as certs:
        for kind in ('ec', 'rsa'):
            with TlsGateway(certs, tlsd_opts=certs.tlsd(kind)) as gw:
                rc, out = s_client(gw, '-brief', '-tls1_2', input=b'QUIT\n')
                ok(rc == 0 and 'Protocol version: TLSv1.2' in out, '%s: s_client -tls1_2 works' % kind) \
                    or diag(out[-800:])
                refused(gw, '%s: -tls1' % kind, 582, '-tls1', '-cipher', 'DEFAULT@SECLEVEL=0')
                refused(gw, '%s: -tls1_1' % kind, 582, '-tls1_1', '-cipher', 'DEFAULT@SECLEVEL=0')
                refused(gw, '%s: -tls1_3 only' % kind, 552, '-tls1_3')
                alg = 'ECDSA' if kind == 'ec' else 'RSA'
                for cipher in ('AES128-SHA', 'AES256-GCM-SHA384', 'ECDHE-%s-AES128-SHA' % alg,
                               'ECDHE-%s-AES256-SHA384' % alg):
                    refused(gw, '%s: -tls1_2 -cipher %s' % (kind, cipher), 552, '-tls1_2', '-cipher', cipher)
                for cipher in ('ECDHE-%s-AES128-GCM-SHA256', 'ECDHE-%s-AES256-GCM-SHA384',
                               'ECDHE-%s-CHACHA20-POLY1305'):
                    cipher %= alg
                    ctx = certs.ctx()
                    ctx.set_ciphers(cipher)
                    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
                    c = tls_client(gw, ctx)
                    try:
                        is_((c.sock.obj.version(), c.sock.obj.cipher()[0], c.greeting[0]),
                            ('TLSv1.2', cipher, 220), '%s: %s works' % (kind, cipher))
                    finally:
                        c.close()
                ctx = certs.ctx()
                ctx.minimum_version = ssl.TLSVersion.TLSv1_3
                try:
                    tls_client(gw, ctx).close()
                    ok(False, '%s: python ssl with TLS 1.3 at least: fails' % kind)
                except ssl.SSLError:
                    ok(True, '%s: python ssl with TLS 1.3 at least: fails' % kind)
                ok(gw.wait_idle(5), '%s: every session process has gone' % kind)
                is_(gw.crashes(), [], '%s: no crash in the log' % kind)

        # -K 1
        with TlsGateway(certs, tlsd_opts=['-K', '1']) as gw:
            hello = client_hello()
            for name, data, trickle in (('nothing sent', b'', False),
                                        ('half a ClientHello', hello[:40], False),
                                        ('a ClientHello one octet every 0.2 s', hello, True)):
                c = gw.raw(banner=False)
                try:
                    t = time.monotonic()
                    closed = False
                    if trickle:
                        for i in range(25):
                            try:
                                c.send(data[i:i + 1])
                            except OSError:
                                closed = True
                                break
                            if c.closed(0.2):
                                closed = True
                                break
                    else:
                        if data:
                            c.send(data)
                        closed = c.closed(5)
                    secs = time.monotonic() - t
                finally:
                    c.close()
                ok(closed and 0.8 <= secs < 3, 'implicit, -K 1, %s: dropped after %.2f s' % (name, secs))
            ok(gw.wait_idle(3), '  every session process has gone')
            is_(gw.log().count('reason="handshake timeout"'), 3, '  logged 3 times as reason="handshake timeout"')
        with TlsGateway(certs, tlsd_opts=['-s', '-K', '1']) as gw:
            c = gw.raw()
            try:
                c.cmd('EHLO client.example.test')
                time.sleep(1.5)
                c.send('NOOP\r\n')
                c.expect('250', 'STARTTLS port, -K 1: plaintext idle for 1.5 s is fine (NOOP 250)')
                c.send('STARTTLS\r\n')
                c.expect('220', '  STARTTLS 220')
                t = time.monotonic()
                closed = c.closed(5)
                secs = time.monotonic() - t
            finally:
                c.close()
            ok(closed and 0.8 <= secs < 3, '  then silence: dropped after %.2f s' % secs)
            ok(gw.wait_idle(3), '  every session process has gone')
            log = gw.log()
            like(log, r'event=tls-fail ip=127\.0\.0\.1 reason="handshake timeout"', '  reason="handshake timeout"')
            like(log, r'dcr-smtpd: event=disconnect .*reason=tls-failed', '  dcr-smtpd: reason=tls-failed')


run(main, 60)
