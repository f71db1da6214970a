#!/usr/bin/python3
# Proves: an envelope that does not parse is reported on stderr with its
# file and the line at fault (or what is missing), and skipped: list,
# stats and retry all go on with the others and exit 0, stats counts it
# as broken; show and hold of it exit 100 naming it; delete removes it
# (the way to get rid of one); an envelope naming another id, an
# unreadable one and junk names in the queue directories are handled the
# same way, never a crash.
import os, sys, time
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, '..', 'lib'))
sys.path.insert(0, here)
from dcrtest import *
from qctltest import *


def main():
    q = QueueDir()
    try:
        now = int(time.time())
        good1, bad_line, bad_missing, other, good2 = [make_id(now - 50 + i, i) for i in range(5)]
        write_envelope(q, good1, [('pending', 0, 0, 'a@example.net')])
        # line 7: an unknown key
        text = envelope_text(bad_line, [('pending', 0, 0, 'b@example.net')]).replace(
            'sender\talice@example.com\n', 'sender\talice@example.com\nfrobnicate\t1\n')
        p_line = write_envelope(q, bad_line, None, text=text)
        # no recipient at all: caught after the last line
        text = 'dcr-envelope\t1\nid\t%s\narrival\t%d\nsize\t3\nsender\tx@y\n' % (bad_missing, now)
        p_missing = write_envelope(q, bad_missing, None, text=text, new=True)
        # names another id
        p_other = write_envelope(q, other, None, text=envelope_text(good1, [('pending', 0, 0, 'c@example.net')]))
        write_envelope(q, good2, [('pending', 0, 0, 'd@example.net')])
        # junk beside the envelopes: not ids, ignored
        for junk in ('new/.hidden', 'new/README', 'env/%s/%s.bad' % (bucket(good1), good1)):
            with open(q.p(junk), 'w') as f:
                f.write('junk\n')
        os.mkdir(q.p('env', 'zz'))

        rel = lambda p: os.path.relpath(p, q.path)
        rc, out, err = qctl(q, 'list', '--ids')
        is_((rc, out), (0, '%s\n%s\n' % (good1, good2)), 'list: the good ones, exit 0')
        like(err, r'(?m)^dcr-qctl: warning: %s: broken envelope at line 7$' % rel(p_line), 'list: file and line reported')
        like(err, r'(?m)^dcr-qctl: warning: %s: broken envelope: a required field is missing or a value is invalid$' % rel(p_missing),
             'list: a missing field reported (in new/)')
        like(err, r'(?m)^dcr-qctl: warning: %s: broken envelope: it names another id$' % rel(p_other), 'list: a wrong id reported')
        is_(len(err.strip().split('\n')), 3, 'list: three warnings, nothing about the junk names')
        rc, out, err = qctl(q, 'list')
        like(out, r'(?m)^-- 2 messages, 2 recipients, \d+ bytes, 3 broken envelope\(s\) skipped$', 'list: the summary counts them')

        rc, out, err = qctl(q, 'stats')
        ok(rc == 0 and out.startswith('messages     2  (in new/ 0, held 0, broken 3)\n'), 'stats: broken counted, exit 0')

        rc, out, err = qctl(q, 'show', bad_line)
        is_(rc, 100, 'show of a broken envelope: exit 100')
        like(err, r'%s: broken envelope at line 7' % rel(p_line), 'show: says where')
        rc, out, err = qctl(q, 'hold', bad_line)
        ok(rc == 100 and 'broken' in err and 'only delete works' in err, 'hold of a broken envelope (runner down): exit 100, says delete works')
        rc, out, err = qctl(q, 'retry', 'all')
        ok(rc == 0 and 'broken envelope at line 7' in err, 'retry all: reports the broken one, goes on, exit 0')
        rc, out, err = qctl(q, 'delete', bad_line)
        ok(rc == 0 and not os.path.exists(p_line) and not os.path.exists(q.p('mess', bucket(bad_line), bad_line)),
           'delete removes a broken envelope and its message')

        # unreadable: mode 0 (unless we are root, who reads anything)
        if os.geteuid() != 0:
            os.chmod(p_missing, 0)
            rc, out, err = qctl(q, 'list', '--ids')
            ok(rc == 0 and 'unable to read ' in err, 'an unreadable envelope is reported and skipped')
        else:
            skip('running as root: mode 0 does not stop reading')
        # a directory where an envelope should be
        os.mkdir(q.p('new', make_id(now, 99)))
        rc, out, err = qctl(q, 'list', '--ids')
        ok(rc == 0 and 'unable to read new/%s' % make_id(now, 99) in err and good2 in out,
           'a directory named like an id: reported, skipped')
        # a huge file: refused by the reader, reported
        big = make_id(now, 98)
        with open(q.p('new', big), 'wb') as f:
            f.truncate(65 << 20)
        rc, out, err = qctl(q, 'list', '--ids')
        ok(rc == 0 and 'new/%s' % big in err and good2 in out, 'an envelope over 64 MiB: reported, skipped')
    finally:
        q.cleanup()


run(main)
