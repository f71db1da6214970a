#!/usr/bin/python3
# Proves: on a full filesystem (a 64 KiB tmpfs it mounts) dcr-maildir
# answers T "452 4.3.1 insufficient system storage" naming the Maildir,
# leaves no file in new/ (nor in tmp/), and delivers again once space is
# back; a Maildir that cannot even be made (no space for its directories)
# is T 452 too. Skipped when mount is not permitted (not root).
import errno, os, subprocess, sys, tempfile
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, '..', 'lib'))
sys.path.insert(0, here)
from dcrtest import *
from maildirtest import *


def main():
    top = tempfile.mkdtemp(prefix='dcrmd-')
    fs = os.path.join(top, 'fs')
    os.mkdir(fs)
    if not tmpfs_mount(fs, 'size=64k,mode=0700'):
        skip('cannot mount a tmpfs here (not root?)', 9)
        return
    try:
        big = os.path.join(top, 'big')
        small = os.path.join(top, 'small')
        with open(big, 'wb') as f:
            f.write(b'Subject: big\n\n' + b'x' * (200 * 1024))
        with open(small, 'wb') as f:
            f.write(b'Subject: small\n\nhi\n')
        md = os.path.join(fs, 'md')
        rc, out, err, _ = agent([md], job('F1', big, 's', 'r@x'))
        v = verdicts(out)
        is_(v[0][:3], ('F1', 'r@x', 'T'), '200 KiB into 64 KiB: T')
        like(v[0][3], r'^452 4\.3\.1 insufficient system storage: ' + md + ': No space left on device$', '  452 4.3.1 naming the Maildir')
        is_((rc, v[1]), (0, ('F1', 'done')), '  then done, exit 0')
        is_((files(md), files(md, 'tmp')), ([], []), '  no file in new/ nor tmp/')
        rc, out, err, _ = agent([md], job('F2', small, 's', 'r@x'))
        is_(verdicts(out)[0][2], 'D', 'a small message fits: D')
        is_(len(files(md)), 1, '  one file in new/')

        fill_disk(os.path.join(fs, 'filler'))
        rc, out, err, _ = agent([md], job('F3', small, 's', 'r@x'))
        v = verdicts(out)
        ok(v[0][2] == 'T' and v[0][3].startswith('452 4.3.1 '), 'full: even a small message is T 452 4.3.1')
        is_((len(files(md)), files(md, 'tmp')), (1, []), '  and leaves nothing')
        # no room for a new Maildir's directories: tmpfs counts them in blocks
        rc, out, err, _ = agent([os.path.join(fs, 'new', 'md')], job('F4', small, 's', 'r@x'))
        v = verdicts(out)
        ok(v[0][2] == 'T' and v[0][3][:4] in ('452 ', '451 '), 'a Maildir that cannot be made: T (%s)' % v[0][3])
    finally:
        tmpfs_umount(fs)


run(main, timeout=60)
