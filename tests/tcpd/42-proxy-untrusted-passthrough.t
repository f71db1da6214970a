#!/usr/bin/python3
# A PROXY header from a peer outside --proxy-from is not interpreted: it
# reaches the program as data, and TCPREMOTEIP stays the real peer. The
# same without any -p.
import os, socket, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tcpdlib import *
from dcrtest import ok, is_, like, run

HEADER = b'PROXY TCP4 192.0.2.1 198.51.100.2 56324 25\r\n'
ECHO = ['/bin/sh', '-c', 'echo "IP=$TCPREMOTEIP"; exec cat']


def check(opts, name):
    with Tcpd(['-v'] + opts, ECHO) as t:
        s = t.connect(src='127.0.0.2')
        s.sendall(HEADER + b'x\n')
        s.shutdown(socket.SHUT_WR)
        out = readall(s)
        s.close()
        ok(out.startswith(b'IP=127.0.0.2\n'), name + ': TCPREMOTEIP is the real peer')
        is_(out.partition(b'\n')[2], HEADER + b'x\n', name + ': the header reaches the program as data, byte for byte')
        ok('event=proxy' not in t.log(), name + ': nothing PROXY-related logged')


def main():
    check(['-p', '127.0.0.1/32,10.0.0.0/8', '-p', '::1'], 'peer outside --proxy-from')
    check([], 'no --proxy-from')


run(main, timeout=30)
