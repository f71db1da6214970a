#!/usr/bin/python3
# dcr-rewrite end to end: smtplib -> dcr-tcpd -> dcr-smtpd ->
# dcr-rewrite -> dcr-enqueue. The queued envelope holds the rewritten
# sender and recipients (DSN parameters aligned), the queued message the
# rewritten From/To with display names kept and the body byte-identical.
import email
import email.policy
import os
import shutil
import sys
import tempfile
sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'lib'))
from dcrtest import *  # noqa: F401,F403

ROUTES = ("example.com smtp:[127.0.0.1]:1\n"
          "internal.example.com smtp:[127.0.0.1]:1\n"
          "partner.test smtp:[127.0.0.1]:1\n")
MAP = ("*@internal.example.com -> *@example.com\n"
       "sales@internal.example.com -> orders@example.com recipient\n")


class RewriteGateway(Gateway):
    """The chain: dcr-rewrite -f MAP dcr-enqueue QUEUE"""
    def __init__(self, mapfile, **kw):
        Gateway.__init__(self, **kw)
        self.mapfile = mapfile

    def _argv(self, notify_fd):
        self.child = [bin_path('dcr-rewrite'), '-f', self.mapfile, bin_path('dcr-enqueue'), self.queue]
        return Gateway._argv(self, notify_fd)


def envelope(text):
    sender, rcpts = None, []
    for line in text.decode().split('\n'):
        f = line.split('\t')
        if f[0] == 'sender':
            sender = f[1] if len(f) > 1 else ''
        elif f[0] == 'rcpt':
            rcpts.append((f[4], f[5]))
    return sender, rcpts


def main():
    d = tempfile.mkdtemp(prefix='dcr-rewrite-')
    try:
        mapfile = os.path.join(d, 'map')
        with open(mapfile, 'w') as f:
            f.write(MAP)
        body = b"Hello,\r\n\r\nthe body mentions joe@internal.example.com and stays.\r\n\xc3\xa9t\xc3\xa9\r\n"
        msg = (b"From: \"Bloggs, Joe\" <joe@internal.example.com>\r\n"
               b"To: Sales <sales@internal.example.com>, partner@partner.test\r\n"
               b"Subject: rewrite me\r\n"
               b"\r\n") + body
        with RewriteGateway(mapfile, routes=ROUTES, relayclient=True) as gw:
            s = gw.smtp()
            s.ehlo('client.dcrtest')
            is_(s.mail('joe@internal.example.com', ['BODY=8BITMIME'])[0], 250, 'MAIL')
            is_(s.rcpt('sales@internal.example.com', ['NOTIFY=SUCCESS,FAILURE'])[0], 250, 'RCPT sales')
            is_(s.rcpt('partner@partner.test', ['NOTIFY=NEVER'])[0], 250, 'RCPT partner')
            code, text = s.data(msg)
            is_(code, 250, 'DATA queued through dcr-rewrite')
            s.quit()
            qid = queued_id(text.decode())
            q = gw.wait_queued(1)
            if ok(qid in q, 'the message is in the queue'):
                sender, rcpts = envelope(gw.envelope(qid))
                is_(sender, 'joe@example.com', 'queued envelope: the sender rewritten')
                is_(rcpts, [('orders@example.com', 'SUCCESS,FAILURE'), ('partner@partner.test', 'NEVER')],
                    'queued envelope: recipients rewritten, NOTIFY aligned')
                m = gw.message(qid)
                hb = m.split(b'\n\n', 1)
                ok(b'From: "Bloggs, Joe" <joe@example.com>\n' in hb[0], 'queued From: the display name kept, the address rewritten')
                ok(b'To: Sales <orders@example.com>, partner@partner.test\n' in hb[0], 'queued To rewritten by the recipient rule')
                is_(hb[1], body.replace(b'\r\n', b'\n'), 'queued body byte-identical (internal form)')
                e = email.message_from_bytes(m, policy=email.policy.default)
                is_(e['From'].addresses[0].display_name, 'Bloggs, Joe', 'email package reads the queued From')
            like(gw.log(), r'dcr-rewrite: event=rewrite id=\S+ what=envelope-from old=joe@internal.example.com new=joe@example.com',
                 'the gateway log has the rewrite with the message id')

        # a broken map: the client is told to retry, nothing is queued
        with open(mapfile, 'w') as f:
            f.write("this is not a rule\n")
        with RewriteGateway(mapfile, routes=ROUTES, relayclient=True) as gw:
            s = gw.smtp()
            s.ehlo('client.dcrtest')
            s.mail('joe@internal.example.com')
            s.rcpt('partner@partner.test')
            code, text = s.data(b"Subject: x\r\n\r\nx\r\n")
            ok(400 <= code < 500 and b'4.3.5' in text, 'broken map: 4xx 4.3.5 to the client (%d %s)' % (code, text.decode()))
            s.quit()
            is_(gw.wait_queued(1, timeout=1), [], 'nothing queued')
            like(gw.log(), r'map:1: expected PATTERN', 'the log names map:1')
    finally:
        shutil.rmtree(d, ignore_errors=True)


run(main)
