#!/usr/bin/python3
# Proves: dcr-remote's outbound TLS follows the route's policy, against
# aiosmtpd with STARTTLS (python3's ssl on the server side):
#   none     never STARTTLS, even when offered
#   may      STARTTLS when offered (any certificate); a handshake that
#            fails is retried once in plaintext on a new connection;
#            a server without STARTTLS gets the mail in plaintext
#   encrypt  STARTTLS required, any certificate; no STARTTLS or a failed
#            handshake is T 4.7.x and nothing is sent in plaintext
#   verify   the chain to the CA file (or the system bundle) and the
#            host name; a wrong name or an unknown CA is T 4.7.5
# A server that requires STARTTLS (530 before it) gets the mail in TLS.
import os, ssl, sys
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', 'tls'))
from remotelib import *
from dcrtest import *
from tlstest import Certs

MSG = b'Subject: tls\n\nover TLS\n.\nend\n'


def server_ctx(certs, name, tls13_only=False):
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    c.load_cert_chain(certs.path(name + '.pem'), certs.path(name + '.key'))
    if tls13_only:
        c.minimum_version = ssl.TLSVersion.TLSv1_3
    return c


def verdict(r):
    v = r.verdicts()
    return v[0][2:] if len(v) == 1 else (None, 'no single verdict: %r' % r.out)


