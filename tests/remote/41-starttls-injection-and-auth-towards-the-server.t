#!/usr/bin/python3
# Proves:
# - the mirror of the STARTTLS injection probe: a server that sends more
#   bytes after its "220" to STARTTLS, in the same packet, does not have
#   them read as a reply inside TLS: they are dropped and logged, and
#   the dialogue inside TLS stays in step;
# - AUTH towards the server from the route's auth= file, over TLS only:
#   PLAIN when offered, LOGIN otherwise, a password with a colon; a wrong
#   password, a server without AUTH, a missing file, a session without
#   TLS are each T 4.7.x with nothing delivered, and the password is
#   never sent in plaintext nor written to stdout or stderr.
import os, ssl, sys
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', 'tls'))
from remotelib import *
from dcrtest import *
from tlstest import Certs

MSG = b'Subject: auth\n\nhello\n'
SECRET = 's3cret:with colon'


def server_ctx(certs):
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    c.load_cert_chain(certs.path('ec.pem'), certs.path('ec.key'))
    return c


def injector(ctx, seen):
    """A server that answers STARTTLS with '220' and a fake reply in one
    write, then speaks TLS; inside TLS it is an honest server."""
    def handler(c):
        c.reply('220 inject.test ESMTP')
        if not (c.readline() or b'').upper().startswith(b'EHLO'):
            return
        c.reply('250-inject.test\r\n250-STARTTLS\r\n250 8BITMIME')
        if (c.readline() or b'').upper() != b'STARTTLS':
            return
        c.send(b'220 2.0.0 ready\r\n250 2.0.0 Ok: queued as INJECTED\r\n')
        seen['tls'] = True

        def data(c):
            seen['data'] = c.readdata()
            return c.reply('250 2.0.0 Ok: queued as REAL')
        tls_dialogue(c, ctx, '250-inject.test inside\r\n250 8BITMIME', data, seen.setdefault('inside', []))
    return handler


def main():
    with Certs() as certs, TempDir() as td:
        m = td.write('m', MSG)
        ctx = server_ctx(certs)

        # -- injection mirror
        seen = {}
        with FakeSMTP(handler=injector(ctx, seen)) as fk:
            r = remote(fk.target, job('I1', m, 'a@example.com', 'b@example.net'), ['-T', '10', '--tls', 'encrypt'])
            v = r.verdicts()
            ok(seen.get('tls'), 'the server went into TLS')
            is_(v[0][2:] if v else None, ('D', '250 2.0.0 Ok: queued as REAL'),
                'delivered, with the reply from inside TLS, not the injected one')
            like(r.err, rb'event=starttls-extra peer=[^ ]+ action=dropped', 'the extra bytes were dropped and logged')
            is_([l.split(b' ')[0].upper() for l in seen.get('inside', [])], [b'EHLO', b'MAIL', b'RCPT', b'DATA', b'QUIT'],
                'inside TLS: a new EHLO, then the transaction, in step')
            is_(seen.get('data'), MSG.replace(b'\n', b'\r\n'), 'the message arrived whole')

        # -- AUTH
        auth = td.write('auth', 'relay:%s\n' % SECRET, 0o600)
        users = {'relay': SECRET}

        def send(sink, extra, qid='A1'):
            return remote(sink.target, job(qid, m, 'a@example.com', 'b@example.net'),
                          ['-T', '10', '-d', '0'] + list(extra))

        def clean(r, name):
            ok(SECRET.encode() not in r.out + r.err and b'czNjcmV0' not in r.err, name + ': the password is in no output')

        with AioSink(tls=ctx, users=users) as sink:
            r = send(sink, ['--tls', 'encrypt', '--auth', auth])
            is_(r.verdicts()[0][2] if r.verdicts() else None, 'D', 'AUTH PLAIN over TLS: delivered')
            is_(sink.auths, [('PLAIN', 'relay', True)], '  PLAIN, with the user of the file and the password after its first colon')
            is_(sink.envelopes[-1]['user'] if sink.envelopes else None, 'relay', '  the message came from the authenticated session')
            like(r.err, rb'event=connect .* auth=1', '  the log says auth=1')
            clean(r, 'PLAIN')

            r = send(sink, ['--auth', auth])
            is_(r.verdicts()[0][2] if r.verdicts() else None, 'D', 'auth= with the default tls=may: STARTTLS, then AUTH')

            n = len(sink.envelopes)
            bad = td.write('bad', 'relay:wrong\n', 0o600)
            r = send(sink, ['--tls', 'encrypt', '--auth', bad])
            v = r.verdicts()
            is_(v[0][2] if v else None, 'T', 'a wrong password: T')
            like(v[0][3] if v else '', r'^451 4\.7\.8 .*refused our AUTH: 535', '  451 4.7.8 with the server reply')
            is_(len(sink.envelopes), n, '  nothing delivered')

            a0 = len(sink.auths)
            r = send(sink, ['--tls', 'none', '--auth', auth])
            v = r.verdicts()
            is_(v[0][2] if v else None, 'T', 'auth= with tls=none: T')
            like(v[0][3] if v else '', r'^451 4\.7\.0 .*auth= and the session is not encrypted', '  4.7.0, not encrypted')
            is_(len(sink.auths), a0, '  and the password was never sent')
            clean(r, 'tls=none')

            r = send(sink, ['--tls', 'encrypt', '--auth', td.path('nothere')])
            v = r.verdicts()
            like(v[0][3] if v else '', r'^451 4\.7\.0 .*cannot read the auth= file', 'a missing auth= file: T 4.7.0')
            empty = td.write('empty', '\n', 0o600)
            r = send(sink, ['--tls', 'encrypt', '--auth', empty])
            v = r.verdicts()
            like(v[0][3] if v else '', r'^451 4\.7\.0 .*no user:password line', 'an auth= file without user:password: T 4.7.0')
            is_(len(sink.envelopes), n, 'none of these delivered')

        with AioSink(tls=ctx, users=users, exclude=['PLAIN']) as sink:
            r = send(sink, ['--tls', 'encrypt', '--auth', auth])
            is_(r.verdicts()[0][2] if r.verdicts() else None, 'D', 'AUTH LOGIN when PLAIN is not offered: delivered')
            is_(sink.auths, [('LOGIN', 'relay', True)], '  LOGIN')
            clean(r, 'LOGIN')

        # aiosmtpd says a bare "AUTH" when every mechanism is excluded
        with AioSink(tls=ctx, users={}, exclude=['PLAIN', 'LOGIN']) as sink:
            r = send(sink, ['--tls', 'encrypt', '--auth', auth])
            v = r.verdicts()
            like(v[0][3] if v else '', r'^451 4\.7\.0 .*neither AUTH PLAIN nor AUTH LOGIN', 'a server without AUTH: T 4.7.0')
            is_(len(sink.envelopes), 0, '  nothing delivered')

        with AioSink() as sink:
            r = send(sink, ['--auth', auth])
            v = r.verdicts()
            like(v[0][3] if v else '', r'^451 4\.7\.0 .*not encrypted', 'auth= and a server without STARTTLS (tls=may): T, no plaintext password')
            is_(len(sink.envelopes), 0, '  nothing delivered')


run(main, timeout=180)
