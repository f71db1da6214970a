#!/usr/bin/python3
# Proves, for dcr-tlsd:
# - SIGTERM from dcr-tcpd reaches dcr-smtpd behind it: the client gets
#   "421 4.3.2" through TLS (implicit, and after STARTTLS), not a bare EOF;
# - a client that stops reading (replies pile up) does not hold the
#   session for ever: -t ends it, and every process goes;
# - the exit code: the program's own (7 here); 111 for a failed handshake;
# - the environment: CERTFILE/KEYFILE never reach the program; in
#   STARTTLS mode an inherited SSL_PROTOCOL does not either (it would make
#   dcr-smtpd offer AUTH in plaintext); SIGPIPE is not ignored by it;
# - a 4096-bit RSA key with its certificate is not called a mismatch;
# - a key that is not the certificate's: the failed handshake is followed
#   by a log line that says why;
#   -k without -c is exit 100.
import os, re, signal, socket, ssl, subprocess, sys, threading, time
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from tlstest import *
from dcrtest import *


def tlsd(certs, args, prog, env=None, client=None, timeout=15):
    """dcr-tlsd ARGS PROG on one end of a socketpair; client(sock) talks
    on the other end. Returns (exit code, stderr, what client returned)."""
    a, b = socket.socketpair()
    e = dict(os.environ)
    e.update(env or {})
    p = subprocess.Popen([bin_path('dcr-tlsd')] + args + prog, stdin=a, stdout=a,
                         stderr=subprocess.PIPE, env=e)
    a.close()
    got = None
    try:
        b.settimeout(timeout)
        got = client(b) if client else None
    finally:
        b.close()
        try:
            err = p.communicate(timeout=timeout)[1]
        except subprocess.TimeoutExpired:
            p.kill()
            err = p.communicate()[1]
    return p.returncode, err.decode('utf-8', 'replace'), got


def tls_read_all(ctx):
    def client(sock):
        return read_all(ctx.wrap_socket(sock, server_hostname='mx.example.test'))
    return client


