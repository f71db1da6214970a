#!/usr/bin/python3
# Proves: for XOAUTH2 and OAUTHBEARER the secret goes to the -o verifier
# and never to the users file: the verifier gets exactly user\0token\0
# on descriptor 3 (not the timestamp), no arguments, our environment;
# its exit 0 runs prog with AUTHUSER (exit 0), its exit 1 is exit 1;
# another exit, a signal, or a verifier that cannot be run is exit 111;
# one that outlives -t 1 is killed with what it started, exit 111 in
# about a second; what it prints never reaches our stdout; without -o a
# token is refused, exit 1, result=no-verifier.
import os, sys, tempfile, time
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, '..', 'lib'))
sys.path.insert(0, here)
from dcrtest import *
from authtest import *

VERIFIER = r'''#!/bin/sh
# accepts one token; a few others misbehave on purpose
d=%(dir)s
cat <&3 > "$d/seen"
printf '%%s|%%s|%%s' "$#" "$AUTH_MECH" "$TCPREMOTEIP" > "$d/env"
echo "printed by the verifier"
tok=$(tr '\0' '\n' < "$d/seen" | sed -n 2p)
case "$tok" in
  good-token) exit 0 ;;
  exit-3) exit 3 ;;
  signal) kill -TERM $$ ;;
  slow) sleep 30 & echo $! > "$d/sleeper" ; wait ; exit 0 ;;
esac
exit 1
'''


def alive(pid):
    try:
        with open('/proc/%d/stat' % pid) as f:
            return f.read().split(') ')[1][0] != 'Z'
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


def main():
    top = tempfile.mkdtemp(prefix='dcrauth-')
    ver = write(os.path.join(top, 'verifier'), VERIFIER % {'dir': top}, 0o700)
    users = write(os.path.join(top, 'users'), 'u:%s\n' % mkpasswd('yescrypt', 'good-token'))
    prog, ran = recorder(top)

    def seen():
        with open(os.path.join(top, 'seen'), 'rb') as f:
            s = f.read()
        with open(os.path.join(top, 'env')) as f:
            return s, f.read()

    rc, out, err, _ = checkpass(['-u', users, '-o', ver] + prog, b'u@example.com\0good-token\x001700000000\0', mech='XOAUTH2')
    is_((rc, ran()), (0, 'u@example.com|'), 'XOAUTH2, the token the verifier accepts: exit 0, prog ran with AUTHUSER')
    is_(seen(), (b'u@example.com\0good-token\0', '0|XOAUTH2|192.0.2.7'),
        '  the verifier got user\\0token\\0 on fd 3, no arguments, AUTH_MECH and TCPREMOTEIP')
    ok('printed by the verifier' not in out and 'printed by the verifier' in err,
       "  what the verifier prints goes to stderr, not to stdout")
    like(err, r'(?m)^dcr-checkpass: event=auth user=u@example\.com mech=XOAUTH2 result=ok ip=192\.0\.2\.7$', '  logged ok')

    rc, out, err, _ = checkpass(['-u', users, '-o', ver] + prog, b'u\0bad-token\0', mech='OAUTHBEARER')
    ok(rc == 1 and ran() is None and 'result=bad ' in err, 'OAUTHBEARER, a token the verifier refuses: exit 1, prog not run')
    rc, out, err, _ = checkpass(['-u', users, '-o', ver] + prog, b'u\0\0', mech='XOAUTH2')
    ok(rc == 1 and ran() is None, 'an empty token: exit 1')

    rc, out, err, _ = checkpass(['-o', ver] + prog, b'u\0exit-3\0', mech='XOAUTH2')
    ok(rc == 111 and ran() is None and 'result=verifier-fail' in err and 'why="exit 3"' in err,
       'verifier exit 3: exit 111, result=verifier-fail why="exit 3"')
    rc, out, err, _ = checkpass(['-o', ver] + prog, b'u\0signal\0', mech='XOAUTH2')
    ok(rc == 111 and ran() is None and 'why="killed by signal 15"' in err, 'verifier killed by a signal: exit 111')
    rc, out, err, _ = checkpass(['-o', os.path.join(top, 'no-verifier-here')] + prog, b'u\0good-token\0', mech='XOAUTH2')
    ok(rc == 111 and ran() is None and 'no-verifier-here' in err, 'a verifier that cannot be run: exit 111 naming it')

    rc, out, err, secs = checkpass(['-o', ver, '-t', '1'] + prog, b'u\0slow\0', mech='XOAUTH2', timeout=10)
    ok(rc == 111 and ran() is None and 'why="timeout after 1s"' in err,
       'a verifier slower than -t 1: exit 111, why="timeout after 1s"')
    ok(0.9 <= secs < 3, '  in about a second (%.2f s)' % secs)
    with open(os.path.join(top, 'sleeper')) as f:
        sleeper = int(f.read())
    t = time.monotonic()
    while alive(sleeper) and time.monotonic() - t < 2:
        time.sleep(0.05)
    ok(not alive(sleeper), '  and what the verifier started was killed with it')

    rc, out, err, _ = checkpass(['-u', users] + prog, b'u\0good-token\0', mech='XOAUTH2')
    ok(rc == 1 and ran() is None and 'result=no-verifier' in err,
       'XOAUTH2 without -o: exit 1, result=no-verifier (the users file is not used for tokens)')


run(main, timeout=60)
