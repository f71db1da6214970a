#!/usr/bin/python3
# Proves: the routes file's tls=, ca= and auth= reach the agent through
# dcr-qrun: a relay through an aiosmtpd downstream that requires
# STARTTLS and AUTH is delivered with tls=verify (our CA by ca=, the
# host name checked through dcr-mx -A) and the route's credentials; the
# same downstream under a name its certificate does not carry, and a
# downstream without TLS under tls=encrypt, keep the mail queued with
# 4.7.x in the envelope, never sent in plaintext; an smtps: target
# (implicit TLS) is delivered over TLS; the password is in no log and on
# no command line (ps).
import os, ssl, subprocess, sys, time
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', 'tls'))
from deliverlib import *
from tlstest import Certs

SECRET = 'relay-pass-1234'


def main():
    with Certs() as certs:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(certs.path('ec.pem'), certs.path('ec.key'))
        authf = certs.path('relay.auth')
        with open(authf, 'w') as f:
            f.write('relay:%s\n' % SECRET)
        os.chmod(authf, 0o600)
        # a fake dcr-mx -A: mx.example.test and wrong.example.test are 127.0.0.1
        fakebin = certs.path('bin')
        os.makedirs(fakebin)
        with open(os.path.join(fakebin, 'dcr-mx'), 'w') as f:
            f.write('#!/bin/sh\nprintf "0\\t%s\\t127.0.0.1\\n" "$2"\n')
        os.chmod(os.path.join(fakebin, 'dcr-mx'), 0o755)
        path = fakebin + ':' + os.path.dirname(bin_path('dcr-qrun')) + ':' + os.environ.get('PATH', '/usr/bin:/bin')

        with AioSink(tls=ctx, require=True, users={'relay': SECRET}) as tlssink, AioSink() as plain, \
                AioSink(implicit=ctx) as smtps:
            routes = ('good.test smtp:mx.example.test:%d tls=verify ca=%s auth=%s\n'
                      'wrong.test smtp:wrong.example.test:%d tls=verify ca=%s\n'
                      'plain.test %s tls=encrypt\n'
                      'smtps.test smtps:[127.0.0.1]:%d tls=verify ca=%s\n'
                      % (tlssink.port, certs.ca, authf, tlssink.port, certs.ca, plain.target, smtps.port, certs.ca))
            with Relay(routes, qrun_env={'PATH': path}) as gw:
                q1 = gw.send('a@src.test', ['bob@good.test'], b'Subject: verified\r\n\r\nhello\r\n')
                q2 = gw.send('a@src.test', ['carol@wrong.test'], b'Subject: wrong name\r\n\r\nhello\r\n')
                q3 = gw.send('a@src.test', ['dave@plain.test'], b'Subject: no tls\r\n\r\nhello\r\n')
                gw.send('a@src.test', ['erin@smtps.test'], b'Subject: smtps\r\n\r\nhello\r\n')
                ok(wait(lambda: smtps.envelopes, 15), 'an smtps: route: delivered')
                ok(smtps.envelopes and smtps.envelopes[0]['tls'], '  over TLS from the first byte')
                ok(wait(lambda: tlssink.envelopes, 15), 'tls=verify auth=: delivered through the downstream that requires both')
                e = tlssink.envelopes[0] if tlssink.envelopes else {}
                ok(e.get('tls'), '  over TLS')
                is_(e.get('user'), 'relay', '  authenticated as the auth= file says')
                is_(e.get('rcpt_tos'), ['bob@good.test'], '  the right recipient')
                ok(wait(lambda: q1 not in gw.queued(), 10), '  and removed from the queue')
                env2 = wait(lambda: (gw.envelope(q2) or '') if '4.7.5' in (gw.envelope(q2) or '') else '', 15)
                like(env2, r'rcpt\tpending\t\d+\t\d+\tcarol@wrong.test\t.*451 4\.7\.5 TLS handshake with wrong\.example\.test\[127\.0\.0\.1\]:\d+: ',
                     'a certificate without the name: pending with 451 4.7.5 in the envelope')
                env3 = wait(lambda: (gw.envelope(q3) or '') if '4.7.4' in (gw.envelope(q3) or '') else '', 15)
                like(env3, r'rcpt\tpending\t\d+\t\d+\tdave@plain.test\t.*451 4\.7\.4 .*STARTTLS not offered',
                     'tls=encrypt to a server without STARTTLS: pending with 451 4.7.4')
                is_(len(plain.envelopes), 0, '  and nothing sent in plaintext')
                is_(len(tlssink.envelopes), 1, 'the wrong-name message never reached the downstream')
                ps = subprocess.run(['ps', '-eo', 'args'], stdout=subprocess.PIPE, timeout=10).stdout.decode()
                like(ps, r'dcr-remote .*--auth %s' % authf, 'the agent is given the file name')
                ok(SECRET not in ps, '  never the password')
                ok(SECRET not in gw.qlog(), 'the password is in no log')
                like(gw.qlog(), r'event=delivered id=%s rcpt=bob@good.test' % q1, 'the delivery is logged')


run(main, timeout=120)