def main():
    with Certs() as c:
        ctx = c.ctx()

        # -- SIGTERM, implicit TLS
        with TlsGateway(c, tlsd_opts=[]) as gw:
            cl = tls_client(gw, ctx)
            is_(cl.cmd('EHLO client.test')[0], 250, 'implicit TLS session up')
            os.kill(gw.proc.pid, signal.SIGTERM)     # dcr-tcpd only, as s6 does
            r = cl.reply()
            is_(r[0], 421, 'SIGTERM to dcr-tcpd: the client gets 421 through TLS')
            like(r[1], r'4\.3\.2', '  4.3.2 shutting down')
            cl.close()
            ok(gw.wait_idle(10), '  and every process goes')
            unlike = [l for l in gw.log().splitlines() if 'status=signal' in l]
            is_(unlike, [], '  no session ended by a signal')

        # -- SIGTERM after STARTTLS
        with TlsGateway(c) as gw:
            cl = gw.raw()
            cl.cmd('EHLO client.test')
            starttls(cl, ctx)
            is_(cl.cmd('EHLO client.test')[0], 250, 'STARTTLS session up')
            os.kill(gw.proc.pid, signal.SIGTERM)
            is_(cl.reply()[0], 421, 'SIGTERM after STARTTLS: 421 through TLS')
            cl.close()
            ok(gw.wait_idle(10), '  and every process goes')

        # -- a client that stops reading
        with TlsGateway(c, tlsd_opts=['-t', '3']) as gw:
            cl = tls_client(gw, ctx)
            cl.cmd('EHLO client.test')
            stop = threading.Event()

            def flood():
                try:
                    for _ in range(400):
                        if stop.is_set():
                            return
                        cl.sock.sendall(b'NOOP\r\n' * 2000)
                except (OSError, ssl.SSLError, socket.timeout):
                    pass
            t = threading.Thread(target=flood, daemon=True)
            t.start()
            time.sleep(1)
            ok(gw.sessions(), 'a flooding client that reads nothing: the session is there')
            ok(gw.wait_idle(20), 'dcr-tlsd -t 3 ends it while the client keeps its socket open')
            like(gw.log(), r'event=tls-timeout', '  logged as event=tls-timeout')
            stop.set()
            cl.close()

        # -- exit codes and the environment, dcr-tlsd run by hand
        rc, err, out = tlsd(c, c.tlsd(), ['/bin/sh', '-c', 'echo hello ; exit 7'], client=tls_read_all(ctx))
        is_(out, b'hello\n', 'the program speaks through TLS')
        is_(rc, 7, 'its exit code is dcr-tlsd\'s')

        def garbage(sock):
            sock.sendall(b'this is not a ClientHello\r\n' * 10)
            return read_all(sock)
        rc, err, out = tlsd(c, c.tlsd(), ['/bin/true'], client=garbage)
        is_(rc, 111, 'a failed handshake: exit 111')
        like(err, r'event=tls-fail ', '  logged')
        # a 4096-bit RSA key with its own certificate: a failed handshake
        # is not blamed on the key (BearSSL 0.6's modulus gives 0 there)
        k4, p4 = c.path('rsa4096.key'), c.path('rsa4096.pem')
        subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:4096', '-nodes', '-subj', '/CN=mx.example.test',
                        '-keyout', k4, '-out', p4, '-days', '2'], capture_output=True, check=True)
        def ecdsa_only(sock):   # the certificate is chosen, then no suite fits it
            cx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            cx.check_hostname = False
            cx.verify_mode = ssl.CERT_NONE
            cx.maximum_version = ssl.TLSVersion.TLSv1_2
            cx.set_ciphers('ECDHE-ECDSA-AES128-GCM-SHA256')
            try:
                cx.wrap_socket(sock, server_hostname='mx.example.test')
            except (ssl.SSLError, OSError):
                pass
        rc, err, out = tlsd(c, ['-c', p4, '-k', k4], ['/bin/true'], client=ecdsa_only)
        ok(rc == 111 and 'event=tls-fail' in err and 'not the certificate' not in err,
           '4096-bit RSA key and its certificate: a failed handshake is not called a key mismatch')

        env = {'CERTFILE': c.path('ec.pem'), 'KEYFILE': c.path('ec.key'), 'SSL_PROTOCOL': 'TLSv1.2', 'SSL_CIPHER': 'X'}
        show = ['/bin/sh', '-c', 'env ; grep ^SigIgn /proc/self/status']
        rc, err, out = tlsd(c, [], show, env=env, client=tls_read_all(ctx))
        text = (out or b'').decode('utf-8', 'replace')
        like(text, r'(?m)^SSL_PROTOCOL=TLSv1\.2$', 'implicit, certificate from CERTFILE/KEYFILE: TLS, and SSL_PROTOCOL from the handshake')
        ok('CERTFILE=' not in text and 'KEYFILE=' not in text, '  CERTFILE and KEYFILE do not reach the program')
        ok('SSL_CIPHER=X' not in text, '  the inherited SSL_CIPHER is replaced')
        m = re.search(r'SigIgn:\s*([0-9a-f]+)', text)
        ok(m and not int(m.group(1), 16) & (1 << (signal.SIGPIPE - 1)), '  SIGPIPE is not ignored by the program')

        rc, err, out = tlsd(c, ['-s'] + c.tlsd(), show, env=env, client=read_all)
        text = (out or b'').decode('utf-8', 'replace')
        like(text, r'(?m)^SSLCTLFD=\d+$', 'STARTTLS mode: the program has SSLCTLFD')
        ok('SSL_PROTOCOL=' not in text and 'SSL_CIPHER=' not in text, '  and no inherited SSL_PROTOCOL or SSL_CIPHER before the handshake')
        ok('CERTFILE=' not in text and 'KEYFILE=' not in text, '  nor CERTFILE, KEYFILE')

        # -- key and certificate that do not go together
        with TlsGateway(c, tlsd_opts=['-c', c.path('ec.pem'), '-k', c.path('rsa.key')]) as gw:
            try:
                cl = tls_client(gw, ctx)
                cl.close()
                ok(False, 'a key that is not the certificate\'s: the handshake fails')
            except (ssl.SSLError, OSError):
                ok(True, 'a key that is not the certificate\'s: the handshake fails')
            ok(wait_for(lambda: 'not the certificate' in gw.log(), 5), '  event=tls-cert-error says why')
            like(gw.log(), r'event=tls-fail .*\n.*event=tls-cert-error ip=127\.0\.0\.1 error="the private key is not', '  after the tls-fail line of the failed handshake')

        p = subprocess.run([bin_path('dcr-tlsd'), '-k', c.path('ec.key'), '-d', c.dir, 'true'],
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=10,
                           env={k: v for k, v in os.environ.items() if k not in ('CERTFILE', 'KEYFILE')})
        is_(p.returncode, 100, '-k without -c: exit 100')
        like(p.stderr, rb'-k needs -c', '  saying so')


run(main, timeout=200)
