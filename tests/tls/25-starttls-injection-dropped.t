#!/usr/bin/python3
# Proves: what a client (or a man in the middle) sends in plaintext
# after STARTTLS, in the same packet, is dropped and never answered
# inside TLS (the STARTTLS command injection class, CVE-2011-0411 and
# kin): "STARTTLS\r\nRSET\r\n" and "STARTTLS\r\nMAIL FROM:..." in one
# write get the 220 alone; after the handshake nothing arrives until
# the client speaks, and EHLO gets the normal 250; the injected MAIL
# has not started a transaction (RCPT 503). Pipelined commands before
# STARTTLS (PIPELINING) are answered in plaintext, before the 220.
import os, sys
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
from tlstest import *
from dcrtest import *


def probe(gw, certs, injected, name):
    c = gw.raw()
    try:
        c.cmd('EHLO client.example.test')
        c.send(b'STARTTLS\r\n' + injected)
        r = c.reply()
        like(r[1], r'^220 ', '%s: STARTTLS answered 220' % name)
        is_(c.pending(0.3), b'', '  nothing else in plaintext after the 220')
        c.sock = TlsSock(c.sock, certs.ctx(), 'mx.example.test', 10)
        c.sock.handshake()
        is_(c.pending(1.0), b'', '  after the handshake: silence until we speak (nothing answered inside TLS)')
        r = c.cmd('EHLO client.example.test')
        like(r[1], r'^250-mx\.dcrtest', '  EHLO over TLS: the normal 250')
        c.send('RCPT TO:<u@example.test>\r\n')
        c.expect('503', '  no transaction from the injected bytes: RCPT 503')
        c.send('QUIT\r\n')
        c.expect('221', '  QUIT 221')
    finally:
        c.close()


def main():
    with Certs() as certs, TlsGateway(certs, checker=checker(certs)) as gw:
        probe(gw, certs, b'RSET\r\n', 'STARTTLS + RSET in one packet')
        probe(gw, certs, b'MAIL FROM:<evil@attacker.test>\r\nRCPT TO:<u@example.test>\r\n',
              'STARTTLS + MAIL + RCPT in one packet')
        probe(gw, certs, b'AUTH PLAIN ' + b64('\0alice\0' + PASSWORDS['alice']).encode() + b'\r\n',
              'STARTTLS + AUTH PLAIN in one packet')
        ok('event=auth' not in gw.log(), 'the injected AUTH was never run')

        # pipelined before STARTTLS: those are answered, in plaintext
        c = gw.raw()
        try:
            c.cmd('EHLO client.example.test')
            c.send(b'NOOP\r\nNOOP\r\nSTARTTLS\r\n')
            codes = [c.reply()[0] for _ in range(3)]
            is_(codes, [250, 250, 220], 'NOOP NOOP STARTTLS pipelined: 250 250 220, in order')
            c.sock = TlsSock(c.sock, certs.ctx(), None, 10)
            c.sock.handshake()
            c.send('NOOP\r\n')
            c.expect('250', '  then a TLS session')
        finally:
            c.close()
        ok(gw.wait_idle(5), 'every session process has gone')
        is_(gw.crashes(), [], 'no crash in the log')


run(main, 60)
