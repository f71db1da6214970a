#!/usr/bin/python3
# dcr-footer on multipart messages built by python's email package:
# multipart/alternative (the plain and the html part each get their
# footer), multipart/mixed with an attachment (the first text part gets
# it, the attachment stays byte-identical), mixed > alternative >
# related (nested), html only, a text attachment that is not the body,
# and a quoted-printable html part.
import email
import email.policy
import os
import sys
import tempfile
from email.message import EmailMessage
sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'lib'))
sys.path.insert(0, os.path.dirname(__file__))
from dcrtest import *  # noqa: F401,F403
from filterlib import run_filter

FOOT = "-- \nACME Corp. \u2013 confidential.\n"
HTML = '<hr><p style="font-size:small">ACME Corp. &ndash; confidential.</p>\n'
PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"


def footer(msg, text=FOOT, html=HTML):
    d = tempfile.mkdtemp(prefix='dcr-footer-')
    argv = ['dcr-footer', '-t', os.path.join(d, 't')]
    with open(argv[-1], 'w', encoding='utf-8') as f:
        f.write(text)
    if html is not None:
        argv += ['-H', os.path.join(d, 'h')]
        with open(argv[-1], 'w', encoding='utf-8') as f:
            f.write(html)
    if isinstance(msg, EmailMessage):
        msg = msg.as_bytes(policy=email.policy.SMTP).replace(b'\r\n', b'\n')
    return run_filter(argv, msg), msg


def parse(b):
    return email.message_from_bytes(b, policy=email.policy.default)


def base():
    m = EmailMessage()
    m['From'] = 'Alice <alice@example.com>'
    m['To'] = 'bob@example.net'
    m['Subject'] = 'report'
    return m


def leaves(p):
    return [x for x in p.walk() if not x.is_multipart()]


def part_bytes(raw, marker):
    """the raw text of the MIME part holding marker, between its boundary lines"""
    i = raw.index(marker)
    s = raw.rindex(b'\n--', 0, i)
    e = raw.index(b'\n--', i)
    return raw[s:e]


def main():
    # multipart/alternative: plain (7bit ascii) and html (utf-8 8bit)
    m = base()
    m.set_content("Hello Bob,\nthe report.\n")
    m.add_alternative("<html><body><p>Hello Bob, the r\u00e9port.</p></body></html>\n", subtype='html')
    r, raw = footer(m)
    is_(r.rc, 0, 'alternative: the chain went on')
    p = parse(r.message)
    plain, html = p.get_body(('plain',)), p.get_body(('html',))
    is_(plain.get_content(), "Hello Bob,\nthe report.\n" + FOOT, 'alternative: the plain part ends with the text footer')
    ok(html.get_content().endswith("</html>\n" + HTML), 'alternative: the html part ends with the HTML footer')
    is_(r.err.count('what=append'), 2, 'two appends logged')
    is_(p['Subject'], 'report', 'the top header kept')

    # multipart/mixed: body + PDF attachment
    m = base()
    m.set_content("See the attached file.\n")
    m.add_attachment(PDF, maintype='application', subtype='pdf', filename='report.pdf')
    r, raw = footer(m)
    p = parse(r.message)
    is_(p.get_body(('plain',)).get_content(), "See the attached file.\n" + FOOT, 'mixed: the body part gets the footer')
    att = [x for x in p.iter_attachments()]
    ok(len(att) == 1 and att[0].get_content() == PDF, 'mixed: the attachment decodes to the same bytes')
    marker = raw[raw.index(b'filename="report.pdf"'):][:40]
    is_(part_bytes(r.message, marker), part_bytes(raw, marker), 'mixed: the attachment part byte-identical')

    # mixed > alternative > (plain, related > (html, image)), and a text attachment after
    m = base()
    m.set_content("nested plain\n")
    m.add_alternative("<html><body><img src=\"cid:logo\"><p>nested</p></body></html>\n", subtype='html')
    m.get_payload()[1].add_related(b"\x89PNG\r\n\x1a\n" + b"\0" * 300, maintype='image', subtype='png', cid='<logo>')
    m.make_mixed()
    m.add_attachment("an attached text file\n", filename='notes.txt')
    r, raw = footer(m)
    p = parse(r.message)
    ok(p.get_body(('plain',)).get_content() == "nested plain\n" + FOOT, 'nested: the first plain part gets the footer')
    ok(p.get_body(('html',)).get_content().rstrip('\n').endswith(HTML.rstrip('\n')), 'nested: the html inside related gets the HTML footer')
    notes = [x for x in p.iter_attachments() if x.get_filename() == 'notes.txt']
    ok(notes and notes[0].get_content() == "an attached text file\n", 'nested: the text attachment is not a body: untouched')
    img = [x for x in p.walk() if x.get_content_type() == 'image/png']
    ok(img and img[0].get_content().startswith(b"\x89PNG"), 'nested: the related image intact')

    # html only (in a mixed with an attachment), and no -H: the text escaped in <pre>
    m = base()
    m.set_content("<html><body><p>only html &amp; more</p></body></html>\n", subtype='html')
    m.add_attachment(PDF, maintype='application', subtype='pdf', filename='a.pdf')
    r, raw = footer(m, html=None)
    p = parse(r.message)
    ok(p.get_body(('html',)).get_content().endswith("</html>\n<pre>-- \nACME Corp. \u2013 confidential.</pre>\n"),
       'html only, no -H: the text footer in <pre>, escaped')
    ok(p.get_body(('plain',)) is None, 'no text/plain part invented when the html one took the footer')

    # quoted-printable html
    m = base()
    m.set_content("x\n")
    m.add_alternative("<p>" + "caf\u00e9 " * 40 + "</p>\n", subtype='html', cte='quoted-printable')
    r, raw = footer(m)
    p = parse(r.message)
    ok(p.get_body(('html',)).get_content() == "<p>" + "caf\u00e9 " * 40 + "</p>\n" + HTML,
       'quoted-printable html: decoded, the old html then the footer')
    ok(all(len(l) <= 998 for l in r.message.split(b'\n')), 'no line over 998 octets')

    # a message through twice gets two footers: dcr-footer does not look for its own
    m = base()
    m.set_content("twice\n")
    r1, raw = footer(m)
    r2, _ = footer(r1.message)
    is_(parse(r2.message).get_content().count('ACME Corp.'), 2, 'twice through: two footers (documented)')


run(main)
