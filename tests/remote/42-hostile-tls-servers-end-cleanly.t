#!/usr/bin/python3
# Proves: a server that misbehaves around STARTTLS never hangs or crashes
# dcr-remote, and never gets the message in plaintext under
# tls=encrypt: garbage instead of a ServerHello, a close in the middle
# of the handshake, a stall after "220" (the -T cap ends it), an
# SSLv3-style record, a close_notify right after the handshake, and a
# server that drops the TCP connection while the message is sent inside
# TLS. Each ends with a T verdict for every recipient and "done", exit 0.
import os, socket, ssl, sys, time
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', 'tls'))
from remotelib import *
from dcrtest import *
from tlstest import Certs


def upto_starttls(c):
    c.reply('220 hostile.test ESMTP')
    if not (c.readline() or b'').upper().startswith(b'EHLO'):
        return False
    c.reply('250-hostile.test\r\n250-STARTTLS\r\n250 8BITMIME')
    if (c.readline() or b'').upper() != b'STARTTLS':
        return False
    return c.reply('220 2.0.0 go ahead')


def garbage(c):
    if upto_starttls(c):
        c.send(b'this is not a TLS record at all\r\n' * 4)
        time.sleep(1)


def half_handshake(c):
    if upto_starttls(c):
        c.sock.recv(4096)        # the ClientHello
        c.send(b'\x16\x03\x03\x00\x30' + b'\x02' + b'\x00' * 10)   # a cut ServerHello
        time.sleep(0.2)


def stall(c):
    if upto_starttls(c):
        time.sleep(8)


def sslv3(c):
    if upto_starttls(c):
        c.sock.recv(4096)
        c.send(b'\x15\x03\x00\x00\x02\x02\x28')   # an SSLv3 handshake_failure alert


def make_closer(ctx):
    def closer(c):
        if upto_starttls(c):
            t = ctx.wrap_socket(c.sock, server_side=True)
            t.unwrap()           # close_notify at once, then TCP close
    return closer


def make_dropper(ctx):
    def dropper(c):
        if not upto_starttls(c):
            return

        def reset(c):
            c.readline()
            c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b'\x01\x00\x00\x00\x00\x00\x00\x00')
            c.sock.close()   # RST in the middle of the message
            return False
        tls_dialogue(c, ctx, '250-hostile.test\r\n250 8BITMIME', reset)
    return dropper


def main():
    with Certs() as certs, TempDir() as td:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(certs.path('ec.pem'), certs.path('ec.key'))
        m = td.write('m', b'Subject: x\n\n' + b'line of the message\n' * 5000)
        cases = [('garbage instead of a ServerHello', garbage, r'451 4\.7\.0 TLS handshake with '),
                 ('a close in the middle of the handshake', half_handshake, r'451 4\.7\.0 TLS handshake with '),
                 ('a stall after 220', stall, r'451 4\.7\.0 TLS handshake with .*timeout'),
                 ('an SSLv3 alert', sslv3, r'451 4\.7\.0 TLS handshake with '),
                 ('close_notify right after the handshake', make_closer(ctx), r'^451 4\.4\.2 .*(connection closed|EHLO)'),
                 ('a reset while the message is sent in TLS', make_dropper(ctx), r'^451 4\.4\.2 ')]
        for name, handler, pattern in cases:
            with FakeSMTP(handler=handler, io_timeout=10) as fk:
                t0 = time.time()
                r = remote(fk.target, job('H1', m, 'a@example.com', 'b@example.net', 'c@example.net'),
                           ['-T', '3', '-d', '0', '--tls', 'encrypt'], timeout=30)
                v = r.verdicts()
                is_(r.rc, 0, '%s: exit 0, no crash' % name)
                is_([x[2] for x in v], ['T', 'T'], '  T for both recipients')
                like(v[0][3] if v else '', pattern, '  the reason')
                is_(r.done(), ['H1'], '  and done')
                ok(time.time() - t0 < 20, '  within the timeouts (%.1fs)' % (time.time() - t0))
                is_(len(fk.messages), 0, '  nothing received in plaintext')


run(main, timeout=240)
