#!/usr/bin/python3
# Proves: a line that is not a job (over 1 MiB, fewer than four fields,
# an empty id, a control character, a "<" without ">") is answered
# "ID done" when it has an id, nothing delivered, and the agent goes on;
# a missing message file, or a directory, is T 451 4.3.0 naming it; an
# unusable Maildir (a file where a directory must be) is T 451 4.3.0
# naming the path and the error; a last line without LF is ignored; bad
# usage (no path, a relative path, %x, two paths, a bad -i) is exit 100.
import os, sys, tempfile
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, '..', 'lib'))
sys.path.insert(0, here)
from dcrtest import *
from maildirtest import *


def main():
    top = tempfile.mkdtemp(prefix='dcrmd-')
    msg = os.path.join(top, 'msg')
    with open(msg, 'wb') as f:
        f.write(b'Subject: s\n\nbody\n')
    md = os.path.join(top, 'md')
    jobs = (b'H1\t' + msg.encode() + b'\t\t' + b'x' * (2 << 20) + b'@example.net\n' +
            b'H2\t' + msg.encode() + b'\tsender\n' +
            b'\t' + msg.encode() + b'\ts\tr@x\n' +
            b'H4\t' + msg.encode() + b'\ts\tr@x\rcc\n' +
            b'H5\t' + msg.encode() + b'\ts\t<r@x NOTIFY=NEVER\n' +
            b'H6\t' + msg.encode() + b'\ts\t\n' +
            b'H7\t' + msg.encode() + b'\ts\tgood@x\n' +
            job('H8', os.path.join(top, 'nonexistent'), 's', 'a@x', 'b@x').encode() +
            job('H9', top, 's', 'a@x').encode() +
            b'H10\t' + msg.encode() + b'\ts\tlast@x')
    rc, out, err, _ = agent([md], jobs)
    is_(rc, 0, 'exit 0 at EOF')
    v = verdicts(out)
    is_(v[:7], [('H1', 'done'), ('H2', 'done'), ('H4', 'done'), ('H5', 'done'), ('H6', 'done'),
                ('H7', 'good@x', 'D', v[5][3] if len(v) > 5 else ''), ('H7', 'done')],
        'bad lines: "ID done" (none for an empty id), then a good job is delivered')
    like(err, r'id=H1 event=bad-job why="job line too long"', 'a 2 MiB line: too long')
    like(err, r'id=H2 event=bad-job why="fewer than four fields"', 'three fields')
    like(err, r'event=bad-job why="empty id"', 'empty id')
    like(err, r'id=H4 event=bad-job why="control character', 'a CR')
    is_(v[7:10], [('H8', 'a@x', 'T', '451 4.3.0 message file %s/nonexistent: No such file or directory' % top),
                 ('H8', 'b@x', 'T', '451 4.3.0 message file %s/nonexistent: No such file or directory' % top),
                 ('H8', 'done')], 'missing message file: T 451 4.3.0 for each recipient')
    is_(v[10:12], [('H9', 'a@x', 'T', '451 4.3.0 message file %s: Is a directory' % top), ('H9', 'done')],
        'a directory as message: T')
    is_(len(v), 12, 'the last line without LF is not a job')
    like(err, r'last line without LF, ignored', '  and is logged')
    is_(len(files(md)), 1, 'one message delivered in all')

    # a file where the Maildir's parent should be
    with open(os.path.join(top, 'afile'), 'w') as f:
        f.write('x')
    rc, out, err, _ = agent([os.path.join(top, 'afile', 'md')], job('I1', msg, 's', 'a@x'))
    v = verdicts(out)
    ok(v[0][2] == 'T' and v[0][3].startswith('451 4.3.0 ') and 'afile/md' in v[0][3] and 'Not a directory' in v[0][3],
       'unusable Maildir: T 451 4.3.0 with the path and the error: ' + (v[0][3] if v else ''))

    for args, name in (([], 'no path'), (['rel/md'], 'relative path'), ([md + '/%x'], '%x'),
                       ([md, md], 'two paths'), (['-i', 'x', md], 'bad -i'), ([md + '\t'], 'a TAB in the path')):
        rc, out, err, _ = agent(args, b'')
        ok(rc == 100 and out == '', 'usage: %s -> exit 100' % name)


run(main, timeout=60)
