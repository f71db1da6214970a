#!/usr/bin/python3
# Proves: with hashes made by mkpasswd, the right password runs prog
# (PATH search, its arguments kept) with AUTHUSER set and descriptor 3
# closed, exit 0; yescrypt, sha512-crypt and bcrypt work, with or without
# a Dovecot {...CRYPT} prefix; a wrong password, an unknown user, a
# locked (!, *) or empty hash, another scheme ({PLAIN}), a name in
# another case are exit 1 and prog does not run; comments, blank lines,
# surrounding spaces, CRLF, extra colon fields and a last line without
# LF are fine; a line over 4096 bytes (4097, 5000) is skipped with a log naming
# file:line and the next line still counts (also after a line of 2 x 4098
# - 1 bytes, whose LF ends a full read), a line of 4096 is read; a
# line without a colon is logged; AUTH_MECH unset, PLAIN or login are
# passwords, CRAM-MD5 is refused; a timestamp after the secret is ignored.
import os, re, sys, tempfile
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, '..', 'lib'))
sys.path.insert(0, here)
from dcrtest import *
from authtest import *


def main():
    top = tempfile.mkdtemp(prefix='dcrauth-')
    y = mkpasswd('yescrypt', 'correct horse')
    s = mkpasswd('sha-512', 's3cret:with colon')
    bf = mkpasswd('bcrypt', 'blowfish')
    ok(y.startswith('$y$') and s.startswith('$6$') and bf.startswith('$2b$'), 'mkpasswd made $y$, $6$ and $2b$ hashes')
    long_line = 'biguser:' + 'x' * 5000
    fits = 'fits:' + y + ':'
    fits += 'z' * (4096 - len(fits))   # a line of exactly 4096 bytes
    over = 'over:' + y + ':'
    over += 'z' * (4097 - len(over))   # one byte too many
    users = write(os.path.join(top, 'users'),
                  '# dcr-checkpass users\n'
                  '\n'
                  '   \t\n'
                  'alice:%s\n'
                  '  bob:{SHA512-CRYPT}%s:1000:1000::/home/bob:/bin/false:extra  \n'
                  'carol:%s\r\n'
                  'dave:{BLF-CRYPT}%s\n'
                  'eve:!%s\n'
                  'frank:*\n'
                  'gina:\n'
                  'hank:{PLAIN}correct horse\n'
                  'no colon on this line\n'
                  '%s\n'
                  'ivan:{CRYPT}%s\n'
                  '%s\n'
                  '%s\n'
                  'alice:%s\n'
                  'last:%s' % (y, s, s, bf, y, long_line, y, fits, over, s, y))
    prog, ran = recorder(top)

    def attempt(user, pw, mech=None, extra=b''):
        return checkpass(['-u', users] + prog, user.encode() + b'\0' + pw.encode() + b'\0' + extra, mech=mech)

    rc, out, err, _ = attempt('alice', 'correct horse', 'PLAIN')
    is_((rc, ran()), (0, 'alice|'), 'yescrypt, right password: exit 0, prog ran with AUTHUSER=alice and no fd 3')
    like(err, r'(?m)^dcr-checkpass: event=auth user=alice mech=PLAIN result=ok ip=192\.0\.2\.7$', '  logged result=ok')
    like(err, r'(?m)^dcr-checkpass: event=users-file file=\S+/users line=13 why="line over 4096 bytes, skipped"$',
         'the 5000-byte line is skipped, logged with file and line')
    like(err, r'(?m)^dcr-checkpass: event=users-file file=\S+/users line=12 why="no colon, skipped"$',
         'a line without a colon is logged with file and line')
    like(err, r'(?m)^dcr-checkpass: event=users-file file=\S+/users line=16 why="line over 4096 bytes, skipped"$',
         'a line of 4097 bytes is skipped too')
    ok(not re.search(r'line=(1|2|3|15)\b', err), 'comments, blank lines and a 4096-byte line are not complained about')

    rc, out, err, _ = attempt('alice', 'correct horsE', 'PLAIN')
    is_((rc, ran()), (1, None), 'yescrypt, wrong password: exit 1, prog not run')
    like(err, r'user=alice mech=PLAIN result=bad ', '  logged result=bad')
    rc, out, err, _ = attempt('alice', '', 'PLAIN')
    is_((rc, ran()), (1, None), 'empty password: exit 1')
    is_(attempt('alice', 'x' * 400, 'PLAIN')[0], 1, 'a 400-byte password: exit 1')

    rc, out, err, _ = attempt('bob', 's3cret:with colon', 'LOGIN')
    is_((rc, ran()), (0, 'bob|'), '{SHA512-CRYPT} prefix, leading spaces and passwd-file fields: ok')
    is_(attempt('bob', 's3cret:with colo', 'LOGIN')[0], 1, '  and a wrong password for it: exit 1')
    rc, out, err, _ = attempt('carol', 's3cret:with colon')
    is_((rc, ran()), (0, 'carol|'), 'sha512-crypt on a CRLF line, AUTH_MECH unset: ok')
    like(err, r'user=carol mech=none result=ok', '  logged mech=none')
    rc, out, err, _ = attempt('dave', 'blowfish', 'login')
    is_((rc, ran()), (0, 'dave|'), '{BLF-CRYPT} bcrypt, mech in lower case: ok')
    rc, out, err, _ = attempt('ivan', 'correct horse', 'PLAIN')
    is_((rc, ran()), (0, 'ivan|'), '{CRYPT} prefix after the long line: ok')
    rc, out, err, _ = attempt('fits', 'correct horse', 'PLAIN')
    is_((len(fits), rc, ran()), (4096, 0, 'fits|'), 'a line of exactly 4096 bytes is read')
    rc, out, err, _ = attempt('last', 'correct horse', 'PLAIN')
    is_((rc, ran()), (0, 'last|'), 'a last line without LF counts')
    rc, out, err, _ = attempt('alice', 'correct horse', 'PLAIN', b'1700000000\0more\0')
    is_((rc, ran()), (0, 'alice|'), 'a timestamp and more after the secret are ignored')

    for user, pw, res, name in (('eve', 'correct horse', 'locked', '!hash (locked) with the right password'),
                                ('frank', '*', 'locked', '* (no password)'),
                                ('gina', '', 'locked', 'empty hash, empty password'),
                                ('hank', 'correct horse', 'bad-hash', '{PLAIN}: not a crypt scheme'),
                                ('Alice', 'correct horse', 'unknown-user', 'the name in another case'),
                                ('mallory', 'correct horse', 'unknown-user', 'unknown user'),
                                ('biguser', 'x', 'unknown-user', 'the user of the skipped long line'),
                                ('over', 'correct horse', 'unknown-user', 'the user of the 4097-byte line'),
                                ('alice:' + y, 'correct horse', 'unknown-user', 'a user name holding the colon')):
        rc, out, err, _ = attempt(user, pw, 'PLAIN')
        ok(rc == 1 and ran() is None and ('result=%s ' % res) in err, '%s: exit 1, result=%s, prog not run' % (name, res))

    rc, out, err, _ = attempt('alice', 'correct horse', 'CRAM-MD5')
    ok(rc == 1 and ran() is None and 'result=bad-mech' in err, 'AUTH_MECH=CRAM-MD5: exit 1, result=bad-mech')

    # the second alice line is never consulted: the first one wins
    rc, out, err, _ = attempt('alice', 's3cret:with colon', 'PLAIN')
    is_(rc, 1, 'a user listed twice: the first line is the one')

    # a long line whose LF is the last byte of a full read buffer (2 x 4098
    # - 1 bytes): the line after it is still read, and the lines counted
    for n in (8195, 12293):
        users2 = write(os.path.join(top, 'users%d' % n), 'x' * n + '\nkate:%s\nno colon\n' % y)
        rc, out, err, _ = checkpass(['-u', users2] + prog, b'kate\0correct horse\0', mech='PLAIN')
        ok(rc == 0 and ran() == 'kate|' and 'line=3 why="no colon, skipped"' in err,
           'after a %d-byte line, the next line is read and the one after is line 3' % n)

    # prog found on PATH, its arguments passed; a missing prog is 111
    rc, out, err, _ = checkpass(['-u', users, 'echo', 'a', 'b'], b'alice\0correct horse\0', mech='PLAIN')
    is_((rc, out), (0, 'a b\n'), 'prog by PATH search with its arguments')
    rc, out, err, _ = checkpass(['-u', users, os.path.join(top, 'no-such-prog')], b'alice\0correct horse\0', mech='PLAIN')
    ok(rc == 111 and 'no-such-prog' in err, 'a prog that cannot be run: exit 111 naming it')


run(main, timeout=120)
