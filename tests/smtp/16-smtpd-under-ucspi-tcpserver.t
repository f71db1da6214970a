#!/usr/bin/python3
# Proves: dcr-smtpd runs under ucspi-tcp's tcpserver (not only dcr-tcpd):
# it takes the UCSPI environment (TCPREMOTEIP...) from there, delivers to
# the queue, and still refuses relaying.
import os, sys, shutil
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from dcrtest import *


def main():
    if not shutil.which('tcpserver'):
        skip('tcpserver (ucspi-tcp) not installed', 5)
        return
    with Gateway(server='tcpserver', capture=True) as gw:
        s = gw.smtp()
        is_(s.ehlo('client.dcrtest')[0], 250, 'EHLO under tcpserver')
        s.mail('a@localhost')
        is_(s.rcpt('user@other.test')[0], 554, 'relay refused under tcpserver')
        s.rcpt('b@localhost')
        code, text = s.data(b'Subject: ucspi\r\n\r\nx\r\n')
        s.quit()
        is_(code, 250, 'message accepted')
        is_(gw.queued(), [queued_id(text)], 'queued')
        caps = gw.captures()
        ok(caps and caps[0]['env'].get('TCPREMOTEIP') == '127.0.0.1', 'TCPREMOTEIP from tcpserver reached the child')


run(main)
