#!/usr/bin/python3
# Proves: dcr-tlsd -d DIR picks the certificate by the client's SNI:
# DIR/NAME.pem (its key in NAME.key), then DIR/*.PARENT.pem (one label
# only, key inside the .pem, an RSA one here), then DIR/default.pem;
# names are compared in lower case; no SNI gets the default; with -c/-k
# too, the -c certificate comes before default.pem. The files are read
# for each connection: a renewed file is served by the next connection,
# a removed one falls back to the wildcard, without a restart. A file
# that cannot be used is logged with its name, and other names still
# work.
import os, shutil, ssl, sys
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
from tlstest import *
from dcrtest import *


def cn_of(gw, certs, sni, hostname=False):
    """(CN of the certificate served for sni, cipher) or (None, error)"""
    try:
        c = tls_client(gw, certs.ctx(hostname=hostname), sni, banner=False)
    except (ssl.SSLError, OSError) as e:
        return None, str(e)
    try:
        cert = c.sock.obj.getpeercert()
        return dict(x[0] for x in cert['subject']).get('commonName'), c.sock.obj.cipher()[0]
    finally:
        c.close()


def main():
    with Certs() as certs:
        d = certs.path('sni')
        certs.make('a.example.test', 'a.example.test', type='ec', dir='sni')
        certs.make('*.example.test', '*.example.test', type='rsa', inkey=True, dir='sni')
        certs.make('default', 'default.example.test', type='ec', inkey=True, dir='sni')
        ok(not os.path.exists(os.path.join(d, '*.example.test.key')), 'the wildcard has its key in its .pem')
        with TlsGateway(certs, tlsd_opts=['-d', d]) as gw:
            pid = gw.proc.pid
            for sni, want in (('a.example.test', 'a.example.test'),
                              ('A.Example.TEST', 'a.example.test'),
                              ('b.example.test', '*.example.test'),
                              ('x.b.example.test', 'default.example.test'),
                              ('example.test', 'default.example.test'),
                              ('other.test', 'default.example.test'),
                              (None, 'default.example.test')):
                cn, cipher = cn_of(gw, certs, sni)
                is_(cn, want, 'SNI %s: %s' % (sni or 'none', want)) or diag(cipher)
            cn, cipher = cn_of(gw, certs, 'b.example.test')
            like(cipher, r'^ECDHE-RSA-', 'the wildcard (an RSA key) signs with RSA')
            cn, cipher = cn_of(gw, certs, 'b.example.test', hostname=True)
            is_(cn, '*.example.test', 'b.example.test verifies with hostname checking (wildcard SAN)')
            cn, cipher = cn_of(gw, certs, 'a.example.test', hostname=True)
            is_(cn, 'a.example.test', 'a.example.test verifies with hostname checking')
            like(gw.log(), r'event=tls ip=127\.0\.0\.1 sni=b\.example\.test cipher=ECDHE-RSA-',
                 'event=tls logs the SNI')

            # renewed: a new certificate for a.example.test, moved into place
            new = certs.make('a.example.test', 'a.example.test', cn='renewed a.example.test',
                             type='rsa', dir='new')
            os.rename(new[:-4] + '.key', os.path.join(d, 'a.example.test.key'))
            os.rename(new, os.path.join(d, 'a.example.test.pem'))
            cn, cipher = cn_of(gw, certs, 'a.example.test')
            is_(cn, 'renewed a.example.test', 'a renewed file: the next connection gets it')
            like(cipher, r'^ECDHE-RSA-', '  its RSA key with it')
            os.unlink(os.path.join(d, 'a.example.test.pem'))
            os.unlink(os.path.join(d, 'a.example.test.key'))
            cn, cipher = cn_of(gw, certs, 'a.example.test')
            is_(cn, '*.example.test', 'a removed file: the wildcard covers a.example.test')
            is_(gw.proc.pid, pid, '  the same dcr-tcpd all along (no restart)')
            is_(gw.log().count('dcr-tcpd: event=start'), 1, '  started once')

            # a file that cannot be used
            with open(os.path.join(d, 'broken.example.test.pem'), 'w') as f:
                f.write('-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n')
            cn, err = cn_of(gw, certs, 'broken.example.test')
            ok(cn in (None, 'default.example.test'),
               'a broken NAME.pem: no certificate for another name but the default (%s)' % (cn or err))
            like(gw.log(), r'event=tls-cert-error file=\S*/sni/broken\.example\.test\.pem keyfile=\S+ error=',
                 '  logged as event=tls-cert-error with the file')
            cn, cipher = cn_of(gw, certs, 'c.example.test')
            is_(cn, '*.example.test', '  other names are still served')
            ok(gw.wait_idle(5), 'every session process has gone')
            is_(gw.crashes(), [], 'no crash in the log')

        # -c/-k with -d: the -c certificate for names with no file
        with TlsGateway(certs, tlsd_opts=['-d', d] + certs.tlsd('rsa')) as gw:
            cn, cipher = cn_of(gw, certs, None)
            ok(cn == 'mx.example.test' and cipher.startswith('ECDHE-RSA-'),
               '-d with -c: no SNI gets the -c certificate, not default.pem (%s, %s)' % (cn, cipher))
            cn, cipher = cn_of(gw, certs, 'q.example.test')
            is_(cn, '*.example.test', '  a name with a file still gets its file')

        # no file at all for the name, no default: the handshake fails, logged
        os.unlink(os.path.join(d, 'default.pem'))
        with TlsGateway(certs, tlsd_opts=['-d', d]) as gw:
            cn, err = cn_of(gw, certs, 'other.test')
            is_(cn, None, 'no certificate for the name and no default: the handshake fails')
            like(gw.log(), r'event=tls-no-cert ip=127\.0\.0\.1 sni=other\.test', '  logged as event=tls-no-cert')


run(main, 60)
