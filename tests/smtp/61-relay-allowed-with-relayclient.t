#!/usr/bin/python3
# Proves: a client given RELAYCLIENT by the dcr-tcpd rules file may relay
# to any domain (IPv4 and IPv6), while a client without it (a rule that
# sets nothing, or "-RELAYCLIENT") may not; local domains work for both.
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from dcrtest import *


def try_relay(gw):
    return session(gw, 'MAIL FROM:<a@client.dcrtest>', 'RCPT TO:<user@other.test>',
                   'RCPT TO:<user@[192.0.2.1]>', 'RCPT TO:<local@localhost>')


def main():
    with Gateway(tcprules='127.0.0.0/8 allow RELAYCLIENT=\n', capture=True) as gw:
        r = try_relay(gw)
        is_([x[0] for x in r], [250, 250, 250, 250], 'RELAYCLIENT: other.test, literal, localhost all 250')
        s = gw.smtp()
        s.ehlo('client.dcrtest')
        refused = s.sendmail('a@client.dcrtest', ['user@other.test', 'x@localhost'],
                             b'Subject: relayed\r\n\r\nx\r\n')
        s.quit()
        is_(refused, {}, 'relayed message accepted')
        caps = gw.captures()
        if is_(len(caps), 1, 'queued once'):
            is_(caps[0]['env'].get('SMTP_RECIPIENTS'), 'user@other.test\nx@localhost', 'both recipients kept')
            ok('RELAYCLIENT' in caps[0]['env'], 'RELAYCLIENT reached the session environment')

    with Gateway(host='::1', relayclient=True) as gw:
        r = try_relay(gw)
        is_([x[0] for x in r], [250, 250, 250, 250], 'RELAYCLIENT over IPv6 (::1/128 rule)')

    for rules, env in (('127.0.0.0/8 allow\n', None),
                       ('127.0.0.0/8 allow -RELAYCLIENT\n', {'RELAYCLIENT': ''}),
                       ('0.0.0.0/0 allow RELAYCLIENT=\n127.0.0.1/32 allow -RELAYCLIENT\n', None)):
        with Gateway(tcprules=rules, env=env) as gw:
            r = try_relay(gw)
            codes = [x[1][:9] for x in r]
            ok(r[1][1].startswith('554 5.7.1') and r[2][1].startswith('5') and r[3][0] == 250,
               'rules %r: relay refused, local accepted %r' % (rules.strip(), codes))

    with Gateway(host='::1') as gw:
        r = try_relay(gw)
        ok(r[1][1].startswith('554 5.7.1') and r[3][0] == 250, 'IPv6 without rule: relay refused')


run(main)
