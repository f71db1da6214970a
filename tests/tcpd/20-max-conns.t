#!/usr/bin/python3
# --max-conns N: N sessions run; connection N+1 gets the one-line refusal
# (default, or -m) and is closed; once a session ends, a new one runs.
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tcpdlib import *
from dcrtest import ok, is_, like, run


def main():
    with Tcpd(['-v', '-c', '2'], HOLDPROG) as t:
        a, b = t.connect(), t.connect()
        is_(readline(a), b'hello\n', 'session 1 runs')
        is_(readline(b), b'hello\n', 'session 2 runs')
        is_(t.talk(), b'421 4.7.0 too many connections, try again later\r\n',
            'connection 3: the default refusal line, then close')
        like(t.log(), r'event=refuse reason=max-conns ip=127\.0\.0\.1 port=\d+', 'refusal logged')
        ok(t.proc.poll() is None, 'dcr-tcpd still runs')
        a.close()
        ok(t.wait_log(r'event=end pid=\d+ status=0 conns=1'), 'session 1 end logged, 1 left')
        c = t.connect()
        is_(readline(c), b'hello\n', 'a slot freed: a new session runs')
        c.close()
        b.close()

    with Tcpd(['--max-conns=1', '--refuse-message', '421 4.7.0 busy'], HOLDPROG) as t:
        a = t.connect()
        is_(readline(a), b'hello\n', 'long options: session 1 runs')
        is_(t.talk(), b'421 4.7.0 busy\r\n', '-m sets the refusal line, CRLF added')
        a.close()

    # many at once: the table and the counts stay right
    with Tcpd(['-v', '-c', '20', '-C', '20'], HOLDPROG) as t:
        socks = [t.connect() for _ in range(20)]
        ok(all(readline(s) == b'hello\n' for s in socks), '20 sessions of 20 run')
        like(t.talk(), r'^421 ', 'the 21st is refused')
        for s in socks:
            s.close()
        ok(t.wait_log(r'event=end .*conns=0', timeout=5), 'all 20 ended')
        socks = [t.connect() for _ in range(20)]
        ok(all(readline(s) == b'hello\n' for s in socks), '20 sessions run again after they ended')
        for s in socks:
            s.close()


run(main, timeout=30)
