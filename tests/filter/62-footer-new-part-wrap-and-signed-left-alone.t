#!/usr/bin/python3
# dcr-footer where the footer cannot go into a text part: a
# multipart/mixed of attachments only gets a text/plain part of its own
# before its close delimiter; a single non-text body is wrapped in a new
# multipart/mixed (its Content-* fields go down with it); multipart/
# signed, multipart/encrypted, S/MIME and delivery reports pass
# byte-identical (signatures stay valid); a broken structure passes
# unchanged and is logged; footer file errors are a 4.3.5.
import email
import email.policy
import os
import re
import sys
import tempfile
from email.message import EmailMessage
sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'lib'))
sys.path.insert(0, os.path.dirname(__file__))
from dcrtest import *  # noqa: F401,F403
from filterlib import run_filter

FOOT = "-- \nACME Corp. \u2013 confidential.\n"
PDF = b"%PDF-1.4\n" + bytes(range(256)) * 20 + b"\n%%EOF\n"
HEAD = b"From: alice@example.com\nTo: bob@example.net\nSubject: s\nMIME-Version: 1.0\n"


def footer(msg, text=FOOT, argv=None):
    d = tempfile.mkdtemp(prefix='dcr-footer-')
    t = os.path.join(d, 't')
    with open(t, 'wb') as f:
        f.write(text.encode() if isinstance(text, str) else text)
    if isinstance(msg, EmailMessage):
        msg = msg.as_bytes(policy=email.policy.SMTP).replace(b'\r\n', b'\n')
    return run_filter(argv or ['dcr-footer', '-t', t], msg), msg, t


def parse(b):
    return email.message_from_bytes(b, policy=email.policy.default)


