#!/usr/bin/python3
# Proves: MAIL and RCPT parameters are parsed strictly and bounded (the
# Exim "21Nails" class): the known ones with good values are accepted,
# unknown ones get 555 5.5.4, bad values / duplicates / overlong / garbage
# get a 5xx, and a parameter of MAIL is not taken at RCPT or vice versa.
# Each case runs on its own connection (so the error limit never bites).
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from dcrtest import *

F = 'MAIL FROM:<a@localhost>'
T = 'RCPT TO:<b@localhost>'

MAIL_OK = [
    'SIZE=100', 'SIZE=0', 'size=100', 'BODY=8BITMIME', 'BODY=7BIT', 'body=8bitmime',
    'SMTPUTF8', 'RET=FULL', 'RET=HDRS', 'ret=hdrs', 'ENVID=abc', 'ENVID=a+2Bb+3Dc',
    'SIZE=100 BODY=8BITMIME SMTPUTF8 RET=FULL ENVID=QQ123',
    'AUTH=<>', 'AUTH=a+40b',
]
MAIL_BAD = [  # (params, expected prefix)
    ('XFOO=1', '555 5.5.4'),
    ('FOO', '555 5.5.4'),
    ('X-UNKNOWN', '555 5.5.4'),
    ('NOTIFY=SUCCESS', '5'),            # RCPT-only parameter at MAIL
    ('ORCPT=rfc822;a+40b', '5'),        # RCPT-only parameter at MAIL
    ('SIZE=abc', '5'), ('SIZE=-1', '5'), ('SIZE=', '5'), ('SIZE', '5'),
    ('SIZE=1x', '5'), ('SIZE=99999999999999999999999999', '5'),
    ('SIZE=1 SIZE=2', '5'), ('BODY=8BITMIME BODY=7BIT', '5'), ('RET=FULL RET=HDRS', '5'),
    ('ENVID=a ENVID=b', '5'), ('SMTPUTF8 SMTPUTF8', '5'),
    ('BODY=BINARYMIME', '5'), ('BODY=', '5'), ('BODY=8BIT', '5'), ('BODY', '5'),
    ('SMTPUTF8=yes', '5'),
    ('RET=ALL', '5'), ('RET=', '5'), ('RET', '5'),
    ('ENVID=', '5'), ('ENVID=bad+ZZ', '5'), ('ENVID=bad+2', '5'), ('ENVID=bad+0A', '5'),
    ('ENVID=bad+00', '5'), ('ENVID=sp ace', '5'), ('ENVID=' + 'e' * 200, '5'),
    ('ENVID=a=b', '5'),
    ('=1', '5'), ('SIZE==1', '5'), ('SIZE=1=2', '5'),
    ('SIZE=1\x01', '5'), ('SIZE=1\x00', '5'), ('\x7f=1', '5'),
    ('X' + 'A' * 400 + '=1', '5'),
    ('AUTH=', '5'), ('AUTH=bad+ZZ', '5'), ('AUTH=<> AUTH=<>', '5'), ('AUTH=' + 'u' * 600, '5'),
    ('AUTH=a+0Ab', '5'),
]
RCPT_OK = [
    'NOTIFY=SUCCESS', 'NOTIFY=FAILURE', 'NOTIFY=DELAY', 'NOTIFY=SUCCESS,FAILURE,DELAY',
    'NOTIFY=NEVER', 'notify=success', 'ORCPT=rfc822;b@localhost', 'ORCPT=rfc822;b+40localhost',
    'ORCPT=RFC822;b@localhost', 'NOTIFY=FAILURE ORCPT=rfc822;b@localhost',
]
RCPT_BAD = [
    ('XFOO=1', '555 5.5.4'),
    ('SIZE=100', '5'), ('BODY=8BITMIME', '5'), ('RET=FULL', '5'), ('ENVID=x', '5'),
    ('NOTIFY=NEVER,SUCCESS', '5'), ('NOTIFY=BOGUS', '5'), ('NOTIFY=', '5'), ('NOTIFY', '5'),
    ('NOTIFY=SUCCESS,', '5'), ('NOTIFY=,', '5'), ('NOTIFY=SUCCESS,NEVER', '5'),
    ('NOTIFY=SUCCESS NOTIFY=FAILURE', '5'),
    ('ORCPT=rfc822', '5'), ('ORCPT=', '5'), ('ORCPT=;b@localhost', '5'),
    ('ORCPT=rfc822;b+ZZ', '5'), ('ORCPT=rfc822;b+0Ax', '5'), ('ORCPT=rfc822;b+0Dx', '5'), ('ORCPT=rfc822;' + 'o' * 600, '5'),
    ('ORCPT=rfc822;a ORCPT=rfc822;b', '5'),
]


def main():
    with Gateway() as gw:
        for p in MAIL_OK:
            r = session(gw, F + ' ' + p)
            like(r[0][1], r'^250', 'MAIL %s -> 250' % p)
        for p, want in MAIL_BAD:
            r = session(gw, F + ' ' + p, 'NOOP')
            ok(r[0][1].startswith(want), 'MAIL %r -> %s' % (p[:40], want)) or diag('  got %r' % (r[0],))
            is_(r[1][0], 250, 'MAIL %r: session in sync' % p[:40])
        for p in RCPT_OK:
            r = session(gw, F, T + ' ' + p)
            like(r[1][1], r'^250', 'RCPT %s -> 250' % p)
        for p, want in RCPT_BAD:
            r = session(gw, F, T + ' ' + p, 'NOOP')
            ok(r[1][1].startswith(want), 'RCPT %r -> %s' % (p[:40], want)) or diag('  got %r' % (r[1],))
            is_(r[2][0], 250, 'RCPT %r: session in sync' % p[:40])

        # syntax around the parameters
        for line in ['MAIL FROM:<a@localhost>SIZE=1', 'RCPT TO:<b@localhost>NOTIFY=NEVER']:
            r = session(gw, F, line) if line.startswith('RCPT') else session(gw, line)
            ok(r[-1][1].startswith('5'), '%r -> 5xx' % line) or diag('  got %r' % (r[-1],))

        # an accepted parameter set leads to an accepted message (nothing silently lost)
        with gw.raw() as c:
            c.cmd('EHLO client.dcrtest')
            c.cmd(F + ' SIZE=40 BODY=7BIT RET=HDRS ENVID=x+2By')
            c.cmd(T + ' NOTIFY=SUCCESS,DELAY ORCPT=rfc822;b+40localhost')
            c.cmd('DATA')
            c.send(b'Subject: p\r\n\r\nx\r\n.\r\n')
            like(c.reply()[1], r'^250', 'message with every parameter accepted')


run(main)
