#!/usr/bin/python3
# Proves: an idle client is dropped with "421 4.4.2 timeout, closing"
# after the command timeout (-t) and, inside DATA, after the data timeout
# (-T, not -t); an unfinished message leaves nothing behind.
import os, sys, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from dcrtest import *


def main():
    with Gateway(smtpd_opts=['-t', '2', '-T', '4']) as gw:
        with gw.raw() as c:
            t0 = time.time()
            code, text = c.reply(8)
            dt = time.time() - t0
            like(text, r'^421 4\.4\.2', 'idle after the banner: 421 4.4.2')
            ok(1.5 <= dt <= 5, 'after about 2 s (%.1f s)' % dt)
            ok(c.closed(), 'closed')

        with gw.raw() as c:
            c.cmd('EHLO client.dcrtest')
            c.send(b'NOOP')              # half a command, then silence
            t0 = time.time()
            code, text = c.reply(8)
            dt = time.time() - t0
            like(text, r'^421 4\.4\.2', 'idle in the middle of a command line: 421 4.4.2')
            ok(1.5 <= dt <= 5, 'after about 2 s (%.1f s)' % dt)

        with gw.raw() as c:
            c.cmd('EHLO client.dcrtest')
            c.cmd('MAIL FROM:<a@localhost>')
            c.cmd('RCPT TO:<b@localhost>')
            c.cmd('DATA')
            c.send(b'Subject: slow\r\n\r\npart')
            t0 = time.time()
            code, text = c.reply(10)
            dt = time.time() - t0
            like(text, r'^421 4\.4\.2', 'idle inside DATA: 421 4.4.2')
            ok(3.5 <= dt <= 7, 'after the data timeout -T 4, not -t 2 (%.1f s)' % dt)
            ok(c.closed(), 'closed')

        with gw.raw() as c:
            c.cmd('EHLO client.dcrtest')
            for i in range(4):      # activity resets the command timer
                time.sleep(1)
                is_(c.cmd('NOOP')[0], 250, 'active client kept (%d s)' % (i + 1))
        is_(gw.queued(), [], 'nothing queued')
        is_(gw.tmp_files(), [], 'queue/tmp is clean')


run(main)
