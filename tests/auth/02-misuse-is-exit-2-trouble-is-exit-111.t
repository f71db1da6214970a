#!/usr/bin/python3
# Proves: the checkpassword convention for misuse, exit 2 and prog not
# run: more than 512 bytes on descriptor 3 (512 are fine), no NUL after
# the user or after the secret, an empty user, no descriptor 3 at all,
# no prog, an unknown option, a bad -t, a password with no -u. Exit 111,
# prog not run, with a message naming the file: a users file that is
# missing or cannot be read (a directory).
import os, sys, tempfile
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, '..', 'lib'))
sys.path.insert(0, here)
from dcrtest import *
from authtest import *


def main():
    top = tempfile.mkdtemp(prefix='dcrauth-')
    users = write(os.path.join(top, 'users'), 'u:%s\n' % mkpasswd('yescrypt', 'pw'))
    prog, ran = recorder(top)

    # 512 bytes exactly: u\0pw\0 and a timestamp field filling the rest
    full = b'u\0pw\0' + b'9' * (512 - 6) + b'\0'
    is_(len(full), 512, 'the input of 512 bytes is 512 bytes')
    rc, out, err, _ = checkpass(['-u', users] + prog, full, mech='PLAIN')
    is_((rc, ran()), (0, 'u|'), '512 bytes on fd 3: read, exit 0')
    rc, out, err, _ = checkpass(['-u', users] + prog, full + b'x', mech='PLAIN')
    ok(rc == 2 and ran() is None and 'more than 512 bytes' in err, '513 bytes on fd 3: exit 2, prog not run')
    rc, out, err, _ = checkpass(['-u', users] + prog, b'u\0' + b'p' * 4000 + b'\0', mech='PLAIN')
    ok(rc == 2 and ran() is None, '4 KiB on fd 3: exit 2')

    for data, what in ((b'', 'nothing'), (b'u', 'no NUL at all'), (b'u\0pw', 'no NUL after the secret'),
                       (b'\0pw\0', 'an empty user')):
        rc, out, err, _ = checkpass(['-u', users] + prog, data, mech='PLAIN')
        ok(rc == 2 and ran() is None and 'result=' not in err, 'fd 3 with %s: exit 2, prog not run, no auth line' % what)

    rc, out, err, _ = checkpass(['-u', users] + prog, None, mech='PLAIN')
    ok(rc == 2 and ran() is None and 'descriptor 3 is not open' in err, 'no descriptor 3: exit 2 saying so')

    for args, what in (([], 'no prog'), (['-u', users], 'only options'), (['-x', 'true'], 'an unknown option'),
                       (['-t', '0', 'true'], '-t 0'), (['-t', 'ten', 'true'], '-t ten'), (['-u'], '-u without a value')):
        rc, out, err, _ = checkpass(args, b'u\0pw\0', mech='PLAIN')
        ok(rc == 2 and 'usage: dcr-checkpass' in err, 'usage (%s): exit 2 with the usage line' % what)

    rc, out, err, _ = checkpass(prog, b'u\0pw\0', mech='PLAIN')
    ok(rc == 2 and ran() is None and 'no users file' in err, 'a password and no -u: exit 2')

    missing = os.path.join(top, 'missing-users')
    rc, out, err, _ = checkpass(['-u', missing] + prog, b'u\0pw\0', mech='PLAIN')
    ok(rc == 111 and ran() is None and missing in err and 'No such file' in err,
       'missing users file: exit 111 naming it: ' + err.strip())
    rc, out, err, _ = checkpass(['-u', top] + prog, b'u\0pw\0', mech='PLAIN')
    ok(rc == 111 and ran() is None and top in err, 'a directory as users file: exit 111 naming it: ' + err.strip())


run(main, timeout=60)
