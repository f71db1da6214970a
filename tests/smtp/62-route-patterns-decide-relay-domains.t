#!/usr/bin/python3
# Proves: the routes file decides the domains accepted from anyone: an
# exact pattern takes that domain only (any case), "*.domain" takes its
# sub-domains (at any depth) but not the domain itself nor look-alikes,
# "*" (the default route) never opens the relay, comments and options are
# fine; conf/ is read at each connection (a change needs no restart).
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from dcrtest import *

ROUTES = '''# pattern      targets                   options
exact.test      smtp:[127.0.0.1]:1        tls=may
*.wild.test     smtp:[127.0.0.1]:1
local.test      maildir:/nonexistent
partner.test    smtp:[127.0.0.1]:1        sender=*@sales.example.com
*               mx                        tls=may
'''

CASES = [
    ('a@exact.test', True), ('a@EXACT.Test', True), ('a@sub.exact.test', False),
    ('a@exact.test.evil.test', False), ('a@xexact.test', False),
    ('a@sub.wild.test', True), ('a@deep.sub.wild.test', True), ('a@SUB.WILD.TEST', True),
    ('a@wild.test', False), ('a@xwild.test', False), ('a@sub.xwild.test', False),
    ('a@wild.test.evil.test', False), ('a@local.test', True), ('a@partner.test', True),
    ('a@other.test', False), ('a@mx', False), ('a@*', False), ('a@*.wild.test', False),
]


def main():
    with Gateway(routes=ROUTES) as gw:
        for addr, accept in CASES:
            r = session(gw, 'MAIL FROM:<s@client.dcrtest>', 'RCPT TO:<%s>' % addr)
            if accept:
                is_(r[1][0], 250, '%s accepted' % addr)
            else:
                ok(r[1][1].startswith('5'), '%s refused (%s)' % (addr, r[1][1][:30]))

        # the config is read at each connection
        with open(os.path.join(gw.confdir, 'routes'), 'a') as f:
            f.write('new.test smtp:[127.0.0.1]:1\n')
        r = session(gw, 'MAIL FROM:<s@client.dcrtest>', 'RCPT TO:<a@new.test>')
        is_(r[1][0], 250, 'a route added to conf/routes is used by the next connection')
        with open(os.path.join(gw.confdir, 'max-size'), 'w') as f:
            f.write('777\n')
        c = gw.raw()
        ok('SIZE 777' in c.cmd('EHLO x')[1], 'conf/max-size change seen by the next connection')
        c.close()

    with Gateway(routes='*.only.test smtp:[127.0.0.1]:1\n') as gw:
        r = session(gw, 'MAIL FROM:<s@client.dcrtest>', 'RCPT TO:<a@localhost>', 'RCPT TO:<a@x.only.test>')
        ok(r[1][1].startswith('5') and r[2][0] == 250, 'localhost is not special: only the routes count')

    with Gateway(routes=None) as gw:
        r = session(gw, 'MAIL FROM:<s@client.dcrtest>', 'RCPT TO:<a@other.test>')
        ok(len(r) < 2 or r[1][0] != 250, 'no routes file: nothing relays (%r)' % (r[-1][1][:30],))


run(main)
