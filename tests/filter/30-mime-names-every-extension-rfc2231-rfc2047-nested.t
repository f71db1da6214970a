#!/usr/bin/python3
# dcr-mimecheck on file names: the last extension and every other one
# (a.pdf.exe), any case (SETUP.EXE), trailing dots and blanks dropped as
# Windows does, names from Content-Disposition and from Content-Type,
# RFC 2231 (charset, continuations) and RFC 2047 encoded words, parts
# nested in multipart/alternative inside multipart/mixed and in an
# attached message/rfc822. A message without a blocked name goes on
# unchanged (stdin rewound, no new file).
import base64
import os
import sys
sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'lib'))
sys.path.insert(0, os.path.dirname(__file__))
from dcrtest import *  # noqa: F401,F403
from mimelib import new, attach, check, multipart, raw

RULES = """# executables are refused
reject ext exe,bat,vbs,scr,js
"""


def refused(name, r, shown=None):
    is_(r.rc, 100, name + ': exit 100')
    like(r.out, r'^5\.7\.1 attachment "%s" refused: files of type \.(exe|scr|bat) are not accepted\n$' % (shown or '[^"]+'), '  5.7.1 naming the attachment and the type')
    ok(r.message is None, '  the next program did not run')


def main():
    for fn in ('setup.exe', 'SETUP.EXE', 'report.pdf.exe', 'report.exe.pdf', 'a.exe.', 'a.exe . .', 'dir\\x.Bat'):
        m = attach(new(), b'MZ\x90\x00', fn)
        refused(repr(fn), check(RULES, m))

    m = attach(new(), b'%PDF-1.4', 'report.pdf')
    r = check(RULES, m)
    is_(r.rc, 0, 'report.pdf: accepted')
    is_(r.message, raw(m), '  passed on byte-identical (the original, rewound)')
    is_(r.err, '', '  nothing logged')

    m = attach(new(), b'%PDF', 'nameexe')
    is_(check(RULES, m).rc, 0, 'no dot before exe: accepted')

    # RFC 2231: non-ASCII names come out as filename*=utf-8''..., long ones as continuations
    long_name = '\u00e9t\u00e9 ' + 'tr\u00e8s long nom de fichier ' * 4 + '.pdf.exe'
    m = attach(new(), b'MZ', long_name)
    hdr = bytes(m).decode()
    ok("filename*0*=utf-8''" in hdr or "filename*=utf-8''" in hdr, 'the email package wrote an RFC 2231 name')
    r = check(RULES, m)
    refused('RFC 2231 name', r)
    ok('\u00e9t\u00e9' not in r.out and 'pdf.exe' in r.out or '...' in r.out, '  shown in ASCII in the reply')
    like(r.err, r'event=mime-reject id=test-id-1 reason=ext detail=exe name=', '  logged with the id')

    hand = multipart('B1', [
        ('Content-Type: application/octet-stream\n'
         "Content-Disposition: attachment;\n filename*0*=iso-8859-1'fr'caf%E9;\n filename*1=\".sc\";\n filename*2*=r%20\n", 'MZ'),
    ])
    refused('RFC 2231 continuations in ISO-8859-1, the last with a trailing blank', check(RULES, hand), 'caf\\?\\?\\.scr ')

    enc = base64.b64encode('r\u00e9sum\u00e9.exe'.encode()).decode()
    hand = multipart('B2', [('Content-Type: application/octet-stream; name="=?UTF-8?B?%s?="' % enc, 'MZ')])
    refused('RFC 2047 name in Content-Type only', check(RULES, hand), 'r\\?\\?sum\\?\\?\\.exe')
    hand = multipart('B3', [('Content-Type: application/pdf; name="ok.pdf"\n'
                             'Content-Disposition: attachment; filename="=?iso-8859-1?Q?caf=E9?= =?UTF-8?Q?=2Eexe?="', 'MZ')])
    refused('RFC 2047 Q words in filename, a different name in Content-Type', check(RULES, hand))

    # nested: mixed -> alternative -> mixed
    inner = new(text=None)
    inner.make_mixed()
    m = new(text='plain text\n')
    m.add_alternative('<p>html</p>', subtype='html')
    alt_html = m.get_payload()[1]
    alt_html.make_mixed()
    attach(alt_html, b'MZ', 'deep.vbs')
    m.make_mixed()
    attach(m, b'%PDF', 'fine.pdf')
    ok(b'multipart/alternative' in bytes(m) and bytes(m).count(b'multipart/mixed') >= 2, 'multipart/mixed in multipart/alternative in multipart/mixed built')
    r = check(RULES, m)
    is_(r.rc, 100, 'a .vbs two multiparts deep: refused')
    like(r.out, r'deep\.vbs', '  named')

    fwd = new(subject='fwd')
    inner = attach(new(subject='inner'), b'MZ', 'inside.js')
    fwd.add_attachment(inner)
    ok(b'message/rfc822' in bytes(fwd), 'a message/rfc822 attachment built')
    r = check(RULES, fwd)
    is_(r.rc, 100, 'a .js inside an attached message: refused')


run(main)
