#!/usr/bin/python3
# PROXY protocol from a trusted balancer (-p): v1 and v2 headers set
# TCPREMOTEIP/PORT to the client and TCPLOCALIP/PORT to the address it
# reached; the program gets exactly the bytes after the header; LOCAL
# and UNKNOWN keep the real peer; rules apply to the claimed client.
import os, socket, struct, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tcpdlib import *
from dcrtest import ok, is_, like, run

SIG = b'\r\n\r\n\x00\r\nQUIT\n'


def v2(cmd, fam, body, tlvs=b''):
    return SIG + bytes([0x20 | cmd, fam]) + struct.pack('!H', len(body) + len(tlvs)) + body + tlvs


def v2_tcp4(src, dst, sport, dport, tlvs=b''):
    return v2(1, 0x11, socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack('!HH', sport, dport), tlvs)


def v2_tcp6(src, dst, sport, dport):
    return v2(1, 0x21, socket.inet_pton(socket.AF_INET6, src) + socket.inet_pton(socket.AF_INET6, dst) + struct.pack('!HH', sport, dport))


def main():
    with TempDir() as d:
        rules = d.write('rules', '192.0.2.66/32 deny msg="554 5.7.1 not you"\n203.0.113.0/24 allow RELAYCLIENT=\n')
        with Tcpd(['-v', '-p', '127.0.0.0/8', '-r', rules], ENVPROG) as t:
            env = parse_env(t.talk(b'PROXY TCP4 192.0.2.1 198.51.100.2 56324 25\r\nfirst line\n'))
            is_((env.get('TCPREMOTEIP'), env.get('TCPREMOTEPORT')), ('192.0.2.1', '56324'), 'v1 TCP4: client address and port')
            is_((env.get('TCPLOCALIP'), env.get('TCPLOCALPORT')), ('198.51.100.2', '25'), 'v1 TCP4: the address the client reached')
            is_(env.get('LINE'), 'first line', 'v1: the program reads what follows the header, nothing lost')
            like(t.log(), r'event=proxy pid=\d+ from=127\.0\.0\.1 version=1 command=proxy ip=192\.0\.2\.1 port=56324', 'v1 logged with -v')

            env = parse_env(t.talk(b'PROXY TCP6 2001:db8::1 2001:db8::2 1234 587\r\nx\n'))
            is_((env.get('TCPREMOTEIP'), env.get('TCPLOCALIP'), env.get('TCPLOCALPORT')), ('2001:db8::1', '2001:db8::2', '587'), 'v1 TCP6')

            env = parse_env(t.talk(b'PROXY TCP6 ::ffff:203.0.113.5 ::ffff:198.51.100.2 1 2\r\nx\n'))
            is_(env.get('TCPREMOTEIP'), '203.0.113.5', 'v1 TCP6 IPv4-mapped: reported as IPv4')
            is_(env.get('RELAYCLIENT'), '', 'v1 TCP6 IPv4-mapped: matches the IPv4 rule')

            s = t.connect()
            cport = s.getsockname()[1]
            s.sendall(b'PROXY UNKNOWN\r\nx\n')
            env = parse_env(readall(s))
            s.close()
            is_((env.get('TCPREMOTEIP'), env.get('TCPREMOTEPORT')), ('127.0.0.1', str(cport)), 'v1 UNKNOWN: the real peer')

            env = parse_env(t.talk(v2_tcp4('203.0.113.7', '198.51.100.2', 40000, 25) + b'after v2\n'))
            is_((env.get('TCPREMOTEIP'), env.get('TCPREMOTEPORT')), ('203.0.113.7', '40000'), 'v2 TCP4: client')
            is_((env.get('TCPLOCALIP'), env.get('TCPLOCALPORT')), ('198.51.100.2', '25'), 'v2 TCP4: destination')
            is_(env.get('LINE'), 'after v2', 'v2: the program reads what follows the header')
            is_(env.get('RELAYCLIENT'), '', 'v2: rules apply to the claimed client')

            tlvs = b'\x01\x00\x04smtp' + b'\x04\x00\x02\x00\x00'
            env = parse_env(t.talk(v2_tcp4('192.0.2.9', '198.51.100.2', 1, 25, tlvs) + b'x\n'))
            is_(env.get('TCPREMOTEIP'), '192.0.2.9', 'v2 with TLVs')

            env = parse_env(t.talk(v2_tcp6('2001:db8::7', '2001:db8::8', 5, 465) + b'x\n'))
            is_((env.get('TCPREMOTEIP'), env.get('TCPLOCALIP'), env.get('TCPLOCALPORT')), ('2001:db8::7', '2001:db8::8', '465'), 'v2 TCP6')

            env = parse_env(t.talk(v2(0, 0, b'') + b'x\n', src='127.0.0.3'))
            is_(env.get('TCPREMOTEIP'), '127.0.0.3', 'v2 LOCAL: the real peer (a health check)')

            is_(t.talk(b'PROXY TCP4 192.0.2.66 198.51.100.2 1 25\r\nx\n'), b'554 5.7.1 not you\r\n', 'deny rule on the claimed client')
            like(t.log(), r'event=refuse reason=deny ip=192\.0\.2\.66 port=1 rule=192\.0\.2\.66/32', 'deny logged with the claimed client')

            # the header arriving in pieces, with the data right behind it
            s = t.connect()
            for piece in (b'PRO', b'XY TCP4 192.0.2.', b'3 198.51.100.2 7 25\r', b'\nhello\n'):
                s.sendall(piece)
                time.sleep(0.05)
            env = parse_env(readall(s))
            s.close()
            is_((env.get('TCPREMOTEIP'), env.get('LINE')), ('192.0.2.3', 'hello'), 'v1 header in pieces')


run(main, timeout=30)
