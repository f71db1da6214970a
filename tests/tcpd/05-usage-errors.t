#!/usr/bin/python3
# Bad command lines: exit 100 with a message, never a listening socket.
import os, subprocess, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tcpdlib import *
from dcrtest import is_, like, run

BAD = [
    ([], 'usage'),
    (['127.0.0.1', '25'], 'usage'),
    (['localhost', '0', 'true'], 'host must be an IPv4 or IPv6 address'),
    (['127.0.0.01', '0', 'true'], 'host must be'),
    (['127.0.0.1', '65536', 'true'], 'bad port'),
    (['127.0.0.1', 'smtp', 'true'], 'bad port'),
    (['127.0.0.1', '25x', 'true'], 'bad port'),
    (['-c', '10x', '127.0.0.1', '0', 'true'], 'usage'),
    (['-c', '99999999999', '127.0.0.1', '0', 'true'], 'usage'),
    (['-d', '-1', '127.0.0.1', '0', 'true'], 'usage'),
    (['-c', '0', '127.0.0.1', '0', 'true'], 'usage'),
    (['-c', '100001', '127.0.0.1', '0', 'true'], 'usage'),
    (['-C', 'x', '127.0.0.1', '0', 'true'], 'usage'),
    (['-t', '0', '127.0.0.1', '0', 'true'], 'usage'),
    (['-b', '0', '127.0.0.1', '0', 'true'], 'usage'),
    (['-p', '10.0.0.0/33', '127.0.0.1', '0', 'true'], 'bad --proxy-from prefix'),
    (['-p', '10.0.0.0/8,', '127.0.0.1', '0', 'true'], 'bad --proxy-from prefix'),
    (['-p', '10.0.0.1/8', '127.0.0.1', '0', 'true'], 'bits set after the prefix length'),
    (['-m', 'two\r\nlines', '127.0.0.1', '0', 'true'], 'refuse message must be printable ASCII'),
    (['--max-conns', '127.0.0.1', '0', 'true'], 'usage'),
    (['--no-such-option', '127.0.0.1', '0', 'true'], 'usage'),
    (['--verbose=1', '127.0.0.1', '0', 'true'], 'usage'),
]


def main():
    for args, why in BAD:
        p = subprocess.run([TCPD] + args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, timeout=5)
        is_(p.returncode, 100, '%s: exit 100' % ' '.join(args))
        like(p.stderr.decode(), r'^dcr-tcpd: .*%s' % why, '%s: says %s' % (' '.join(args), why))


run(main, timeout=30)
