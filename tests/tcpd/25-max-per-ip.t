#!/usr/bin/python3
# --max-per-ip N: an address holds at most N sessions, the next one gets
# the refusal line; other addresses are not affected.
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tcpdlib import *
from dcrtest import ok, is_, like, run


def main():
    with Tcpd(['-v', '-c', '10', '-C', '2'], HOLDPROG) as t:
        a, b = t.connect(src='127.0.0.1'), t.connect(src='127.0.0.1')
        is_(readline(a) + readline(b), b'hello\nhello\n', '2 sessions from 127.0.0.1 run')
        is_(t.talk(src='127.0.0.1'), b'421 4.7.0 too many connections, try again later\r\n',
            'the third from 127.0.0.1 is refused')
        like(t.log(), r'event=refuse reason=max-per-ip ip=127\.0\.0\.1 ', 'refusal logged with reason max-per-ip')
        c = t.connect(src='127.0.0.2')
        is_(readline(c), b'hello\n', '127.0.0.2 is not affected')
        a.close()
        ok(t.wait_log(r'event=end .*conns=2'), 'one session of 127.0.0.1 ended')
        d = t.connect(src='127.0.0.1')
        is_(readline(d), b'hello\n', '127.0.0.1 may connect again')
        for s in (b, c, d):
            s.close()
    if have_ipv6_loopback():
        with Tcpd(['-C', '1'], HOLDPROG, host='::1') as t:
            a = t.connect()
            is_(readline(a), b'hello\n', '::1: one session runs')
            like(t.talk(), r'^421 4\.7\.0 ', '::1: the second is refused')
            a.close()


run(main, timeout=30)
