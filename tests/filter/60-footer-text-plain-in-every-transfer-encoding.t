#!/usr/bin/python3
# dcr-footer on single-part text/plain and text/html messages: 7bit,
# quoted-printable (a soft line break at the end included), base64 and
# 8bit bodies each end, once decoded by python's email package, with the
# footer; a UTF-8 footer on a us-ascii 7bit body turns it into UTF-8
# quoted-printable; an iso-8859-1 body takes an ASCII footer as it is
# and a UTF-8 one as a part of its own; the header is kept.
import base64
import email
import email.policy
import os
import quopri
import sys
import tempfile
sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'lib'))
sys.path.insert(0, os.path.dirname(__file__))
from dcrtest import *  # noqa: F401,F403
from filterlib import run_filter

FOOT = "-- \nACME Corp. - 1 Main Street - this mail is confidential.\n"
FOOT8 = "-- \nSoci\u00e9t\u00e9 G\u00e9n\u00e9rale \u2013 confidentiel & <priv\u00e9>\n"
HEAD = b"From: Alice <alice@example.com>\nTo: bob@example.net\nSubject: hello\nMessage-ID: <1@example.com>\n"


def footer(msg, text=FOOT, html=None, env=None):
    d = tempfile.mkdtemp(prefix='dcr-footer-')
    argv = ['dcr-footer', '-t', os.path.join(d, 't')]
    with open(argv[-1], 'w', encoding='utf-8') as f:
        f.write(text)
    if html is not None:
        argv += ['-H', os.path.join(d, 'h')]
        with open(argv[-1], 'w', encoding='utf-8') as f:
            f.write(html)
    return run_filter(argv, msg, env=env)


def parse(b):
    return email.message_from_bytes(b, policy=email.policy.default)


def text_of(b):
    return parse(b).get_content()


