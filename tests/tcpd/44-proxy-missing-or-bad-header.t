#!/usr/bin/python3
# From a trusted balancer the header is mandatory: no header, a bad one,
# a slow one (past --proxy-timeout) or an early close: logged, closed,
# the program never runs. A slow balancer does not hold up accept.
import os, re, socket, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tcpdlib import *
from dcrtest import ok, is_, like, run

# the program would say so if it ran
PROG = ['/bin/sh', '-c', 'echo PROGRAM-RAN']


def main():
    with Tcpd(['-v', '-p', '127.0.0.1/32', '-t', '400'], PROG) as t:
        is_(t.talk(b'EHLO client.test\r\n'), b'', 'data instead of a header: closed, program not run')
        like(t.log(), r'event=proxy-error pid=\d+ ip=127\.0\.0\.1 error="no PROXY header"', 'logged')

        cases = [
            (b'PROXY TCP4 192.0.2.1 198.51.100.2 56324 99999\r\n', 'v1: bad port'),
            (b'PROXY TCP4 192.0.2.1 198.51.100.2 1 2\n', 'v1: LF without CR'),
            (b'PROXY UNKNOWN ' + b'x' * 200, 'v1: no CRLF within 107 bytes'),
            (b'\r\n\r\n\x00\r\nQUIT\n\x21\x11\x00\x04abcd', 'v2: length too short for IPv4'),
            (b'\r\n\r\n\x00\r\nQUIT\n\x21\x11\xff\xff', 'v2: header too long'),
            (b'\r\n\r\n\x00\r\nQUIX\n\x21\x11\x00\x00', 'no PROXY header'),
        ]
        for data, why in cases:
            is_(t.talk(data), b'', 'bad header (%s): closed, program not run' % why)
            like(t.log(), r'event=proxy-error .*error="%s' % re.escape(why), 'bad header (%s): logged' % why)

        # slow balancer: half a header, then silence
        start = time.time()
        s = t.connect()
        s.sendall(b'PROXY TCP4 192.0.2.1 ')
        # meanwhile an ordinary client is served at once
        is_(t.talk(src='127.0.0.2'), b'PROGRAM-RAN\n', 'a pending header does not block other clients')
        is_(readall(s), b'', 'slow header: closed')
        s.close()
        took = time.time() - start
        ok(0.3 < took < 3, 'slow header: closed after --proxy-timeout (%.2fs)' % took)
        like(t.log(), r'event=proxy-error .*error="timeout waiting for the PROXY header"', 'timeout logged')

        s = t.connect()
        s.sendall(b'PROXY TCP4')
        s.shutdown(socket.SHUT_WR)
        is_(readall(s), b'', 'close in the middle of the header: closed')
        s.close()
        like(t.log(), r'event=proxy-error .*error="connection closed before the PROXY header"', 'early close logged')
        ok('PROGRAM-RAN' not in t.log(), 'nothing of the program in the log')
        ok(t.proc.poll() is None, 'dcr-tcpd still runs')


run(main, timeout=30)
