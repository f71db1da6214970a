#!/usr/bin/python3
# dcr-smtpd -1 (conf/one-domain): the recipients of one message share one
# domain, so that a per-domain filter policy (doc/filters.md) applies to
# all of them; a recipient of another domain gets 452 4.5.3, and the
# client sends it in the next transaction. Without -1, nothing changes.
import os
import sys
sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'lib'))
from dcrtest import *  # noqa: F401,F403

ROUTES = "a.test maildir:/x\nb.test maildir:/x\n"


def main():
    with Gateway(routes=ROUTES, smtpd_opts=['-1'], capture=True) as gw:
        dialogue(gw, '''
            S: 220
            C: EHLO client.test
            S: 250
            C: MAIL FROM:<s@client.test>
            S: 250
            C: RCPT TO:<u1@a.test>
            S: 250
            C: RCPT TO:<u2@A.TEST>
            S: 250
            C: RCPT TO:<u3@b.test>
            S: 452 4.5.3
            C: RCPT TO:<u4@a.test>
            S: 250
            C: RCPT TO:<Postmaster>
            S: 452 4.5.3
            C: DATA
            S: 354
            C: Subject: one
            C:
            C: x
            C: .
            S: 250
            C: MAIL FROM:<s@client.test>
            S: 250
            C: RCPT TO:<u3@b.test>
            S: 250
            C: RCPT TO:<u5@a.test>
            S: 452 4.5.3
            C: DATA
            S: 354
            C: Subject: two
            C:
            C: x
            C: .
            S: 250
            C: QUIT
            S: 221
        ''', '-1: the second domain waits for the next transaction')
        caps = gw.captures()
        is_([c['env']['SMTP_RECIPIENTS'] for c in caps], ['u1@a.test\nu2@A.TEST\nu4@a.test', 'u3@b.test'],
            'each message has the recipients of one domain')
    with Gateway(routes=ROUTES, conf={'one-domain': '1\n'}) as gw:
        dialogue(gw, '''
            S: 220
            C: HELO client.test
            S: 250
            C: MAIL FROM:<s@client.test>
            S: 250
            C: RCPT TO:<u1@a.test>
            S: 250
            C: RCPT TO:<u3@b.test>
            S: 452 4.5.3
        ''', 'conf/one-domain 1 is the same as -1')
    with Gateway(routes=ROUTES) as gw:
        dialogue(gw, '''
            S: 220
            C: HELO client.test
            S: 250
            C: MAIL FROM:<s@client.test>
            S: 250
            C: RCPT TO:<u1@a.test>
            S: 250
            C: RCPT TO:<u3@b.test>
            S: 250
        ''', 'without -1: several domains in one message')


run(main, 60)
