#!/usr/bin/python3
# Proves: CHUNKING (RFC 3030): BDAT chunks are taken byte-exactly (no dot
# handling: "\r\n.\r\n" inside a chunk is data), a CRLF split between two
# chunks is fine, BDAT 0 LAST ends a message, bare LF in BDAT is refused,
# an over-size chunk is consumed then refused 552 with the session in sync,
# DATA after BDAT is refused, and BDAT can be pipelined.
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from dcrtest import *


def bdat(c, data, last=False):
    c.send(b'BDAT %d%s\r\n' % (len(data), b' LAST' if last else b'') + data)
    return c.reply()


def start(c):
    c.cmd('EHLO client.dcrtest')
    c.cmd('MAIL FROM:<a@localhost>')
    return c.cmd('RCPT TO:<b@localhost>')


def stored_body(gw, text):
    qid = queued_id(text)
    if qid not in gw.queued():
        return None
    m = gw.message(qid)
    i = m.find(b'\nSubject: ')
    return m[i + 1:] if i >= 0 else m


def main():
    with Gateway(max_size=100000) as gw:
        with gw.raw() as c:
            code, text = c.cmd('EHLO client.dcrtest')
            ok('CHUNKING' in text, 'CHUNKING advertised')
            c.cmd('MAIL FROM:<a@localhost>')
            c.cmd('RCPT TO:<b@localhost>')
            is_(bdat(c, b'Subject: bdat\r\n\r\n')[0], 250, 'BDAT chunk 1: 250')
            is_(bdat(c, b'line\r\n.\r\nMAIL FROM:<x@localhost>\r\n..two\r\n')[0], 250, 'BDAT chunk 2 with a dot line: 250')
            code, text = bdat(c, b'end\r\n', last=True)
            is_(code, 250, 'BDAT LAST: 250')
            like(text, r'queued as [0-9a-f]{23}', 'BDAT LAST reply carries the id')
            is_(stored_body(gw, text),
                b'Subject: bdat\n\nline\n.\nMAIL FROM:<x@localhost>\n..two\nend\n',
                'stored byte-exactly, CRLF -> LF, no dot handling')
            is_(c.cmd('NOOP')[0], 250, 'session in sync after BDAT')

        with gw.raw() as c:
            start(c)
            bdat(c, b'Subject: split\r')
            bdat(c, b'\n\r\nbody\r')
            code, text = bdat(c, b'\n', last=True)
            is_(code, 250, 'CRLF split between chunks: accepted')
            is_(stored_body(gw, text), b'Subject: split\n\nbody\n', 'CRLF split between chunks stored as LF')

        with gw.raw() as c:
            start(c)
            bdat(c, b'Subject: zero\r\n\r\nz\r\n')
            code, text = bdat(c, b'', last=True)
            is_(code, 250, 'BDAT 0 LAST ends the message')
            is_(stored_body(gw, text), b'Subject: zero\n\nz\n', 'BDAT 0 LAST: stored')

        with gw.raw() as c:
            start(c)
            c.send(b'BDAT 21\r\nSubject: piped\r\n\r\nxyzBDAT 0 LAST\r\nNOOP\r\n')
            r = [c.reply() for _ in range(3)]
            is_([x[0] for x in r], [250, 250, 250], 'pipelined BDATs and NOOP: three 250')
            ok(stored_body(gw, r[1][1]) in (b'Subject: piped\n\nxyz', b'Subject: piped\n\nxyz\n'),
               'pipelined chunks stored')

        n = len(gw.queued())
        for data, name in [(b'Subject: a\r\n\r\nbare\nlf\r\n', 'bare LF'),
                           (b'Subject: a\r\n\r\nbare\rcr\r\n', 'bare CR'),
                           (b'Subject: a\r\n\r\nends in LF\n', 'final bare LF')]:
            with gw.raw() as c:
                start(c)
                code, text = bdat(c, data, last=True)
                ok(code is not None and code >= 500 and 'queued' not in text, name + ' in BDAT LAST: refused 5xx')
                is_(c.cmd('NOOP')[0], 250, name + ' in BDAT: session in sync')
            with gw.raw() as c:
                start(c)
                r1 = bdat(c, data)
                r2 = bdat(c, b'more\r\n', last=True)
                ok(r2[0] is not None and r2[0] >= 500 and 'queued' not in r1[1] + r2[1],
                   name + ' in an early chunk: message refused 5xx')
                is_(c.cmd('NOOP')[0], 250, name + ' in an early chunk: session in sync')
        is_(len(gw.queued()), n, 'no message with bare CR/LF queued')

        with gw.raw() as c:
            start(c)
            code, text = bdat(c, b'x' * 200000, last=True)
            like(text, r'^552', 'chunk over max-size: 552')
            is_(c.cmd('NOOP')[0], 250, 'over-size chunk was consumed: session in sync')
        with gw.raw() as c:
            start(c)
            r = [bdat(c, b'y' * 60000)[0], bdat(c, b'y' * 60000, last=True)[0]]
            ok(r[1] == 552 or (r[0] == 552), 'two chunks over max-size in total: 552')
            is_(c.cmd('NOOP')[0], 250, 'session in sync')
        is_(len(gw.queued()), n, 'no over-size message queued')

        dialogue(gw, '''
            S: 220
            C: EHLO client.dcrtest
            S: 250
            C: MAIL FROM:<a@localhost>
            S: 250
            C: RCPT TO:<b@localhost>
            S: 250
            C! BDAT 5\\r\\nhello
            S: 250
            C: DATA
            S: 5
            C: BDAT x
            S: 5
            C: BDAT -1
            S: 5
            C: BDAT 1 LAST EXTRA
            S: 5
        ''', 'DATA after BDAT and bad BDAT arguments')
        is_(len(gw.queued()), n, 'nothing more queued')


run(main)
