#!/usr/bin/python3
# The chain of doc/filters.md, whole, through dcr-tcpd + dcr-smtpd into
# the queue, with a real clamd and spamd and smtplib as the client:
#   dcr-rewrite -> dcr-mimecheck -> dcr-scan -> dcr-header -> dcr-footer
#   -> dcr-dkimsign -> dcr-enqueue
# A clean message with an attachment is queued with the envelope and
# From rewritten, tagged, the footer in its text, and a DKIM signature
# (for the rewritten From: domain) that verifies with dkimpy and OpenDKIM
# over everything the other filters did. An .exe attachment and a virus
# get 554 at the end of DATA and nothing is queued; spam is queued tagged
# and still signed; a broken rules file defers (451) and queues nothing.
import email
import email.policy
import os
import sys
import tempfile
from email.message import EmailMessage
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, '..', 'lib'))
sys.path.insert(0, here)
from dcrtest import *  # noqa: F401,F403
from scanlib import Clamd, Spamd, EICAR, GTUBE
from dkimlib import Keys, dkimpy, opendkim, wire

ROUTES = "example.com maildir:/x\nlocalhost maildir:/x\n"


def build(body, attach=None, subject='Quarterly report'):
    m = EmailMessage()
    m['From'] = 'Alice Doe <alice@internal.example.com>'
    m['To'] = 'bob@example.com'
    m['Subject'] = subject
    m['Date'] = 'Thu, 03 Dec 2026 19:00:00 +0000'
    m['Message-ID'] = '<t70.1@internal.example.com>'
    m.set_content(body)
    if attach:
        name, data = attach
        m.add_attachment(data, maintype='application', subtype='octet-stream', filename=name)
    return m.as_bytes(policy=email.policy.SMTP)




def send(gw, msg):
    return send_message(gw, msg, sender='alice@internal.example.com', rcpts=['bob@example.com'])


def main():
    d = tempfile.mkdtemp(prefix='dcr-chain-')
    keys = Keys(d)
    keys.add('example.com', 'mx2026')
    files = {
        'map': '*@internal.example.com -> *@example.com\n',
        'mime-rules': 'reject ext exe,bat,vbs,scr,com,pif,cmd,js\n',
        'header-rules': 'add X-Processed-By: mx.example.com $DCR_ID\nremove X-Internal*\n',
        'footer.txt': 'Example Corp. -- this message was checked for viruses.\n',
    }
    for n, t in files.items():
        with open(os.path.join(d, n), 'w') as f:
            f.write(t)
    p = lambda n: os.path.join(d, n)  # noqa: E731
    with Clamd() as clamd, Spamd() as spamd:
        chain = [[bin_path('dcr-rewrite'), '-f', p('map')],
                 [bin_path('dcr-mimecheck'), '-f', p('mime-rules')],
                 [bin_path('dcr-scan'), '--clamd', clamd.unix, '--virus', 'reject',
                  '--spamd', spamd.tcp, '--spam-tag', '5', '--timeout', '60'],
                 [bin_path('dcr-header'), '-f', p('header-rules')],
                 [bin_path('dcr-footer'), '-t', p('footer.txt')],
                 [bin_path('dcr-dkimsign'), '-d', keys.dir]]
        with Gateway(routes=ROUTES, relayclient=True, filters=chain) as gw:
            code, text = send(gw, build('Hello Bob,\n\nthe report is attached.\n\nAlice\n',
                                        attach=('report.pdf', b'%PDF-1.4 not really\n' * 50)))
            is_(code, 250, 'a clean message with a .pdf: 250 through the whole chain')
            qid = queued_id(text)
            ok(qid, '  queued, with an id')
            if qid:
                msg = gw.message(qid)
                env = gw.envelope(qid).decode()
                like(env, r'(?m)^sender\talice@example\.com$', '  dcr-rewrite: the envelope sender is rewritten')
                ok(b'From: Alice Doe <alice@example.com>' in msg, '  dcr-rewrite: From: rewritten, the display name kept')
                ok(('X-Processed-By: mx.example.com %s' % qid).encode() in msg, '  dcr-header: the field, with the id')
                like(msg, rb'X-Spam-Status: No', '  dcr-scan: spamd tagged it ham')
                m = email.message_from_bytes(msg, policy=email.policy.default)
                text_part = m.get_body(preferencelist=('plain',))
                ok(text_part is not None and 'checked for viruses' in text_part.get_content(),
                   '  dcr-footer: the footer is in the text part')
                att = [a for a in m.iter_attachments()]
                ok(len(att) == 1 and att[0].get_content() == b'%PDF-1.4 not really\n' * 50,
                   '  the attachment arrived intact')
                like(msg, rb'^DKIM-Signature: v=1; a=rsa-sha256; [^\n]*\n(?:[ \t][^\n]*\n)*', '  dcr-dkimsign: signed, the field on top')
                ok(b'd=example.com' in msg.split(b'\n\n')[0], '  ... for the rewritten From: domain')
                ok(dkimpy(wire(msg), keys, as_wire=False), '  dkimpy verifies the signature over the whole chain\'s work')
                v, line = opendkim(wire(msg), keys, as_wire=False)
                ok(v, '  OpenDKIM verifies it too') or diag(line)

            code, text = send(gw, build('Run this.\n', attach=('invoice.pdf.exe', b'MZ' + b'\0' * 100)))
            ok(code == 554 and text.startswith('5.7.1') and 'exe' in text,
               'an .exe attachment: 554 5.7.1 naming it (%s)' % text)
            code, text = send(gw, build('The EICAR test string:\n\n' + EICAR.decode() + '\n'))
            ok(code == 554 and 'virus' in text, 'EICAR: 554, a virus (%s)' % text)
            code, text = send(gw, build('This is the GTUBE test string:\n\n' + GTUBE.decode() + '\n', subject='Test spam'))
            is_(code, 250, 'GTUBE over the tag threshold only: queued')
            qid = queued_id(text)
            if qid:
                msg = gw.message(qid)
                ok(b'X-Spam-Status: Yes' in msg and dkimpy(wire(msg), keys, as_wire=False),
                   '  tagged Yes, and still signed and verified')
            is_(len(gw.queued()), 2, 'two messages in the queue, the refused ones not')

            with open(p('mime-rules'), 'w') as f:
                f.write('reject frobnicate exe\n')
            code, text = send(gw, build('Hello again.\n'))
            ok(code == 451 and text.startswith('4.3.5'), 'a broken rules file: 451 4.3.5, the client retries (%s)' % text)
            is_(len(gw.queued()), 2, '  nothing queued')
            like(gw.log(), r'dcr-mimecheck: fatal: \S*mime-rules:1: ', '  the log names the file and line')


run(main, 180)
