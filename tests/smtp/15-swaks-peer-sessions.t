#!/usr/bin/python3
# Proves: a real third-party client, swaks, talks to dcrouter: plain ESMTP,
# HELO-only SMTP, pipelined, 8-bit body, and a refused relay attempt
# (swaks exits non-zero, sees 554 5.7.1).
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from dcrtest import *


def main():
    with Gateway(capture=True) as gw:
        runs = [
            (['--to', 'a@localhost'], 'plain'),
            (['--to', 'b@localhost', '--protocol', 'SMTP', '--helo', 'old.dcrtest'], 'HELO protocol'),
            (['--to', 'c@localhost,d@localhost', '--pipeline'], 'pipelined, two recipients'),
            (['--to', 'e@localhost', '--body', 'caf\u00e9 \u2615',], '8-bit body'),
            (['--to', 'f@localhost', '--from', '<>'], 'null sender'),
        ]
        for args, name in runs:
            rc, out = swaks(gw, '--timeout', '10', *args)
            is_(rc, 0, 'swaks %s: exit 0' % name) or diag(out[-1500:])
            like(out, r'<-  250 2\.0\.0 Ok: queued as [0-9a-f]{23}', 'swaks %s: queued as ID' % name)
        is_(len(gw.queued()), len(runs), 'all queued')
        caps = gw.captures()
        if is_(len(caps), len(runs), 'child ran for each'):
            is_(caps[1]['env'].get('SMTP_PROTO'), 'SMTP', 'swaks --protocol SMTP: SMTP_PROTO=SMTP')
            is_(caps[2]['env'].get('SMTP_RECIPIENTS'), 'c@localhost\nd@localhost', 'two recipients')
            ok('caf\u00e9'.encode() in caps[3]['message'], '8-bit body kept')
            is_(caps[4]['env'].get('SMTP_SENDER'), '', 'null sender')

        rc, out = swaks(gw, '--timeout', '10', '--to', 'x@other.test')
        ok(rc != 0, 'swaks relay attempt: non-zero exit (%d)' % rc)
        like(out, r'554 5\.7\.1', 'swaks relay attempt: 554 5.7.1')
        is_(len(gw.queued()), len(runs), 'nothing more queued')


run(main)
