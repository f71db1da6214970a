#!/usr/bin/python3
# Proves: a TLS session that ends in the middle of a message ends
# cleanly and delivers nothing: a close_notify in the middle of DATA
# followed by plaintext "\r\n.\r\nMAIL FROM:" on the raw socket, the
# same in the middle of BDAT 1000, over implicit TLS and after
# STARTTLS; a TCP reset in the middle of DATA; a TCP close in the
# middle of the handshake (implicit, and after STARTTLS). Each time the
# server closes the connection, every process of the session exits
# within seconds, the sink got nothing, dcr-smtpd logs its disconnect,
# and nothing in the log tells of a crash (signal, sanitizer, fatal).
import os, socket, struct, sys, time
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
from tlstest import *
from dcrtest import *

SMUGGLED = b'\r\n.\r\nMAIL FROM:<x@attacker.test>\r\nRCPT TO:<u@example.test>\r\nDATA\r\n'


def raw_eof(sock, timeout=5):
    """True when the peer closes the raw socket within timeout."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        sock.settimeout(max(0.01, deadline - time.time()))
        try:
            if not sock.recv(65536):
                return True
        except socket.timeout:
            return False
        except OSError:
            return True
    return False


def open_session(gw, certs, starttls_mode):
    """A TLS session after EHLO, MAIL, RCPT: a RawClient."""
    if starttls_mode:
        c = gw.raw()
        c.cmd('EHLO client.example.test')
        starttls(c, certs.ctx())
    else:
        c = tls_client(gw, certs.ctx())
    c.cmd('EHLO client.example.test')
    c.cmd('MAIL FROM:<a@client.example.test>')
    c.cmd('RCPT TO:<u@example.test>')
    return c


def check_end(gw, name, before):
    ok(gw.wait_idle(5), '  %s: every session process exits (within 5 s)' % name)
    is_(gw.sunk(), [], '  %s: nothing reached the sink' % name)
    is_(gw.log().count('dcr-smtpd: event=disconnect'), before + 1, '  %s: dcr-smtpd logged its disconnect' % name)
    is_(gw.crashes(), [], '  %s: no crash in the log' % name)


def main():
    with Certs() as certs:
        for mode in ('implicit', 'starttls'):
            opts = ['-s'] if mode == 'starttls' else []
            with TlsGateway(certs, tlsd_opts=opts) as gw:
                # DATA, part of a message, close_notify, then plaintext
                name = '%s, DATA' % mode
                before = gw.log().count('dcr-smtpd: event=disconnect')
                c = open_session(gw, certs, mode == 'starttls')
                try:
                    c.send('DATA\r\n')
                    c.expect('354', '%s: 354' % name)
                    c.send('Subject: cut short\r\n\r\nhalf a mess')
                    time.sleep(0.1)
                    c.sock.close_notify()
                    c.sock.raw.sendall(SMUGGLED)
                    ok(raw_eof(c.sock.raw), '  %s: close_notify + plaintext: the server closes' % name)
                finally:
                    c.close()
                check_end(gw, name, before)

                # BDAT 1000 with 400 octets, close_notify, plaintext
                name = '%s, BDAT' % mode
                before = gw.log().count('dcr-smtpd: event=disconnect')
                c = open_session(gw, certs, mode == 'starttls')
                try:
                    c.send(b'BDAT 1000 LAST\r\n' + b'Subject: chunk\r\n\r\n' + b'x' * 382)
                    time.sleep(0.1)
                    c.sock.close_notify()
                    c.sock.raw.sendall(b'y' * 600 + SMUGGLED)
                    ok(raw_eof(c.sock.raw), '  %s: close_notify + plaintext: the server closes' % name)
                finally:
                    c.close()
                check_end(gw, name, before)

                # a TCP reset in the middle of DATA
                name = '%s, RST in DATA' % mode
                before = gw.log().count('dcr-smtpd: event=disconnect')
                c = open_session(gw, certs, mode == 'starttls')
                try:
                    c.send('DATA\r\n')
                    c.reply()
                    c.send('Subject: reset\r\n\r\nsome')
                    time.sleep(0.1)
                    c.sock.raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
                finally:
                    c.close()
                ok(True, '%s: reset sent' % name)
                check_end(gw, name, before)

                # a TCP close in the middle of the handshake
                name = '%s, close in the handshake' % mode
                before = gw.log().count('dcr-smtpd: event=disconnect')
                fails = gw.log().count('dcr-tlsd: event=tls-fail')
                hello = client_hello()
                c = gw.raw(banner=mode == 'starttls')
                try:
                    if mode == 'starttls':
                        c.cmd('EHLO client.example.test')
                        c.send('STARTTLS\r\n')
                        c.expect('220', '%s: STARTTLS 220' % name)
                    c.send(hello[:len(hello) // 2])
                    time.sleep(0.2)
                finally:
                    c.close()
                ok(gw.wait_idle(5), '  %s: every session process exits (within 5 s)' % name)
                log = gw.log()
                is_(log.count('dcr-tlsd: event=tls-fail'), fails + 1, '  %s: one event=tls-fail' % name)
                like(log, r'dcr-tlsd: event=tls-fail ip=127\.0\.0\.1 reason="connection closed"',
                     '  %s: reason="connection closed"' % name)
                if mode == 'starttls':
                    like(log, r'dcr-smtpd: event=disconnect .*reason=tls-failed',
                         '  %s: dcr-smtpd ends with reason=tls-failed' % name)
                is_(gw.crashes(), [], '  %s: no crash in the log' % name)

                # and the server still serves
                c = open_session(gw, certs, mode == 'starttls')
                try:
                    c.send('DATA\r\n')
                    c.expect('354', '%s: a whole message after all that: 354' % mode)
                    c.send('Subject: whole\r\n\r\nfine\r\n.\r\n')
                    c.expect('250', '  250')
                finally:
                    c.close()
                is_(len(gw.sunk()), 1, '  it alone reached the sink')


run(main, 60)
