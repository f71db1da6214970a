#!/usr/bin/python3
# -d FD (s6 readiness): "\n" is written to FD once the socket listens,
# then FD is closed; a connection right after it is served. A -d that
# names a closed descriptor is a usage error (100).
import os, socket, subprocess, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tcpdlib import *
from dcrtest import ok, is_, like, run


def main():
    r, w = os.pipe()
    try:
        with Tcpd(['-d', str(w)], HOLDPROG, pass_fds=(w,), wait=False) as t:
            os.close(w)
            w = -1
            got = os.read(r, 10)
            is_(got, b'\n', 'a newline on the notification descriptor')
            is_(os.read(r, 10), b'', 'then the descriptor is closed')
            m = t.wait_log(r'event=start .*port=(\d+)')
            ok(m, 'start logged')
            t.port = int(m.group(1))
            s = t.connect()
            is_(readline(s), b'hello\n', 'listening when ready was signalled')
            s.close()
    finally:
        os.close(r)
        if w >= 0:
            os.close(w)

    p = subprocess.run([TCPD, '-d', '9', '127.0.0.1', '0', 'true'], stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=5)
    is_(p.returncode, 100, '-d with a closed descriptor: exit 100')
    like(p.stderr.decode(), r'notification descriptor', '-d with a closed descriptor: said so')


run(main, timeout=30)
