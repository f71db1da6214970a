#!/usr/bin/python3
# Access rules: deny with a message, allow setting RELAYCLIENT (empty) and
# other variables, -VAR unsets, longest prefix wins (rules do not merge),
# no match means allow, IPv6 rules.
import os, re, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tcpdlib import *
from dcrtest import ok, is_, like, skip, run

RULES = '''# test rules
127.0.0.0/8      allow   RELAYCLIENT=  T_NET=eight  T_QUOTED="a b \\\\ \\"c\\""
127.0.0.2/32     deny    msg="554 5.7.1 go away"
127.0.0.3        deny
127.0.0.4/31     allow   T_NET=thirtyone  -T_INHERITED
::1/128          allow   RELAYCLIENT=  T_NET=v6
'''


def main():
    with TempDir() as d:
        rules = d.write('rules', RULES)
        with Tcpd(['-v', '-r', rules], ENVPROG, env={'T_INHERITED': 'yes'}) as t:
            like(t.log(), r'event=rules-load file=\S+ rules=5', 'rules loaded, count logged')
            env = parse_env(t.talk(b'x\n', src='127.0.0.1'))
            is_(env.get('RELAYCLIENT'), '', '127.0.0.1: RELAYCLIENT set, empty')
            is_(env.get('T_NET'), 'eight', '127.0.0.1: the /8 rule')
            is_(env.get('T_QUOTED'), 'a b \\ "c"', '127.0.0.1: quoted value with escapes')
            is_(env.get('T_INHERITED'), 'yes', '127.0.0.1: other variables inherited')

            is_(t.talk(b'x\n', src='127.0.0.2'), b'554 5.7.1 go away\r\n', '127.0.0.2: deny sends msg and closes')
            like(t.log(), r'event=refuse reason=deny ip=127\.0\.0\.2 port=\d+ rule=127\.0\.0\.2/32', 'deny logged with the rule')
            is_(t.talk(b'x\n', src='127.0.0.3'), b'', '127.0.0.3: deny without msg closes silently')

            env = parse_env(t.talk(b'x\n', src='127.0.0.5'))
            is_(env.get('T_NET'), 'thirtyone', '127.0.0.5: the /31 rule wins over the /8')
            ok('RELAYCLIENT' not in env, '127.0.0.5: the /8 rule does not add to it')
            ok('T_INHERITED' not in env, '127.0.0.5: -VAR unsets')
            ok(not re.search(r'event=connect .*ip=127\.0\.0\.2 ', t.log()), 'denied clients are never forked')
        if have_ipv6_loopback():
            with Tcpd(['-r', rules], ENVPROG, host='::1') as t:
                env = parse_env(t.talk(b'x\n'))
                is_(env.get('T_NET'), 'v6', '::1: the IPv6 rule')
                is_(env.get('RELAYCLIENT'), '', '::1: RELAYCLIENT set')
        else:
            skip('no IPv6 loopback', 2)

        d.write('rules', '10.0.0.0/8 deny msg="554 no"\n::/0 deny\n')
        with Tcpd(['-r', rules], ENVPROG) as t:
            env = parse_env(t.talk(b'x\n'))
            is_(env.get('TCPREMOTEIP'), '127.0.0.1', 'no matching rule: allowed; ::/0 does not cover IPv4')
            ok('RELAYCLIENT' not in env, 'no matching rule: nothing set')


run(main, timeout=30)
