#!/usr/bin/python3
# Proves: a broken routes file (bad pattern, pattern without target,
# bad target, bad option) is
# logged with file:line and makes no domain local (fail closed), while a
# good file with comments, options, case and "*.dom" works, and a missing
# file means only RELAYCLIENT clients relay.
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from smtpdlib import *

GOOD = '# pattern targets options\n\n  Example.TEST  smtp:[127.0.0.1]:1  tls=may  # comment\n*.sub.test mx\n* mx\n'


def rcpts(s, addrs):
    s.send('EHLO c\r\nMAIL FROM:<a@b.test>\r\n')
    s.reply(); s.reply()
    out = []
    for a in addrs:
        s.send('RCPT TO:<%s>\r\n' % a)
        out.append(s.reply()[:3])
    return out


def main():
    with Smtpd(routes=GOOD) as s:
        is_(rcpts(s, ['u@example.test', 'u@EXAMPLE.test', 'u@a.sub.test', 'u@sub.test', 'u@other.test']),
            ['250', '250', '250', '554', '554'], 'good file: exact, any case, subdomains only, * opens nothing')
    for text, line, why in [('example.test smtp:[127.0.0.1]:1\nbad_dom! mx\n', '2', 'bad pattern'),
                            ('example.test\n', '1', 'pattern without target'),
                            ('example.test smtp:[127.0.0.1]:1\n*. mx\n', '2', 'bad pattern'),
                            ('example.test mx\nother.test smtp:host.test\n', '2', 'bad smtp target'),
                            ('example.test mx balance=fast\n', '1', 'balance= is')]:
        with Smtpd(routes=text) as s:
            is_(rcpts(s, ['u@example.test']), ['554'], '%s: nothing is local' % why)
            like(s.log(), r'event=config-error file=\S*routes line=%s error="%s' % (line, why), '%s: logged with the line' % why)
    with Smtpd(opts=['-R', '/nonexistent/routes']) as s:
        is_(rcpts(s, ['u@example.test', 'postmaster']), ['554', '250'], 'missing file: nothing local, Postmaster still')
    with Smtpd(opts=['-R', '/nonexistent/routes'], env={'RELAYCLIENT': ''}) as s:
        is_(rcpts(s, ['u@example.test', 'u%x@y.test', 'u@[192.0.2.1]']), ['250', '250', '250'], 'RELAYCLIENT relays anywhere')


run(main)
