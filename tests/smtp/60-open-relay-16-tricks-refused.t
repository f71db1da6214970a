#!/usr/bin/python3
# Proves: without RELAYCLIENT the 16 classic open-relay tricks (percent
# hack, bang paths, quoted locals, source routes, trailing dot, IP
# literals, double @, escapes, sub-domains...) can never relay: each
# recipient is refused with a 5xx, or - where the issue allows it to be
# "handled" - accepted only as a local recipient whose domain is exactly a
# routes domain. Nothing is ever queued for a non-local domain. Plain
# other-domain recipients get exactly "554 5.7.1".
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from dcrtest import *

LOCAL = ('localhost', 'example.test')
ROUTES = 'localhost maildir:/x\nexample.test smtp:[127.0.0.1]:1\n'

# (path as sent, may it be accepted as a local recipient?)
TRICKS = [
    ('<user%other.test@localhost>', True),          # 1 percent hack
    ('<other.test!user@localhost>', True),          # 2 bang path
    ('<"user@other.test"@localhost>', True),        # 3 quoted @ in the local part
    ('<@localhost:user@other.test>', False),        # 4 source route through us
    ('<user@other.test@localhost>', False),         # 5 double @
    ('<user@localhost.>', True),                    # 6 trailing dot
    ('<user@[127.0.0.1]>', False),                  # 7 IPv4 literal
    ('<user@[IPv6:::1]>', False),                   # 8 IPv6 literal
    ('<user@other.test>', False),                   # 9 plain other domain
    ('<"user%other.test"@localhost>', True),        # 10 quoted percent hack
    ('<user%other.test@[127.0.0.1]>', False),       # 11 percent hack at a literal
    ('<user@other.test>', False),                   # 12 plain, after HELO localhost (below)
    ('<user\\@other.test@localhost>', True),        # 13 backslash-escaped @
    ('<@other.test:user@localhost>', True),         # 14 source route to a local user
    ('<user@localhost@other.test>', False),         # 15 local@local@other
    ('<user@sub.localhost>', False),                # 16 sub-domain of an exact route
]
MORE = [
    ('<user@other.test.>', False), ('<user@localhost.other.test>', False),
    ('<user@other.test%localhost>', False), ('<"user@other.test">', False),
    ('<user@[127.0.0.1]%other.test>', False), ('user@other.test', False),
    ('<user@OTHER.TEST>', False), ('<@a.test,@b.test:user@other.test>', False),
    ('<other.test!user>', False), ('<user%other.test>', False),
    ('<user@xlocalhost>', False), ('<user@example.test.other.test>', False),
]


def domain_of(addr):
    if not addr or '@' not in addr:
        return None
    return addr.rsplit('@', 1)[1].lower()


def main():
    with Gateway(routes=ROUTES, capture=True) as gw:
        for i, (path, may_be_local) in enumerate(TRICKS + MORE, 1):
            helo = 'HELO localhost' if i == 12 else 'EHLO client.dcrtest'
            sender = 'MAIL FROM:<user@localhost>' if i in (12, 13) else 'MAIL FROM:<a@client.dcrtest>'
            name = ('trick %d %s' if i <= 16 else 'extra %d %s') % (i if i <= 16 else i - 16, path)
            before = len(gw.captures())
            with gw.raw() as c:
                c.cmd(helo)
                c.cmd(sender)
                code, text = c.cmd('RCPT TO:' + path)
                if code is not None and code >= 500:
                    ok(True, name + ': refused (%s)' % text[:40])
                    if path in ('<user@other.test>', '<user@OTHER.TEST>'):
                        like(text, r'^554 5\.7\.1', name + ': 554 5.7.1 relay access denied')
                    continue
                if code != 250:
                    ok(False, name + ': refused 5xx or accepted as local') or diag('  got %r' % text)
                    continue
                # accepted: finish the message and look at what the child got
                c.cmd('DATA')
                c.send(b'Subject: relay test\r\n\r\nx\r\n.\r\n')
                c.reply()
            caps = gw.captures()[before:]
            rcpt = caps[0]['env'].get('SMTP_RECIPIENTS') if caps else None
            good = may_be_local and domain_of(rcpt) in LOCAL
            ok(good, name + ': accepted, kept as a local recipient %r' % rcpt)
            if good:
                diag('  note: accepted and stored as %r' % rcpt)
        bad = []
        for cap in gw.captures():
            for r in cap['env'].get('SMTP_RECIPIENTS', '').split('\n'):
                if domain_of(r) not in LOCAL:
                    bad.append(r)
        is_(bad, [], 'nothing was queued for a non-local domain')

        rc, out = swaks(gw, '--to', 'user@other.test', '--from', 'user@localhost',
                        '--helo', 'localhost', '--timeout', '10')
        ok(rc != 0 and '554 5.7.1' in out, 'swaks relay attempt refused with 554 5.7.1 (exit %d)' % rc)


run(main)