def main():
    # attachments only: a new part before the close delimiter
    m = EmailMessage()
    m['From'] = 'alice@example.com'
    m['Subject'] = 'files'
    m.add_attachment(PDF, maintype='application', subtype='pdf', filename='a.pdf')
    m.add_attachment(b"\0\1\2" * 100, maintype='application', subtype='octet-stream', filename='b.bin')
    r, raw, _ = footer(m)
    p = parse(r.message)
    parts = list(p.iter_parts())
    is_(len(parts), 3, 'attachments only: a third part added')
    ok(parts[2].get_content_type() == 'text/plain' and parts[2].get_content() == FOOT, 'the new part is text/plain, the footer, UTF-8 decoded')
    ok(parts[0].get_content() == PDF and parts[1].get_content() == b"\0\1\2" * 100, 'the attachments decode as before')
    cut = raw.rindex(b'\n--')
    ok(r.message.startswith(raw[:cut]) and r.message.endswith(raw[cut:]), 'everything before and after the new part byte-identical')
    like(r.err, r'what=new-part type=multipart/mixed', 'logged')

    # a single non-text body: wrapped
    m = (HEAD + b"Content-Type: application/pdf; name=\"x.pdf\"\nContent-Transfer-Encoding: base64\n"
         b"Content-Disposition: attachment; filename=\"x.pdf\"\n\nJVBERi0xLjQKJSVFT0YK\n")
    r, raw, _ = footer(m)
    p = parse(r.message)
    ok(p.get_content_type() == 'multipart/mixed', 'single pdf: now multipart/mixed')
    parts = list(p.iter_parts()) if p.is_multipart() else []
    if is_(len(parts), 2, 'two parts'):
        ok(parts[0].get_content_type() == 'application/pdf' and parts[0].get_filename() == 'x.pdf'
           and parts[0].get_content() == b"%PDF-1.4\n%%EOF\n", 'the pdf part with its own Content-* fields, same content')
        is_(parts[1].get_content(), FOOT, 'then the footer')
    head = r.message.split(b'\n\n', 1)[0]
    ok(head.count(b'MIME-Version') == 1 and b'Content-Transfer-Encoding' not in head and b'Content-Disposition' not in head,
       'the top header: one MIME-Version, the old Content-* fields moved down')
    ok(b'Subject: s\n' in head and b'From: alice@example.com\n' in head, 'the other fields stay')

    # multipart/alternative without any text part (only images): wrapped, not a new alternative
    m = (HEAD + b"Content-Type: multipart/alternative; boundary=\"b1\"\n\n--b1\nContent-Type: image/png\n\nPNG\n--b1--\n")
    r, raw, _ = footer(m)
    ok(parse(r.message).get_content_type() == 'multipart/mixed' and b"--b1\nContent-Type: image/png\n\nPNG\n--b1--\n" in r.message,
       'alternative without text: wrapped in mixed, the alternative intact inside')

    # signed and encrypted: byte-identical
    signed = (HEAD + b"Content-Type: multipart/signed; protocol=\"application/pgp-signature\"; micalg=pgp-sha256; boundary=\"s1\"\n\n"
              b"--s1\nContent-Type: text/plain\n\nsigned text\n--s1\nContent-Type: application/pgp-signature\n\n"
              b"-----BEGIN PGP SIGNATURE-----\nAAAA\n-----END PGP SIGNATURE-----\n--s1--\n")
    for name, msg in (('multipart/signed', signed),
                      ('multipart/encrypted', HEAD + b"Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=e\n\n--e\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n--e\nContent-Type: application/octet-stream\n\n-----BEGIN PGP MESSAGE-----\n--e--\n"),
                      ('S/MIME enveloped', HEAD + b"Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\nContent-Transfer-Encoding: base64\n\nMIAGCSqGSIb3DQEHA6CAMIACAQAx\n"),
                      ('delivery report', HEAD + b"Content-Type: multipart/report; report-type=delivery-status; boundary=r\n\n--r\nContent-Type: text/plain\n\nfailed\n--r--\n")):
        r, raw, _ = footer(msg)
        ok(r.rc == 0 and r.message == msg, '%s: passed on byte-identical' % name)
        like(r.err, r'event=footer-skip id=test-id-1 reason=', '%s: the skip is logged' % name)

    # a signed part inside a mixed: the outer body text gets the footer, the signed part is not entered
    inner = b"--s1\nContent-Type: text/plain\n\nsigned text\n--s1\nContent-Type: application/pgp-signature\n\nSIG\n--s1--\n"
    m = (HEAD + b"Content-Type: multipart/mixed; boundary=m\n\n--m\nContent-Type: multipart/signed; boundary=s1\n\n" + inner + b"\n--m--\n")
    r, raw, _ = footer(m)
    ok(inner in r.message and parse(r.message).get_content_type() == 'multipart/mixed'
       and len(list(parse(r.message).iter_parts())) == 2, 'mixed > signed: the signed part intact, the footer as a new part')

    # broken structures: unchanged, logged
    for name, msg in (('no close delimiter, a part header cut', HEAD + b"Content-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: text/plain\n"),
                      ('a Content-Type that does not parse', HEAD + b"Content-Type: text\n\nhello\n")):
        r, raw, _ = footer(msg)
        ok(r.rc == 0 and r.message == msg, '%s: unchanged' % name)
        like(r.err, r'event=footer-skip', '%s: logged' % name)
    # a multipart without a close delimiter: no new part there, the text part still gets it
    msg = HEAD + b"Content-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: text/plain\n\nbody\n"
    r, raw, _ = footer(msg, text="-- \nACME\n")
    is_(r.message, msg + b"-- \nACME\n", 'unclosed multipart: the last text part ends at EOF and gets the footer')

    # footer file errors: 4.3.5, exit 111, nothing passed on
    for name, text, where in (('empty', b"\n\n", ':1: the footer is empty'), ('not UTF-8', b"caf\xe9\n", ':1: the footer is not UTF-8'),
                              ('a control character', b"a\nb\x1b[31m\n", ':2: a control character')):
        r, raw, t = footer(b"Subject: x\n\nx\n", text=text)
        ok(r.rc == 111 and r.out.startswith('4.3.5 ') and r.message is None, 'footer %s: 4.3.5, exit 111' % name)
        like(r.err, re.escape(t + where), 'footer %s: the error names file:line' % name)
    r, raw, t = footer(b"Subject: x\n\nx\n", argv=['dcr-footer', '-t', '/nonexistent/footer'])
    ok(r.rc == 111 and r.out.startswith('4.3.5') and '/nonexistent/footer' in r.err, 'a missing footer file: 4.3.5 naming it')
    r, raw, t = footer(b"Subject: x\n\nx\n", argv=['dcr-footer'])
    ok(r.rc == 111 and r.out.startswith('4.3.5 '), 'no -t: 4.3.5, exit 111 (a typo in the chain never bounces mail)')


run(main)
