#!/usr/bin/python3
# Proves: dcr-qrun reloads the routes file when it changes and on SIGHUP;
# a broken file is refused with file:line in the log and the old table
# stays in force (mail still goes where it went); a good file then takes
# over. Also maildir delivery end to end with a per-user path (%u).
import os, sys, time, signal
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from deliverlib import *


def main():
    with AioSink() as one, AioSink() as two, Relay('r.test %s\n' % one.target) as gw:
        gw.send('a@src.test', ['x@r.test'], b'Subject: 1\r\n\r\n1\r\n')
        ok(wait(lambda: len(one.envelopes) == 1, 10), 'first table: delivered to the first sink')
        time.sleep(0.05)
        gw.write_routes('r.test %s\nbroken.test smtp:nowhere\n' % two.target)
        ok(wait(lambda: 'event=config-error' in gw.qlog(), 5), 'the broken file is noticed without a signal')
        like(gw.qlog(), r'event=config-error file=\S+/conf/routes line=2 error="bad smtp target[^"]*" effect="old table kept"',
             'logged with file and line, old table kept')
        gw.send('a@src.test', ['y@r.test'], b'Subject: 2\r\n\r\n2\r\n')
        ok(wait(lambda: len(one.envelopes) == 2, 10), 'mail still follows the old table')
        is_(len(two.envelopes), 0, 'nothing reached the second sink')
        gw.write_routes('r.test %s\n' % two.target)
        ok(wait(lambda: gw.qlog().count('event=routes-loaded') >= 2, 5), 'the good file is loaded')
        gw.send('a@src.test', ['z@r.test'], b'Subject: 3\r\n\r\n3\r\n')
        ok(wait(lambda: len(two.envelopes) == 1, 10), 'the new table is in force')
        n = gw.qlog().count('event=routes-loaded')
        os.kill(gw.qproc.pid, signal.SIGHUP)
        ok(wait(lambda: gw.qlog().count('event=routes-loaded') == n + 1, 5), 'SIGHUP reloads too')
    with Relay('', qrun=False) as gw:
        base = gw.path('mail')
        gw.write_routes('local.test maildir:%s/%%u\n' % base)
        gw.start_qrun()
        gw.send('a@src.test', ['Bob@local.test', 'carol@local.test'], b'Subject: md\r\n\r\nline\r\n')
        ok(wait(lambda: maildir_files(base + '/bob') and maildir_files(base + '/carol'), 10), 'one maildir per user')
        f = maildir_files(base + '/bob')
        if f:
            data = read(f[0])
            ok(data.startswith(b'Return-Path: <a@src.test>\nDelivered-To: Bob@local.test\nReceived: from'), 'Return-Path, Delivered-To, then our Received')
            ok(data.endswith(b'\nSubject: md\n\nline\n'), 'the message in LF form')
        ok(wait(lambda: not gw.queued(), 5), 'queue empty')


run(main, timeout=120)
