#!/usr/bin/python3
# The remove action: the part (header and body) is replaced by a short
# text/plain part saying what was removed; every other octet is copied
# unchanged, and the result parses with python's email package. The tag
# action: one header on top (X-DCR-MIME, or the name set by tag-header),
# the message unchanged under it. A message that is itself the blocked
# "attachment" cannot lose it: refused. A broken rules file is a 4.3.5
# configuration error naming file:line, exit 111.
import os
import subprocess
import re
import sys
import tempfile
sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'lib'))
sys.path.insert(0, os.path.dirname(__file__))
from dcrtest import *  # noqa: F401,F403
from filterlib import run_filter
from mimelib import new, attach, check, parse, raw

RULES = 'remove ext exe\ntag type application/pdf\n'


def segments(b, boundary):
    return b.split(b'\n--' + boundary.encode())


def main():
    m = new(text='see the files\n')
    attach(m, b'%PDF-1.4 keep me', 'keep.pdf', 'application', 'pdf')
    attach(m, b'MZ\x90\x00' * 100, 'evil.exe')
    attach(m, b'plain notes\n', 'notes.txt', 'text', 'plain')
    orig = raw(m)
    r = check(RULES, m)
    is_(r.rc, 0, 'remove ext exe: accepted')
    out = r.message or b''
    first, rest = out.split(b'\n', 1)
    is_(first, b'X-DCR-MIME: content type application/pdf; removed file type .exe: evil.exe', 'one tag header: the pdf tagged, the removal said')
    b = m.get_boundary()
    so, sr = segments(orig, b), segments(rest, b)
    is_(len(sr), len(so), '  as many parts as before')
    changed = [i for i in range(min(len(so), len(sr))) if so[i] != sr[i]]
    is_(changed, [3], '  only the third part differs, every other octet unchanged')
    p = parse(rest)
    got = [(q.get_content_type(), q.get_filename()) for q in p.iter_parts()]
    is_(got, [('text/plain', None), ('application/pdf', 'keep.pdf'), ('text/plain', None), ('text/plain', 'notes.txt')],
        '  the email package reads it: the .exe became a text/plain part')
    repl = list(p.iter_parts())[2].get_content()
    is_(repl, 'dcr-mimecheck removed the attachment "evil.exe" (application/octet-stream): file type .exe: evil.exe.', '  saying what was removed')
    is_(list(p.iter_parts())[1].get_content(), b'%PDF-1.4 keep me', '  keep.pdf decodes as before')
    like(r.err, r'event=mime-remove id=test-id-1 reason=ext detail=exe name=evil\.exe rule=1', '  logged as mime-remove')
    like(r.err, r'event=mime-tag id=test-id-1 reason=type detail=application/pdf name=keep\.pdf rule=2', '  and the tag as mime-tag')

    r = check('remove ext exe "This attachment was removed by policy."\n', attach(new(), b'MZ', 'a.exe'))
    p = parse(r.message.split(b'\n', 1)[1])
    is_([q.get_content() for q in p.iter_parts()][1], 'This attachment was removed by policy.', 'remove with its own text')

    last = b'From: a@example.org\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=E\n\n--E\n\ntext\n--E\nContent-Type: application/x-x; name=z.exe\n\nMZ'
    r = check(RULES, last)
    ok(r.rc == 0 and r.message.endswith(b'--E\nContent-Type: text/plain; charset=us-ascii\nContent-Disposition: inline\nContent-Transfer-Encoding: 7bit\n\n'
                                        b'dcr-mimecheck removed the attachment "z.exe" (application/x-x): file type .exe: z.exe.\n'),
       'an unclosed last part removed to the end, a newline added')

    single = b'From: a@example.org\nMIME-Version: 1.0\nContent-Type: application/octet-stream; name=only.exe\nContent-Transfer-Encoding: base64\n\nTVo=\n'
    r = check(RULES, single)
    is_((r.rc, r.out), (100, '5.7.1 attachment "only.exe" refused: files of type .exe are not accepted\n'), 'a message that is the .exe itself: refused, not emptied')

    # configuration errors
    with tempfile.TemporaryDirectory() as d:
        f = os.path.join(d, 'rules')
        for text, line, why in (
            ('reject ext exe\nreject extension exe\n', 2, 'unknown kind'),
            ('# c\n\nrejekt ext exe\n', 3, 'unknown action'),
            ('reject regex "a(b"\n', 1, 'bad regular expression'),
            ('reject word "unterminated\n', 1, 'unterminated quoted string'),
            ('remove malformed\n', 1, 'malformed MIME cannot be removed'),
            ('set max-parts lots\n', 1, 'max-parts is a number'),
            ('reject ext a.exe\n', 1, 'an extension is a name without'),
            ('reject type exe\n', 1, 'a content type is type/subtype'),
            ('tag ext exe "a" "b"\n', 1, 'too many words'),
        ):
            with open(f, 'w') as fh:
                fh.write(text)
            r = run_filter(['dcr-mimecheck', '-f', f], raw(new()))
            ok(r.rc == 111 and r.out == '4.3.5 dcr-mimecheck: configuration error\n' and (f + ':%d: ' % line) in r.err and why in r.err and r.message is None,
               'config error %r: 4.3.5, exit 111, %s:%d: %s' % (text.strip(), 'rules', line, why))
            if r.rc != 111:
                diag(r.out + r.err)
        r = run_filter(['dcr-mimecheck', '-f', os.path.join(d, 'missing')], raw(new()))
        ok(r.rc == 111 and r.out.startswith('4.3.5 ') and 'missing' in r.err, 'a missing rules file: 4.3.5, exit 111')
        for args in (['-f', f], ['--frob', '-f', f, '/bin/true'], ['/bin/true']):
            p = subprocess.run([bin_path('dcr-mimecheck')] + args, stdin=subprocess.DEVNULL, capture_output=True)
            ok(p.returncode == 111 and p.stdout.startswith(b'4.3.5 '),
               'bad command line %r: 4.3.5, exit 111 (a typo in the chain never bounces mail)' % ' '.join(args))


run(main)
