#!/usr/bin/python3
# Proves: an smtps: target speaks TLS from the first byte (RFC 8314,
# port 465 style) against aiosmtpd with implicit TLS: delivered over
# TLS under the default policy, verified by CA and name under
# tls=verify, with AUTH; a certificate from an unknown CA under verify,
# and a server that speaks plaintext, are T and nothing is ever sent in
# plaintext (no fallback for smtps:, even under tls=may).
import os, ssl, sys
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', 'tls'))
from remotelib import *
from dcrtest import *
from tlstest import Certs

MSG = b'Subject: smtps\n\nimplicit\n'


def main():
    with Certs() as certs, TempDir() as td:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(certs.path('rsa.pem'), certs.path('rsa.key'))
        m = td.write('m', MSG)
        path = td.fake_mx('0\tmx.example.test\t127.0.0.1\n')
        auth = td.write('auth', 'relay:pw465\n', 0o600)

        def send(tgt, extra=()):
            r = remote(tgt, job('S1', m, 'a@example.com', 'b@example.net'),
                       ['-T', '10', '-d', '0'] + list(extra), path_first=path)
            v = r.verdicts()
            return r, (v[0][2:] if len(v) == 1 else (None, repr(r.out)))

        with AioSink(implicit=ctx, users={'relay': 'pw465'}) as sink:
            r, v = send('smtps:[127.0.0.1]:%d' % sink.port)
            is_(v[0], 'D', 'smtps:[IP] with the default policy: delivered')
            ok(sink.envelopes and sink.envelopes[-1]['tls'], '  over TLS')
            like(r.err, rb'tls=TLSv1\.2/ECDHE-RSA-', '  TLS 1.2 with the RSA certificate, in the log')
            is_(sink.envelopes[-1]['content'] if sink.envelopes else None, MSG.replace(b'\n', b'\r\n'), '  byte-identical')
            r, v = send('smtps:mx.example.test:%d' % sink.port, ['--tls', 'verify', '--ca', certs.ca, '--auth', auth])
            is_(v[0], 'D', 'smtps:HOST, tls=verify by CA and name, AUTH: delivered')
            if v[0] != "D": diag(r.err.decode())
            is_(sink.auths[-1:], [('PLAIN', 'relay', True)], '  authenticated inside TLS')
            n = len(sink.envelopes)
            r, v = send('smtps:mx.example.test:%d' % sink.port, ['--tls', 'verify'])
            is_(v[0], 'T', 'smtps:, tls=verify, CA unknown: T')
            like(v[1], r'^451 4\.7\.5 TLS handshake with .*certificate not trusted', '  4.7.5')
            is_(len(sink.envelopes), n, '  nothing delivered')

        with AioSink() as plain:
            for policy in ('may', 'none'):
                r, v = send('smtps:[127.0.0.1]:%d' % plain.port, ['--tls', policy])
                is_(v[0], 'T', 'smtps: to a plaintext server, tls=%s: T' % policy)
                like(v[1], r'^451 4\.7\.0 TLS handshake with ', '  4.7.0 handshake')
            is_(len(plain.envelopes), 0, 'nothing sent in plaintext')


run(main, timeout=120)
