#!/usr/bin/python3
# dcr-mimecheck on content types (exact, type/*) and on the decoded text
# of text/* parts: a word (case-insensitive substring) or a POSIX
# extended regular expression, matched line by line after
# quoted-printable or base64 decoding (a phrase cut by a QP soft line
# break is found; one cut by a real line end is not). Attachments that
# are not text are not read for words.
import base64
import os
import sys
sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'lib'))
sys.path.insert(0, os.path.dirname(__file__))
from dcrtest import *  # noqa: F401,F403
from mimelib import new, attach, check, multipart, raw

RULES = """reject type application/x-msdownload,application/x-dosexec
tag type audio/*
reject word "click here to win"
reject regex "v[i1]agra|c[i1]al[i1]s"
"""


def main():
    m = attach(new(), b'MZ', 'tool.bin', 'application', 'x-msdownload')
    r = check(RULES, m)
    is_((r.rc, r.out), (100, '5.7.1 content of type application/x-msdownload is not accepted\n'), 'a blocked content type: 554 5.7.1 naming it')
    like(r.err, r'event=mime-reject id=test-id-1 reason=type detail=application/x-msdownload name=tool\.bin rule=1', '  logged')

    m = attach(new(), b'ID3', 'song.mp3', 'audio', 'mpeg')
    r = check(RULES, m)
    ok(r.rc == 0 and r.message.startswith(b'X-DCR-MIME: content type audio/mpeg\n'), 'type audio/*: tagged')

    long_line = 'Dear friend, ' * 3 + 'CLICK HERE TO WIN' + ' a prize' * 20 + '\n'
    m = new(text='hello\n' + long_line, cte='quoted-printable')
    ok(b'=\n' in bytes(m) and b'Content-Transfer-Encoding: quoted-printable' in bytes(m), 'a QP text part with soft line breaks built')
    r = check(RULES, m)
    is_((r.rc, r.out), (100, '5.7.1 message refused: its text holds a blocked phrase ("click here to win")\n'), 'a word in a QP-encoded text part: refused')
    like(r.err, r'event=mime-reject id=test-id-1 reason=word detail="click here to win"', '  logged')

    qp_cut = ('From: a@example.org\nMIME-Version: 1.0\nContent-Type: text/plain\n'
              'Content-Transfer-Encoding: quoted-printable\n\nplease click he=\nre to=20win now\n').encode()
    is_(check(RULES, qp_cut).rc, 100, 'a word cut by a QP soft line break: found')
    line_cut = b'From: a@example.org\n\nplease click here\nto win now\n'
    is_(check(RULES, line_cut).rc, 0, 'a word cut by a real line end: not found (line by line)')

    m = new(text='Cheap V1AGRA here\n', cte='base64')
    ok(b'Content-Transfer-Encoding: base64' in bytes(m) and b'V1AGRA' not in bytes(m), 'a base64 text part built')
    r = check(RULES, m)
    is_((r.rc, r.out), (100, '5.7.1 message refused: its text matches a blocked pattern\n'), 'a regex in a base64-encoded text part: refused')
    like(r.err, r'reason=regex detail=v\[i1\]agra', '  logged with the expression')

    m = new(text='plain\n')
    m.add_alternative('<p>cialis</p>', subtype='html')
    is_(check(RULES, m).rc, 100, 'a regex in the text/html alternative: refused')

    m = attach(new(), b'click here to win viagra', 'data.bin')
    is_(check(RULES, m).rc, 0, 'the words inside an application/octet-stream attachment: not read')

    m = new(text='nothing to see here\nclick here to lose\n')
    r = check(RULES, m)
    is_(r.rc, 0, 'clean text: accepted')
    is_(r.message, raw(m), '  unchanged')

    r = check('tag word "lose" "suspicious words"\nset tag-header X-Policy\n', m)
    ok(r.rc == 0 and r.message.startswith(b'X-Policy: suspicious words\n'), 'tag word with its own text under a configured header name')

    r = check('remove word "lose"\n', attach(new(text='click here to lose\n'), b'%PDF', 'a.pdf'))
    ok(r.rc == 0 and b'click here to lose' not in r.message and b'dcr-mimecheck removed a part (text/plain): blocked phrase "lose".' in r.message and b'a.pdf' in r.message,
       'remove word: the text part replaced, the attachment kept')

    long_text = ('x' * 10000 + ' click here to win ' + 'y' * 10000 + '\n')
    m = ('From: a@example.org\n\n' + long_text).encode()
    is_(check(RULES, m).rc, 100, 'a word in the middle of a 20000-octet line: found')


run(main)
