#!/usr/bin/python3
# Proves: dcr-enqueue refuses a bad envelope from its environment with one
# line "550 5.5.0 bad envelope: <why>" and exit 100, and leaves nothing in
# the queue: no recipients, empty or control-character fields, misaligned
# DSN lines, bad keywords, overlong fields. Usage errors exit 100; a queue
# it cannot enter is a temporary failure (451, exit 111).
import os, shutil, sys, tempfile
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, '..', 'lib'))
sys.path.insert(0, here)
from dcrtest import *
from queuetest import *

BAD = [
    ({'SMTP_RECIPIENTS': None}, 'no recipients'),
    ({'SMTP_RECIPIENTS': ''}, 'no recipients'),
    ({'SMTP_RECIPIENTS': 'a@b\n'}, 'empty recipient 2'),
    ({'SMTP_RECIPIENTS': 'a@b\n\nc@d'}, 'empty recipient 2'),
    ({'SMTP_RECIPIENTS': 'a@b\nc\td'}, 'control character in recipient 2'),
    ({'SMTP_RECIPIENTS': 'a\r@b'}, 'control character in recipient 1'),
    ({'SMTP_RECIPIENTS': 'x' * 1100 + '@b'}, 'too long: recipient 1'),
    ({'SMTP_SENDER': None}, 'no SMTP_SENDER'),
    ({'SMTP_SENDER': 'a\x1b@b'}, 'control character in sender'),
    ({'SMTP_SENDER': 'a\x7f@b'}, 'control character in sender'),
    ({'SMTP_HELO': 'evil\rhelo'}, 'control character in helo'),
    ({'SMTP_AUTHUSER': 'u\nv'}, 'control character in authuser'),
    ({'SMTP_DSN_ENVID': 'e' * 101}, 'too long: envid'),
    ({'SMTP_DSN_NOTIFY': 'SUCCESS\nFAILURE'}, 'SMTP_DSN_NOTIFY lines do not match SMTP_RECIPIENTS'),
    ({'SMTP_DSN_NOTIFY': 'ALWAYS'}, 'bad notify of recipient 1'),
    ({'SMTP_DSN_NOTIFY': 'NEVER,SUCCESS'}, 'bad notify of recipient 1'),
    ({'SMTP_DSN_ORCPT': 'rfc822;a@b\nrfc822;c@d'}, 'SMTP_DSN_ORCPT lines do not match SMTP_RECIPIENTS'),
    ({'SMTP_DSN_ORCPT': 'no-type'}, 'bad orcpt of recipient 1'),
    ({'SMTP_BODY': '9BIT'}, 'bad body'),
    ({'SMTP_DSN_RET': 'ALL'}, 'bad ret'),
    ({'SMTP_SMTPUTF8': 'yes'}, 'SMTP_SMTPUTF8 is not 1'),
    ({'SMTP_PROTO': 'ESMTP\tX'}, 'bad proto'),
    ({'TCPREMOTEIP': '1.2.3.4 5'}, 'bad remote ip'),
    ({'DCR_PRIORITY': 'high'}, 'bad DCR_PRIORITY'),
    ({'DCR_PRIORITY': '1001'}, 'bad DCR_PRIORITY'),
    ({'DCR_PRIORITY': '5x'}, 'bad DCR_PRIORITY'),
]


def main():
    top = tempfile.mkdtemp(prefix='dcrq-')
    try:
        q = Queue(top)
        for env, why in BAD:
            rc, out, err = enqueue(q.path, b'Subject: x\n\nx\n', env)
            is_((rc, out), (100, '550 5.5.0 bad envelope: %s\n' % why), 'refused: %s' % why)
        like(err, r'event=refused .*step=envelope', 'refusal logged')
        is_((q.ids(), q.files('mess'), q.files('tmp')), ([], [], []), 'no trace in new/ mess/ tmp/')

        # a fine envelope next to them still works
        rc, out, err = enqueue(q.path, b'x\n', {'SMTP_SENDER': '', 'DCR_PRIORITY': '-1000'})
        ok(rc == 0 and q.ids() == [out.strip()], 'null sender, priority -1000: queued')

        rc, out, err = enqueue(q.path, argv=[ENQUEUE])
        ok(rc == 100 and out == '' and 'usage' in err, 'no QUEUEDIR: usage, exit 100')
        rc, out, err = enqueue(q.path, argv=[ENQUEUE, os.path.join(top, 'nosuchdir')])
        is_((rc, out), (111, '451 4.3.0 queue write failed\n'), 'missing QUEUEDIR: 451, exit 111')
        like(err, 'step="chdir to queue"', 'the log says what failed')
    finally:
        shutil.rmtree(top, ignore_errors=True)


run(main)
