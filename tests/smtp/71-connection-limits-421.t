#!/usr/bin/python3
# Proves: dcr-tcpd's per-IP limit (-C) and global limit (-c) refuse the
# extra client with the one-line reply (default "421 4.7.0 too many
# connections...", or -m) and close, while the sessions in place go on;
# a slot freed is usable again.
import os, sys, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from dcrtest import *


def main():
    for opts, label, msg in ((['-C', '3'], 'per-IP -C 3', '421 4.7.0'),
                             (['-c', '3'], 'global -c 3', '421 4.7.0'),
                             (['-C', '3', '-m', '421 4.7.0 busy here'], '-m', '421 4.7.0 busy here')):
        with Gateway(tcpd_opts=opts) as gw:
            held = [gw.raw() for _ in range(3)]
            ok(all(c.greeting[0] == 220 for c in held), '%s: 3 sessions greeted' % label)
            with RawClient(gw.host, gw.port) as c:
                code, text = c.reply(5)
                ok(text.startswith(msg), '%s: 4th client gets %r' % (label, msg)) or diag('  got %r' % text)
                ok(c.closed(), '%s: and is closed' % label)
            is_(held[0].cmd('NOOP')[0], 250, '%s: held sessions go on' % label)
            held[0].cmd('QUIT')
            ok(held[0].closed(), 'first session done')
            held[0].close()
            time.sleep(0.3)
            with RawClient(gw.host, gw.port) as c:
                is_(c.reply(5)[0], 220, '%s: a freed slot is usable again' % label)
            for c in held[1:]:
                c.close()


run(main)
