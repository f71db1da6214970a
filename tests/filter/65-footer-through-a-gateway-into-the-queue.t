#!/usr/bin/python3
# dcr-footer end to end: smtplib sends a multipart/alternative message
# with an attachment and a multipart/signed one through dcr-tcpd,
# dcr-smtpd, dcr-footer and dcr-enqueue: the queued first has the
# footer in its plain and html parts and the attachment intact, the
# queued second is byte for byte what was sent (in internal form).
import email
import email.policy
import os
import shutil
import sys
import tempfile
from email.message import EmailMessage
sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'lib'))
from dcrtest import *  # noqa: F401,F403

ROUTES = "example.net smtp:[127.0.0.1]:1\n"
FOOT = "-- \nACME Corp. \u2013 confidential.\n"


class FooterGateway(Gateway):
    def __init__(self, footer, **kw):
        Gateway.__init__(self, **kw)
        self.footer = footer

    def _argv(self, notify_fd):
        self.child = [bin_path('dcr-footer'), '-t', self.footer, bin_path('dcr-enqueue'), self.queue]
        return Gateway._argv(self, notify_fd)


def send(gw, msg):
    s = gw.smtp()
    s.ehlo('client.dcrtest')
    s.mail('alice@example.com', ['BODY=8BITMIME'])
    s.rcpt('bob@example.net')
    code, text = s.data(msg)
    s.quit()
    return code, queued_id(text.decode()) if code == 250 else None


def main():
    d = tempfile.mkdtemp(prefix='dcr-footer-gw-')
    try:
        t = os.path.join(d, 'footer')
        with open(t, 'w', encoding='utf-8') as f:
            f.write(FOOT)
        with FooterGateway(t, routes=ROUTES, relayclient=True) as gw:
            m = EmailMessage()
            m['From'] = 'Alice <alice@example.com>'
            m['To'] = 'bob@example.net'
            m['Subject'] = 'with footer'
            m.set_content("Hello,\nthe figures.\n")
            m.add_alternative("<html><body><p>Hello, the figures.</p></body></html>\n", subtype='html')
            m.add_attachment(bytes(range(256)) * 100, maintype='application', subtype='octet-stream', filename='f.bin')
            code, qid = send(gw, m.as_bytes(policy=email.policy.SMTP))
            is_(code, 250, 'queued through dcr-footer')
            if ok(qid in gw.wait_queued(1), 'in the queue'):
                p = email.message_from_bytes(gw.message(qid), policy=email.policy.default)
                is_(p.get_body(('plain',)).get_content(), "Hello,\nthe figures.\n" + FOOT, 'queued: the plain part ends with the footer')
                ok(p.get_body(('html',)).get_content().endswith("<pre>-- \nACME Corp. \u2013 confidential.</pre>\n"), 'queued: the html part too')
                att = list(p.iter_attachments())
                ok(len(att) == 1 and att[0].get_content() == bytes(range(256)) * 100, 'queued: the attachment intact')
            like(gw.log(), r'dcr-footer: event=footer id=\S+ what=append type=text/plain', 'the gateway log has the footer, with the id')

            signed = (b"From: alice@example.com\r\nTo: bob@example.net\r\nSubject: signed\r\nMIME-Version: 1.0\r\n"
                      b"Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=sha-256; boundary=\"S\"\r\n\r\n"
                      b"--S\r\nContent-Type: text/plain\r\n\r\nsigned words\r\n--S\r\nContent-Type: application/pkcs7-signature\r\n"
                      b"Content-Transfer-Encoding: base64\r\n\r\nMIAGCSqGSIb3DQEHAqCAMIACAQEx\r\n--S--\r\n")
            code, qid2 = send(gw, signed)
            is_(code, 250, 'signed: queued')
            q = gw.wait_queued(2)
            if ok(qid2 in q, 'signed: in the queue'):
                is_(gw.message(qid2).split(b'\n\n', 1)[1], signed.split(b'\r\n\r\n', 1)[1].replace(b'\r\n', b'\n'),
                    'signed: the body byte for byte as sent')
    finally:
        shutil.rmtree(d, ignore_errors=True)


run(main)
