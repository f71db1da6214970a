#!/usr/bin/python3
# Proves: dcr-remote delivers to a real SMTP server (aiosmtpd): the body
# the server receives is the message file with CRLF line ends, exactly
# (dots, 8-bit bytes, a 998-octet line, an empty message); the envelope
# is the job's (null sender, several recipients); verdicts are one line
# per recipient in job order, then "ID<TAB>done", and nothing else.
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from remotelib import *
from dcrtest import *

BODY = (b'Subject: dots\n\n.\n..\n...\n.leading dot\nend.\n' + b'x' * 998 + b'\n'
        + b'caf\xc3\xa9 8-bit \xff\x80\n.\n')


def main():
    with TempDir() as td, AioSink() as sink:
        m1 = td.write('m1', BODY)
        m2 = td.write('m2', b'')
        m3 = td.write('m3', b'Subject: plain\n\nhello\n')
        jobs = (job('J1', m1, '<alice@example.com> BODY=8BITMIME', 'bob@example.net', 'carol@example.net')
                + job('J2', m2, '', 'dave@example.org')
                + job('J3', m3, 'alice@example.com', 'erin@example.org'))
        r = remote(sink.target, jobs, ['-T', '10'])
        is_(r.rc, 0, 'exit 0 at EOF')
        ok(r.wellformed(), 'stdout holds only verdict and done lines')
        if not r.wellformed():
            diag(r.out)
        v = r.verdicts()
        is_([x[:3] for x in v], [('J1', 'bob@example.net', 'D'), ('J1', 'carol@example.net', 'D'),
                                 ('J2', 'dave@example.org', 'D'), ('J3', 'erin@example.org', 'D')],
            'one D verdict per recipient, in job order')
        like(v[0][3] if v else '', r'^250 2\.0\.0 Ok: queued as AIO1$', 'the server reply, with its code')
        is_(r.done(), ['J1', 'J2', 'J3'], 'a done line per job')
        is_(r.lines[2], 'J1\tdone', 'done follows the verdicts of its job')
        is_(len(sink.envelopes), 3, 'three messages arrived')
        if len(sink.envelopes) == 3:
            e1, e2, e3 = sink.envelopes
            is_(e1['content'], BODY.replace(b'\n', b'\r\n'), 'body byte-identical (CRLF), dots unstuffed by the server')
            is_(e1['mail_from'], 'alice@example.com', 'sender')
            is_(e1['rcpt_tos'], ['bob@example.net', 'carol@example.net'], 'both recipients in one transaction')
            ok('BODY=8BITMIME' in e1['mail_options'], 'BODY=8BITMIME passed (the server offers 8BITMIME)')
            ok(any(o.startswith('SIZE=') for o in e1['mail_options']), 'SIZE= given (the server offers SIZE)')
            ok(e2['mail_from'] in ('', '<>'), 'null sender')
            is_(e2['content'], b'', 'empty message')
            is_(e3['content'], b'Subject: plain\r\n\r\nhello\r\n', 'plain message')
        is_(sink.connections, 1, 'one connection for the three jobs')
        like(r.err, rb'id=J1 rcpt=bob@example.net status=D', 'logged with id=')

        # a last line without LF gets its CRLF
        m4 = td.write('m4', b'Subject: x\n\nno newline at end')
        r = remote(sink.target, job('J4', m4, 'a@example.com', 'b@example.com'), ['-T', '10'])
        is_(r.verdicts()[0][2] if r.verdicts() else None, 'D', 'message without final LF delivered')
        is_(sink.envelopes[-1]['content'], b'Subject: x\r\n\r\nno newline at end\r\n', '  and its last line ended with CRLF')

        # the by-hand example of doc/agents.md, through a shell pipe
        p = subprocess.run("printf 'X1\\t%s\\talice@example.com\\tbob@example.net\\n' | %s '%s'"
                           % (m3, bin_path('dcr-remote'), sink.target), shell=True,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
        like(p.stdout, rb'^X1\tbob@example.net\tD\t250 2\.0\.0 Ok: queued as AIO1\nX1\tdone\n$', 'by-hand example')


run(main, timeout=120)
