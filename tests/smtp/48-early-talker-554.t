#!/usr/bin/python3
# Proves: with conf/greet-delay, a client that talks before the banner is
# refused with "554 5.5.0" and closed (no 220 first, nothing accepted); a
# patient client gets the banner after the delay and proceeds; -g overrides.
import os, sys, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from dcrtest import *


def main():
    with Gateway(conf={'greet-delay': '1000'}) as gw:
        with RawClient(gw.host, gw.port) as c:
            c.send(b'EHLO early.dcrtest\r\nMAIL FROM:<a@localhost>\r\n')
            code, text = c.reply(5)
            like(text, r'^554 5\.5\.0', 'early talker: 554 5.5.0 (no 220 first)')
            ok(c.closed(), 'then closed')

        with RawClient(gw.host, gw.port) as c:
            time.sleep(0.3)
            c.send(b'E')              # a single early byte is enough
            like(c.reply(5)[1], r'^554', 'one early byte: 554')
            ok(c.closed(), 'then closed')

        with RawClient(gw.host, gw.port) as c:
            t0 = time.time()
            code, text = c.reply(5)
            dt = time.time() - t0
            is_(code, 220, 'patient client: 220')
            ok(0.9 <= dt <= 3, 'banner after the 1 s greet delay (%.2f s)' % dt)
            is_(c.cmd('EHLO client.dcrtest')[0], 250, 'EHLO 250')
            is_(c.cmd('MAIL FROM:<a@localhost>')[0], 250, 'MAIL 250')

    with Gateway(conf={'greet-delay': '3000'}, smtpd_opts=['-g', '200']) as gw:
        with RawClient(gw.host, gw.port) as c:
            t0 = time.time()
            code, text = c.reply(5)
            dt = time.time() - t0
            ok(code == 220 and dt < 1.5, '-g 200 overrides conf/greet-delay (%.2f s)' % dt)

    with Gateway() as gw:
        with RawClient(gw.host, gw.port) as c:
            t0 = time.time()
            code, text = c.reply(5)
            ok(code == 220 and time.time() - t0 < 0.5, 'no greet-delay: banner at once')


run(main)
