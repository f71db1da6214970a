#!/usr/bin/python3
# The UCSPI-TCP environment over IPv4 and IPv6: PROTO, TCPREMOTEIP,
# TCPREMOTEPORT, TCPLOCALIP, TCPLOCALPORT are right; stale TCPREMOTEHOST,
# TCPREMOTEINFO, TCPLOCALHOST are removed; the socket is stdin and stdout.
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tcpdlib import *
from dcrtest import ok, is_, like, skip, run


def check(host):
    stale = {'TCPREMOTEHOST': 'stale', 'TCPREMOTEINFO': 'stale', 'TCPLOCALHOST': 'stale'}
    with Tcpd([], ENVPROG, host=host, env=stale) as t:
        s = t.connect()
        cport = s.getsockname()[1]
        s.sendall(b'hello from the client\n')
        out = readall(s)
        s.close()
        env = parse_env(out)
        is_(env.get('PROTO'), 'TCP', host + ': PROTO=TCP')
        is_(env.get('TCPREMOTEIP'), host, host + ': TCPREMOTEIP')
        is_(env.get('TCPREMOTEPORT'), str(cport), host + ': TCPREMOTEPORT is the client port')
        is_(env.get('TCPLOCALIP'), host, host + ': TCPLOCALIP')
        is_(env.get('TCPLOCALPORT'), str(t.port), host + ': TCPLOCALPORT is the listening port')
        for v in ('TCPREMOTEHOST', 'TCPREMOTEINFO', 'TCPLOCALHOST'):
            ok(v not in env, host + ': inherited %s removed' % v)
        is_(env.get('LINE'), 'hello from the client', host + ': the program reads the client on stdin')
        ok(out.endswith(b'END\n'), host + ': the program writes to the client on stdout')


def other_source():
    # TCPLOCALIP and TCPREMOTEIP come from the connection, not from HOST
    with Tcpd([], ENVPROG, host='127.0.0.1') as t:
        env = parse_env(t.talk(b'x\n', src='127.0.0.2'))
        is_(env.get('TCPREMOTEIP'), '127.0.0.2', 'client bound to 127.0.0.2: TCPREMOTEIP')


def main():
    check('127.0.0.1')
    if have_ipv6_loopback():
        check('::1')
    else:
        skip('no IPv6 loopback', 10)
    other_source()


run(main, timeout=30)
