#!/usr/bin/python3
# Proves: every attempt logs exactly one auth line on stderr, made of
# event, user, mech, result, ip (and why for a verifier failure) and
# nothing else: the password or token never appears, whatever the
# result; a user name with control characters, quotes, spaces, '=' or
# 480 bytes of newlines stays inside its quoted user= field, clipped, on
# one line under 2048 bytes; and an unknown user costs the same crypt
# as a known one (no user enumeration by timing).
import os, statistics, sys, tempfile
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, '..', 'lib'))
sys.path.insert(0, here)
from dcrtest import *
from authtest import *


def main():
    top = tempfile.mkdtemp(prefix='dcrauth-')
    pw = 'Tr0ub4dor&3-unique-password'
    tok = 'ya29.unique-bearer-token'
    users = write(os.path.join(top, 'users'), 'alice:%s\nbob:!%s\n' % (mkpasswd('yescrypt', pw), mkpasswd('yescrypt', pw)))
    ver = write(os.path.join(top, 'verifier'), '#!/bin/sh\ncat <&3 >/dev/null\nexit ${RC:-1}\n', 0o700)

    attempts = [('alice', pw, 'PLAIN', {}), ('alice', pw + 'x', 'PLAIN', {}), ('nobody', pw, 'LOGIN', {}),
                ('bob', pw, 'PLAIN', {}), ('alice', tok, 'XOAUTH2', {'RC': '0'}), ('alice', tok, 'XOAUTH2', {'RC': '1'}),
                ('alice', tok, 'XOAUTH2', {'RC': '5'})]
    for user, secret, mech, env in attempts:
        args = ['-u', users, '-o', ver, 'true'] if mech == 'XOAUTH2' else ['-u', users, 'true']
        rc, out, err, _ = checkpass(args, user.encode() + b'\0' + secret.encode() + b'\0', mech=mech, env=env)
        lines = auth_lines(err)
        kv = fields(lines[0]) if len(lines) == 1 else None
        keys = [k for k, v in kv] if kv else None
        ok(len(lines) == 1 and keys in (['event', 'user', 'mech', 'result', 'ip'], ['event', 'user', 'mech', 'result', 'ip', 'why']),
           '%s %s rc=%d: one auth line, only its fields: %s' % (user, mech, rc, lines))
        ok(secret not in err and secret[:8] not in err and str(len(secret)) not in err,
           '  and neither the secret, nor a part of it, nor its length')

    hostile = [('ctl', 'a\nevent=auth result=ok\r\x1b[2J\x07'), ('quotes', 'x" result=ok ip="1'),
               ('backslash', 'a\\" b=c'), ('long newlines', '\n' * 480), ('long', 'q' * 480),
               ('high bytes', '\xff\xfe\x80 user')]
    for what, user in hostile:
        rc, out, err, _ = checkpass(['-u', users, 'true'], user.encode('latin-1') + b'\0' + pw.encode() + b'\0', mech='PLAIN')
        lines = err.split('\n')
        kv = fields(lines[0]) if len(lines) == 2 and lines[1] == '' else None
        ok(rc == 1 and kv is not None and [k for k, v in kv] == ['event', 'user', 'mech', 'result', 'ip']
           and dict(kv)['result'] == 'unknown-user' and len(err) < 2048,
           'hostile user name (%s): exit 1, one line, fields intact, result=unknown-user: %r' % (what, err[:200]))
    rc, out, err, _ = checkpass(['-u', users, 'true'], b'q' * 510 + b'\0\0', mech='PLAIN')
    like(err, r'user=q{128}\.\.\. ', 'a long user name is clipped to 128 bytes and "..."')

    # timing: yescrypt at a cost where one crypt dominates the run
    slow = write(os.path.join(top, 'slow'), 'known:%s\n' % mkpasswd('yescrypt', pw, rounds=8))

    def cost(user, n=5):
        t = []
        for _ in range(n):
            rc, out, err, s = checkpass(['-u', slow, 'true'], user.encode() + b'\0wrong\0', mech='PLAIN')
            t.append(s)
        return statistics.median(t)
    known, unknown = cost('known'), cost('unknown')
    ok(known > 0.02 and 0.6 < unknown / known < 1.6,
       'an unknown user costs what a known one does (%.3f s vs %.3f s)' % (unknown, known))


run(main, timeout=120)
