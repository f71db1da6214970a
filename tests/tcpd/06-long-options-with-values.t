#!/usr/bin/python3
# Proves: --name=value and --name value long options work however few
# words follow them (one "--max-conns=5" becomes two words inside; the
# program's command line after it must still be found whole).
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tcpdlib import *
from dcrtest import is_, like, ok, run


def main():
    for opts in (['--max-conns=5'], ['--max-conns=5', '--max-per-ip=2', '-v'],
                 ['--max-conns', '5', '--max-per-ip=2']):
        with Tcpd(opts, ['/bin/echo', 'hello']) as t:
            ok(t.wait_log(r'event=start .*max-conns=5'), '%s: starts with max-conns=5' % ' '.join(opts))
            is_(t.talk(), b'hello\n', '%s: runs the whole program line' % ' '.join(opts))


run(main, timeout=30)