def main():
    with Certs() as certs, TempDir() as td:
        certs.make('other', 'other.example.test')
        m = td.write('m', MSG)
        # smtp:mx.example.test:PORT is looked up by dcr-mx -A: a fake one
        # answers 127.0.0.1, so that the name checked is mx.example.test
        path = td.fake_mx('0\tmx.example.test\t127.0.0.1\n')
        ca = ['--ca', certs.ca]

        def send(sink, policy, extra=(), byname=True, qid='T1'):
            tgt = 'smtp:mx.example.test:%d' % sink.port if byname else sink.target
            return remote(tgt, job(qid, m, 'a@example.com', 'b@example.net'),
                          ['-T', '10', '-d', '0', '--tls', policy] + list(extra), path_first=path)

        # -- a server that offers STARTTLS with a certificate from our CA
        with AioSink(tls=server_ctx(certs, 'ec')) as sink:
            r = send(sink, 'none')
            is_(verdict(r)[0], 'D', 'tls=none: delivered')
            ok(sink.envelopes and not sink.envelopes[-1]['tls'], 'tls=none: in plaintext although STARTTLS was offered')
            like(r.err, rb'event=connect .* tls=no ', 'tls=none: the log says tls=no')

            r = send(sink, 'may')
            is_(verdict(r)[0], 'D', 'tls=may: delivered')
            ok(sink.envelopes and sink.envelopes[-1]['tls'], 'tls=may: over TLS when offered')
            like(r.err, rb'tls=TLSv1\.2/ECDHE-ECDSA-(AES\d+-GCM-SHA\d+|CHACHA20-POLY1305) ', 'tls=may: the log names TLS 1.2 and an AEAD suite')
            is_(sink.envelopes[-1]['content'] if sink.envelopes else None, MSG.replace(b'\n', b'\r\n'), 'tls=may: the message byte-identical through TLS')

            r = send(sink, 'encrypt')
            is_(verdict(r)[0], 'D', 'tls=encrypt: delivered')
            ok(sink.envelopes and sink.envelopes[-1]['tls'], 'tls=encrypt: over TLS')

            r = send(sink, 'verify', ca)
            is_(verdict(r)[0], 'D', 'tls=verify with the CA file and the right name: delivered')
            ok(sink.envelopes and sink.envelopes[-1]['tls'], 'tls=verify: over TLS')

            n = len(sink.envelopes)
            r = send(sink, 'verify')
            is_(verdict(r)[0], 'T', 'tls=verify against the system bundle, our CA unknown: T')
            like(verdict(r)[1], r'^451 4\.7\.5 TLS handshake with mx\.example\.test\[127\.0\.0\.1\]:\d+: certificate not trusted$', '  4.7.5 naming the peer')
            like(r.err, rb'event=tls-fail ', '  and an event=tls-fail log line')
            is_(len(sink.envelopes), n, '  nothing delivered')

            # several messages on one connection, all inside TLS
            jobs = job('M1', m, 'a@example.com', 'b@example.net') + job('M2', m, 'a@example.com', 'c@example.net')
            c0 = sink.connections
            r = remote('smtp:mx.example.test:%d' % sink.port, jobs, ['-T', '10', '--tls', 'verify'] + ca, path_first=path)
            is_([x[2] for x in r.verdicts()], ['D', 'D'], 'two jobs over one verified TLS session')
            is_(sink.connections - c0, 1, '  one connection')

        # -- the right CA, the wrong name
        with AioSink(tls=server_ctx(certs, 'other'), require=True) as sink:
            r = send(sink, 'verify', ca)
            is_(verdict(r)[0], 'T', 'tls=verify, certificate for other.example.test: T')
            like(verdict(r)[1], r'^451 4\.7\.5 .*TLS handshake with .*', '  4.7.5, the handshake named as the reason')
            is_(len(sink.envelopes), 0, '  nothing delivered')
            r = send(sink, 'encrypt')
            is_(verdict(r)[0], 'D', 'tls=encrypt takes the same server: no name check')
            r = send(sink, 'may')
            is_(verdict(r)[0], 'D', 'tls=may: a server that requires STARTTLS gets it')
            ok(sink.envelopes and sink.envelopes[-1]['tls'], '  over TLS')

        # -- verify on an [IP] target: the chain is checked (doc/dcr-remote.md)
        with AioSink(tls=server_ctx(certs, 'other')) as sink:
            r = send(sink, 'verify', ca, byname=False)
            is_(verdict(r)[0], 'D', 'tls=verify on smtp:[IP]: the chain to the CA is enough')
            r = send(sink, 'verify', byname=False)
            is_(verdict(r)[0], 'T', 'tls=verify on smtp:[IP], CA unknown: T')

        # -- no STARTTLS at all
        with AioSink() as sink:
            r = send(sink, 'may')
            is_(verdict(r)[0], 'D', 'tls=may, no STARTTLS offered: delivered in plaintext')
            for policy in ('encrypt', 'verify'):
                r = send(sink, policy, ca)
                is_(verdict(r)[0], 'T', 'tls=%s, no STARTTLS offered: T' % policy)
                like(verdict(r)[1], r'^451 4\.7\.4 .*STARTTLS not offered', '  4.7.4 STARTTLS not offered')
            is_(len(sink.envelopes), 1, 'only the tls=may message arrived')

        # -- a server whose TLS we cannot speak (TLS 1.3 only)
        with AioSink(tls=server_ctx(certs, 'ec', tls13_only=True)) as sink:
            c0 = sink.connections
            r = send(sink, 'may')
            is_(verdict(r)[0], 'D', 'tls=may, handshake fails: delivered in plaintext on a new connection')
            ok(sink.envelopes and not sink.envelopes[-1]['tls'], '  in plaintext')
            is_(sink.connections - c0, 2, '  two connections: the failed handshake, then plaintext')
            like(r.err, rb'event=tls-fail ', '  the failure logged')
            n = len(sink.envelopes)
            r = send(sink, 'encrypt')
            is_(verdict(r)[0], 'T', 'tls=encrypt, handshake fails: T')
            like(verdict(r)[1], r'^451 4\.7\.0 .*TLS handshake with ', '  4.7.0 handshake')
            is_(len(sink.envelopes), n, '  and never in plaintext')

        # -- STARTTLS refused by the server
        with FakeSMTP(ext=['STARTTLS', '8BITMIME']) as fk:
            r = remote(fk.target, job('R1', m, 'a@example.com', 'b@example.net'), ['-T', '10', '--tls', 'encrypt'])
            is_(verdict(r)[0], 'T', 'tls=encrypt, STARTTLS answered 502: T')
            like(verdict(r)[1], r'^451 4\.7\.4 .*refused STARTTLS: 502', '  4.7.4 with the server reply')
            is_(len(fk.messages), 0, '  nothing sent')
            r = remote(fk.target, job('R2', m, 'a@example.com', 'b@example.net'), ['-T', '10', '--tls', 'may'])
            is_(verdict(r)[0], 'D', 'tls=may, STARTTLS answered 502: delivered in plaintext')

        # usage
        r = remote('smtp:[127.0.0.1]:1', '', ['--tls', 'sometimes'])
        is_(r.rc, 100, 'an unknown policy is exit 100')


run(main, timeout=240)
