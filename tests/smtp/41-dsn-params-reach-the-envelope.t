#!/usr/bin/python3
# Proves: the MAIL/RCPT parameters reach the child's environment exactly
# as contract 3 says (SMTP_SIZE, SMTP_BODY, SMTP_SMTPUTF8, SMTP_DSN_RET,
# SMTP_DSN_ENVID decoded, SMTP_DSN_NOTIFY and SMTP_DSN_ORCPT one line per
# recipient aligned with SMTP_RECIPIENTS), and the DSN data is kept in the
# queued envelope. Absent parameters leave their variables unset.
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from dcrtest import *


def main():
    with Gateway(capture=True) as gw:
        with gw.raw() as c:
            c.cmd('EHLO client.dcrtest')
            is_(c.cmd('MAIL FROM:<s@localhost> SIZE=123 BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=QQ+2Bid+3D1')[0], 250, 'MAIL with every parameter')
            is_(c.cmd('RCPT TO:<a@localhost> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;a+40orig.test')[0], 250, 'RCPT a with NOTIFY and ORCPT')
            is_(c.cmd('RCPT TO:<b@localhost>')[0], 250, 'RCPT b with nothing')
            is_(c.cmd('RCPT TO:<c@localhost> NOTIFY=NEVER')[0], 250, 'RCPT c NOTIFY=NEVER')
            is_(c.cmd('RCPT TO:<d@other.test> NOTIFY=DELAY')[0], 554, 'RCPT d refused (relay)')
            c.cmd('DATA')
            c.send(b'Subject: dsn\r\n\r\nx\r\n.\r\n')
            code, text = c.reply()
            is_(code, 250, 'queued')
            qid = queued_id(text)
        caps = gw.captures()
        if is_(len(caps), 1, 'child ran'):
            e = caps[0]['env']
            is_(e.get('SMTP_RECIPIENTS'), 'a@localhost\nb@localhost\nc@localhost', 'SMTP_RECIPIENTS')
            is_(e.get('SMTP_SIZE'), '123', 'SMTP_SIZE')
            is_(e.get('SMTP_BODY'), '8BITMIME', 'SMTP_BODY')
            is_(e.get('SMTP_SMTPUTF8'), '1', 'SMTP_SMTPUTF8')
            is_(e.get('SMTP_DSN_RET'), 'HDRS', 'SMTP_DSN_RET')
            is_(e.get('SMTP_DSN_ENVID'), 'QQ+id=1', 'SMTP_DSN_ENVID xtext-decoded')
            is_(e.get('SMTP_DSN_NOTIFY'), 'SUCCESS,FAILURE\n\nNEVER', 'SMTP_DSN_NOTIFY aligned per recipient')
            is_(e.get('SMTP_DSN_ORCPT'), 'rfc822;a@orig.test\n\n', 'SMTP_DSN_ORCPT aligned and decoded')
        env = gw.envelope(qid) if qid in gw.queued() else b''
        for needle in (b'HDRS', b'SUCCESS', b'NEVER', b'orig.test', b'QQ'):
            ok(needle in env, 'queued envelope keeps %s' % needle.decode())

        # lower-case values are normalised
        with gw.raw() as c:
            c.cmd('EHLO client.dcrtest')
            c.cmd('MAIL FROM:<s@localhost> body=8bitmime ret=full')
            c.cmd('RCPT TO:<a@localhost> notify=delay')
            c.cmd('DATA')
            c.send(b'Subject: dsn\r\n\r\nx\r\n.\r\n')
            is_(c.reply()[0], 250, 'lower-case parameters: queued')
        caps = gw.captures()
        if is_(len(caps), 2, 'child ran again'):
            e = caps[1]['env']
            is_(e.get('SMTP_BODY'), '8BITMIME', 'SMTP_BODY upper-cased')
            is_(e.get('SMTP_DSN_RET'), 'FULL', 'SMTP_DSN_RET upper-cased')
            is_(e.get('SMTP_DSN_NOTIFY'), 'DELAY', 'SMTP_DSN_NOTIFY upper-cased')

        # a third transaction without parameters: nothing stale from before
        with gw.raw() as c:     # by hand: smtplib would add SIZE= itself
            c.cmd('EHLO client.dcrtest')
            c.cmd('MAIL FROM:<s@localhost>')
            c.cmd('RCPT TO:<a@localhost>')
            c.cmd('DATA')
            c.send(b'Subject: plain\r\n\r\nx\r\n.\r\n')
            is_(c.reply()[0], 250, 'plain message queued')
        caps = gw.captures()
        if is_(len(caps), 3, 'child ran a third time'):
            e = caps[2]['env']
            for v in ('SMTP_SIZE', 'SMTP_BODY', 'SMTP_SMTPUTF8', 'SMTP_DSN_RET', 'SMTP_DSN_ENVID'):
                ok(v not in e, '%s unset when not given' % v)
            ok(e.get('SMTP_DSN_NOTIFY', '') == '' and e.get('SMTP_DSN_ORCPT', '') == '',
               'NOTIFY/ORCPT empty or unset when not given')


run(main)
