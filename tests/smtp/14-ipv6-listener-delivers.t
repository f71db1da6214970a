#!/usr/bin/python3
# Proves: the chain works on an IPv6 loopback listener (::1): greeting,
# a message queued, and the session saw the IPv6 peer address.
import os, sys, socket
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from dcrtest import *


def main():
    try:
        socket.socket(socket.AF_INET6).bind(('::1', 0))
    except OSError:
        skip('no IPv6 loopback', 4)
        return
    with Gateway(host='::1', capture=True) as gw:
        s = gw.smtp()
        is_(s.ehlo('v6.dcrtest')[0], 250, 'EHLO over ::1')
        s.mail('a@localhost')
        s.rcpt('b@localhost')
        code, text = s.data(b'Subject: v6\r\n\r\nx\r\n')
        s.quit()
        is_(code, 250, 'message accepted over IPv6')
        is_(gw.queued(), [queued_id(text)], 'queued')
        caps = gw.captures()
        ok(caps and caps[0]['env'].get('TCPREMOTEIP') == '::1', 'TCPREMOTEIP is ::1')
        ok(caps and b'::1' in caps[0]['message'].split(b'\n\n')[0].split(b'Subject:')[0],
           'Received header names the IPv6 peer')


run(main)