def main():
    # 7bit, ASCII footer: appended as it is
    m = HEAD + b"\nHello Bob,\nsee you.\n"
    r = footer(m)
    is_(r.rc, 0, '7bit: the chain went on')
    is_(r.message, m + FOOT.encode(), '7bit: the footer appended byte for byte, the rest untouched')
    like(r.err, r'event=footer id=test-id-1 what=append type=text/plain cte=7bit', 'logged')

    # a body without a final newline: one is added before the footer
    r = footer(HEAD + b"\nno newline")
    is_(r.message, HEAD + b"\nno newline\n" + FOOT.encode(), 'no final newline: one added first')

    # 7bit us-ascii with a UTF-8 footer: charset utf-8, quoted-printable
    m = HEAD + b"MIME-Version: 1.0\nContent-Type: text/plain; charset=us-ascii; format=flowed\nContent-Transfer-Encoding: 7bit\n\nHello = Bob, trailing space \nbye\n"
    r = footer(m, FOOT8)
    p = parse(r.message)
    is_(p.get_content_charset(), 'utf-8', 'us-ascii + UTF-8 footer: charset now utf-8')
    is_(p['Content-Transfer-Encoding'], 'quoted-printable', '... and quoted-printable')
    ok(b'Content-Type: text/plain; charset=utf-8; format=flowed\n' in r.message, 'the other Content-Type parameters kept, in place')
    is_(p.get_content(), "Hello = Bob, trailing space \nbye\n" + FOOT8, 'decoded: the old text, then the footer, exactly')
    ok(all(len(l) <= 76 for l in r.message.split(b'\n')), 'every line at most 76 octets')

    # no Content-Type at all (RFC 2045 default) and a UTF-8 footer
    r = footer(HEAD + b"\nplain old mail\n", FOOT8)
    p = parse(r.message)
    ok(p['MIME-Version'] == '1.0' and p.get_content_charset() == 'utf-8', 'no MIME fields: MIME-Version and Content-Type added')
    is_(p.get_content(), "plain old mail\n" + FOOT8, 'no MIME fields: decoded text and footer')

    # quoted-printable, ending with a soft line break, and ending normally
    for body, want in ((b"caf=C3=A9 au lait, a long line that was broken by the encoder here=\n", "caf\u00e9 au lait, a long line that was broken by the encoder here\n"),
                       (b"caf=C3=A9\nsecond line\n", "caf\u00e9\nsecond line\n"),
                       (b"no final newline=", "no final newline\n")):
        m = HEAD + b"MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n" + body
        r = footer(m, FOOT8)
        ok(r.message is not None and r.message.startswith(m), 'quoted-printable %r: the old body kept as it was' % body[-12:])
        is_(text_of(r.message) if r.message else None, want + FOOT8, 'quoted-printable %r: decoded text + footer' % body[-12:])

    # base64: decoded, appended, encoded again
    txt = "Gr\u00fc\u00dfe aus K\u00f6ln,\n" + "x" * 200 + "\nEnde"
    m = HEAD + b"MIME-Version: 1.0\nContent-Type: text/plain; charset=\"UTF-8\"\nContent-Transfer-Encoding: base64\n\n" + base64.encodebytes(txt.encode())
    r = footer(m, FOOT8)
    is_(text_of(r.message), txt + "\n" + FOOT8, 'base64: the decoded text ends with the footer')
    b = r.message.split(b'\n\n', 1)[1]
    ok(all(len(l) <= 76 for l in b.split(b'\n')) and base64.b64decode(b) == (txt + "\n" + FOOT8).encode(), 'base64: lines of 76, strict decode')

    # 8bit utf-8
    m = HEAD + b"MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\nK\xc3\xb6ln\n"
    r = footer(m, FOOT8)
    is_(r.message, m + FOOT8.encode(), '8bit utf-8: the footer appended raw')

    # iso-8859-1: an ASCII footer goes in, a UTF-8 one becomes a part of its own
    m = HEAD + b"MIME-Version: 1.0\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: 8bit\n\nK\xf6ln\n"
    r = footer(m)
    is_(r.message, m + FOOT.encode(), 'iso-8859-1 + ASCII footer: appended')
    r = footer(m, FOOT8)
    p = parse(r.message)
    ok(p.get_content_type() == 'multipart/mixed', 'iso-8859-1 + UTF-8 footer: wrapped in multipart/mixed')
    parts = list(p.iter_parts()) if p.is_multipart() else []
    if is_(len(parts), 2, 'two parts: the body, the footer'):
        is_(parts[0].get_content_charset(), 'iso-8859-1', 'the body keeps its charset')
        is_(parts[0].get_content(), "K\u00f6ln\n", 'the body decodes as before')
        is_(parts[1].get_content(), FOOT8, 'the footer part: UTF-8, decoded')
    is_(p['Message-ID'], '<1@example.com>', 'the other header fields stay on top')

    # text/html: the HTML footer (-H) at the end of the document
    m = HEAD + b"MIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\n\n<html><body><p>Hi</p></body></html>\n"
    r = footer(m, FOOT, html='<p class="footer">ACME Corp.</p>\n')
    is_(r.message, m + b'<p class="footer">ACME Corp.</p>\n', 'text/html: the -H footer appended')
    r = footer(m, FOOT8)
    is_(text_of(r.message), "<html><body><p>Hi</p></body></html>\n<pre>-- \nSoci\u00e9t\u00e9 G\u00e9n\u00e9rale \u2013 confidentiel &amp; &lt;priv\u00e9&gt;</pre>\n",
        'text/html without -H: the text footer escaped in <pre>')

    # other text types are not touched in place: text/calendar gets wrapped
    m = HEAD + b"MIME-Version: 1.0\nContent-Type: text/calendar; method=REQUEST\n\nBEGIN:VCALENDAR\nEND:VCALENDAR\n"
    r = footer(m)
    p = parse(r.message)
    ok(p.get_content_type() == 'multipart/mixed' and b"BEGIN:VCALENDAR\nEND:VCALENDAR\n" in r.message, 'text/calendar: wrapped, its content intact')


run(main)
