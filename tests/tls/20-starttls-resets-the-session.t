#!/usr/bin/python3
# Proves: under dcr-tlsd -s, dcr-smtpd offers STARTTLS (and, with -a,
# no AUTH) in plaintext; after STARTTLS and the handshake the session
# starts again (RFC 3207 4.2): no EHLO yet (MAIL: 503), no transaction
# (the MAIL given before STARTTLS is gone: RCPT 503), STARTTLS no
# longer offered, AUTH offered, a second STARTTLS 503; smtplib
# (starttls, login, sendmail), openssl s_client -starttls smtp and
# swaks --tls --auth all work and the message says ESMTPSA and the
# cipher; STARTTLS with an argument is 501, and 502 where dcr-smtpd
# runs without dcr-tlsd -s.
import os, smtplib, sys
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
from tlstest import *
from dcrtest import *


def main():
    with Certs() as certs, TlsGateway(certs, checker=checker(certs)) as gw:
        c = gw.raw()
        try:
            r = c.cmd('EHLO client.example.test')
            kw = ehlo_keywords(r)
            ok(r[0] == 250 and 'STARTTLS' in kw, 'plaintext EHLO lists STARTTLS') or diag(r)
            ok('AUTH' not in kw, '  and not AUTH (no AUTH_WITHOUT_TLS)')
            c.send('STARTTLS now\r\n')
            c.expect('501', 'STARTTLS with an argument: 501')
            c.send('MAIL FROM:<before@client.example.test>\r\n')
            c.expect('250', 'a MAIL before STARTTLS: 250')
            r = starttls(c, certs.ctx(hostname=True), 'mx.example.test')
            like(r[1], r'^220 2\.0\.0', 'STARTTLS: 220 2.0.0, then the handshake verifies')
            is_(c.sock.obj.version(), 'TLSv1.2', '  TLSv1.2')
            c.send('MAIL FROM:<a@client.example.test>\r\n')
            c.expect('503', 'MAIL right after the handshake, no new EHLO: 503')
            r = c.cmd('EHLO client.example.test')
            kw = ehlo_keywords(r)
            ok(r[0] == 250 and 'STARTTLS' not in kw, 'EHLO over TLS: no STARTTLS') or diag(r)
            ok('AUTH' in kw, '  AUTH offered') or diag(r)
            like(r[1], r'(?m)^250[- ]AUTH PLAIN LOGIN XOAUTH2 OAUTHBEARER$', '  AUTH PLAIN LOGIN XOAUTH2 OAUTHBEARER')
            c.send('RCPT TO:<u@example.test>\r\n')
            c.expect('503', 'the MAIL given before STARTTLS is forgotten: RCPT 503')
            c.send('STARTTLS\r\n')
            c.expect('503 5.5.1', 'a second STARTTLS: 503 5.5.1')
            c.send('MAIL FROM:<a@client.example.test>\r\n')
            c.expect('250', 'MAIL after the new EHLO: 250')
            c.send('RCPT TO:<u@example.test>\r\n')
            c.expect('250', 'RCPT to a local domain: 250')
            c.send('QUIT\r\n')
            c.expect('221', 'QUIT over TLS: 221')
        finally:
            c.close()
        like(gw.log(), r'dcr-smtpd: event=starttls ip=127\.0\.0\.1 protocol=TLSv1\.2 cipher=ECDHE-ECDSA-',
             'dcr-smtpd logged event=starttls with protocol and cipher')

        # smtplib: starttls, login, a message to a foreign domain
        s = smtplib.SMTP(gw.host, gw.port, timeout=10)
        try:
            s.ehlo('client.example.test')
            code, _ = s.starttls(context=certs.ctx())
            is_(code, 220, 'smtplib: starttls 220')
            s.ehlo('client.example.test')
            code, _ = s.login('alice', PASSWORDS['alice'])
            is_(code, 235, 'smtplib: login (PLAIN) 235')
            refused = s.sendmail('alice@client.example.test', ['friend@other.test'],
                                 b'Subject: submitted\r\n\r\nover STARTTLS\r\n')
            is_(refused, {}, 'smtplib: relayed to other.test')
            s.quit()
        finally:
            s.close()
        got = gw.sunk()
        if is_(len(got), 1, 'the sink got it'):
            env, msg = got[0]['env'], got[0]['message']
            is_((env.get('SMTP_PROTO'), env.get('SMTP_AUTHUSER'), env.get('SSL_PROTOCOL')),
                ('ESMTPSA', 'alice', 'TLSv1.2'), '  SMTP_PROTO=ESMTPSA SMTP_AUTHUSER=alice SSL_PROTOCOL=TLSv1.2')
            like(msg, r'\(using TLSv1\.2 with cipher ECDHE-ECDSA-[A-Z0-9-]+\)\n\tby mx\.dcrtest \(dcrouter\) with ESMTPSA id ',
                 '  Received: using TLSv1.2 with cipher ... with ESMTPSA')

        rc, out = s_client(gw, '-starttls', 'smtp', '-CAfile', certs.ca, '-verify_return_error',
                           '-brief', input=b'EHLO s.client.test\nQUIT\n')
        ok(rc == 0 and 'Protocol version: TLSv1.2' in out and 'Verification: OK' in out,
           'openssl s_client -starttls smtp: TLSv1.2, verified') or diag(out[-1500:])
        like(out, r'(?m)^250-AUTH PLAIN LOGIN', '  EHLO over TLS lists AUTH')
        like(out, r'(?m)^221 ', '  QUIT answered')

        for mech in ('PLAIN', 'LOGIN'):
            rc, out = swaks(gw, '--timeout', '15', '--tls', '--auth', mech, '--auth-user', 'bob@example.test',
                            '--auth-password', PASSWORDS['bob@example.test'], '--to', 'x@other.test',
                            '--from', 'bob@example.test')
            ok(rc == 0 and '235 2.7.0' in out, 'swaks --tls --auth %s: 235' % mech) or diag(out[-2000:])
            like(out, r'<~  250 2\.0\.0 Ok: queued as ', '  queued, over TLS (swaks <~)')
        got = gw.sunk()
        is_([g['env'].get('SMTP_AUTHUSER') for g in got[1:]], ['bob@example.test'] * 2,
            'swaks messages carry SMTP_AUTHUSER=bob@example.test')
        ok(gw.wait_idle(5), 'every session process has gone')
        is_(gw.crashes(), [], 'no crash in the log')

    # dcr-smtpd with no dcr-tlsd -s in front: no STARTTLS
    with Gateway() as gw:
        r = session(gw, 'STARTTLS')
        like(r[0][1], r'^502 5\.5\.1', 'without dcr-tlsd -s: STARTTLS 502 5.5.1')


run(main, 60)
