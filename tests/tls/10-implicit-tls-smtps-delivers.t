#!/usr/bin/python3
# Proves: dcr-tlsd without -s (implicit TLS, port 465 style) hands
# dcr-smtpd a TLS 1.2 session: smtplib.SMTP_SSL verifying the test CA
# sends a message with an ECDSA and with an RSA certificate; the child
# sees SSL_PROTOCOL=TLSv1.2, SSL_CIPHER (ECDHE, AEAD), the client's SNI
# in SSL_TLS_SNI_SERVERNAME, SMTP_PROTO=ESMTPS; the Received field says
# "(using TLSv1.2 with cipher ...)" and "with ESMTPS"; no STARTTLS is
# offered inside TLS (STARTTLS gets 503); openssl s_client -connect
# works too, and the CERTFILE/KEYFILE environment stands in for -c/-k.
import os, smtplib, sys
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
from tlstest import *
from dcrtest import *

AEAD = r'^ECDHE-(ECDSA|RSA)-(AES128-GCM-SHA256|AES256-GCM-SHA384|CHACHA20-POLY1305)$'


def send_ssl(gw, certs, rcpt, sni):
    ctx = certs.ctx(hostname=True)
    s = smtplib.SMTP_SSL(timeout=10, context=ctx)
    s._host = sni   # smtplib verifies the name it connected to: say which
    s.connect(gw.host, gw.port)
    code, text = s.ehlo('client.example.test')
    refused = s.sendmail('a@client.example.test', [rcpt],
                         b'Subject: over TLS\r\n\r\nhello\r\n')
    cert = s.sock.getpeercert()
    s.quit()
    return code, text.decode(), refused, cert


def main():
    with Certs() as certs:
        for kind, keyalg in (('ec', 'ECDSA'), ('rsa', 'RSA')):
            with TlsGateway(certs, tlsd_opts=certs.tlsd(kind)) as gw:
                code, text, refused, cert = send_ssl(gw, certs, 'u@example.test', 'mx.example.test')
                is_((code, refused), (250, {}), '%s: SMTP_SSL, EHLO 250 and the message accepted' % kind)
                ok('STARTTLS' not in text, '  no STARTTLS offered inside TLS')
                is_(dict(x[0] for x in cert['subject']).get('commonName'), 'mx.example.test',
                    '  the certificate verified against the test CA, for mx.example.test')
                got = gw.sunk()
                if is_(len(got), 1, '  the sink got one message'):
                    env, msg = got[0]['env'], got[0]['message']
                    is_(env.get('SSL_PROTOCOL'), 'TLSv1.2', '  SSL_PROTOCOL=TLSv1.2')
                    like(env.get('SSL_CIPHER', ''), AEAD, '  SSL_CIPHER is ECDHE with an AEAD')
                    ok(keyalg in env.get('SSL_CIPHER', ''), '  ... signed with the %s key' % keyalg)
                    is_(env.get('SSL_TLS_SNI_SERVERNAME'), 'mx.example.test', '  SSL_TLS_SNI_SERVERNAME')
                    is_(env.get('SMTP_PROTO'), 'ESMTPS', '  SMTP_PROTO=ESMTPS')
                    ok('SMTP_AUTHUSER' not in env, '  no SMTP_AUTHUSER')
                    like(msg, r'^Received: from client\.example\.test \(\[127\.0\.0\.1\]\)\n'
                              r'\t\(using TLSv1\.2 with cipher ' + env.get('SSL_CIPHER', 'x') +
                         r'\)\n\tby mx\.dcrtest \(dcrouter\) with ESMTPS id ',
                         '  Received: (using TLSv1.2 with cipher ...) ... with ESMTPS')
                    ok(msg.endswith(b'Subject: over TLS\r\n\r\nhello\r\n') or
                       msg.endswith(b'Subject: over TLS\n\nhello\n'), '  the message body arrived whole')
                like(gw.log(), r'dcr-tlsd: event=tls ip=127\.0\.0\.1 sni=mx\.example\.test cipher=ECDHE-%s-\S+ ms=\d+'
                     % keyalg, '  dcr-tlsd logged event=tls with sni, cipher, ms')

                # a raw session: STARTTLS inside TLS, and no SNI at all
                c = tls_client(gw, certs.ctx())
                try:
                    like(c.greeting[1], r'^220 mx\.dcrtest ESMTP', '%s: no SNI: banner over TLS' % kind)
                    c.cmd('EHLO client.example.test')
                    c.send('STARTTLS\r\n')
                    c.expect('503 5.5.1', '  STARTTLS inside implicit TLS: 503 5.5.1')
                    c.send('QUIT\r\n')
                    c.expect('221', '  QUIT: 221')
                    ok(c.closed(3), '  then the connection closes')
                finally:
                    c.close()

                rc, out = s_client(gw, '-CAfile', certs.ca, '-verify_return_error', '-brief',
                                   '-servername', 'mx.example.test',
                                   input=b'EHLO s.client.test\nQUIT\n')
                ok(rc == 0 and 'Protocol version: TLSv1.2' in out and 'Verification: OK' in out,
                   '%s: openssl s_client -connect: TLSv1.2, verified' % kind) or diag(out[-1500:])
                like(out, r'(?m)^220 mx\.dcrtest ESMTP dcrouter', '  banner read by s_client')
                like(out, r'(?m)^221 ', '  QUIT answered')
                ok(gw.wait_idle(5), '  every session process has gone')
                is_(gw.crashes(), [], '  no crash in the log')

        # CERTFILE and KEYFILE from the environment (ucspi-ssl's way)
        with TlsGateway(None, tlsd_opts=[], env={'CERTFILE': certs.path('rsa.pem'),
                                                  'KEYFILE': certs.path('rsa.key')}) as gw:
            c = tls_client(gw, certs.ctx())
            try:
                cert = c.sock.obj.getpeercert()
                ok(c.greeting[0] == 220 and 'RSA' in c.sock.obj.cipher()[0],
                   'CERTFILE/KEYFILE in the environment: the RSA certificate is served')
                ok(cert is not None, '  and verifies')
            finally:
                c.close()

        # PEM files with CR LF line ends (made on Windows): BearSSL 0.6
        # keeps "-----" in the object name there; dcr_pem_read strips it
        for f in ('ec.pem', 'ec.key'):
            with open(certs.path(f), 'rb') as i, open(certs.path('crlf-' + f), 'wb') as o:
                o.write(i.read().replace(b'\r\n', b'\n').replace(b'\n', b'\r\n'))
        with TlsGateway(certs, tlsd_opts=['-c', certs.path('crlf-ec.pem'), '-k', certs.path('crlf-ec.key')]) as gw:
            c = tls_client(gw, certs.ctx())
            try:
                ok(c.greeting[0] == 220 and c.sock.obj.getpeercert() is not None,
                   'certificate and key in CR LF PEM files: served and verified')
            finally:
                c.close()


run(main, 60)
