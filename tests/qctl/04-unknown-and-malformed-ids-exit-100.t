#!/usr/bin/python3
# Proves: every command that takes an id refuses an unknown one (a valid
# id with no envelope) and a malformed one (not 23 lowercase hex digits,
# a path, an empty string) with exit 100 and "dcr-qctl: unknown queue id:
# X", runner up or down, and changes nothing; bad usage is exit 100 with
# the usage line; a missing queue directory is exit 111 naming it.
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
        a = make_id(now - 10, 1)
        write_envelope(q, a, [('pending', 0, 0, 'bob@example.net')])
        unknown = make_id(now, 7)
        bad_ids = ['661115F8FE6FE0029B90000', '661115f8fe6fe0029b9000', '661115f8fe6fe0029b900000',
                   '../../etc/passwd', '', 'x' * 23, '661115f8fe6fe0029b9000g']
        for runner in (False, True):
            tag = 'runner up' if runner else 'runner down'
            r = Runner(q) if runner else None
            try:
                for cmd in ('show', 'retry', 'hold', 'release', 'delete', 'bounce'):
                    rc, out, err = qctl(q, cmd, unknown)
                    is_((rc, out, err), (100, '', 'dcr-qctl: unknown queue id: %s\n' % unknown),
                        '%s %s of an unknown id: exit 100, said' % (tag, cmd))
                    for bad in bad_ids:
                        rc, out, err = qctl(q, cmd, bad)
                        ok(rc == 100 and err.startswith('dcr-qctl: unknown queue id: %s' % bad) and out == '',
                           '%s %s %r: malformed id, exit 100' % (tag, cmd, bad))
                if r:
                    is_(r.read(), b'', tag + ': nothing was sent to the runner')
            finally:
                if r:
                    r.close()
        ok(os.path.exists(env_path(q, a)) and sorted(os.listdir(q.p('tmp'))) == [], 'the queue is untouched')

        usage = [[], ['frobnicate'], ['show'], ['show', a, a], ['hold'], ['retry'], ['retry', a, a],
                 ['pause', 'a', 'b'], ['reload', 'x'], ['list', 'x'], ['stats', '--top']]
        for args in usage:
            rc, out, err = qctl(q, *args)
            ok(rc == 100 and err.startswith('dcr-qctl: usage: dcr-qctl [ -q queuedir ]'),
               'usage %r: exit 100, the usage line' % (args,))
        rc, out, err = qctl(None, '-q', q.p('nowhere'), 'list')
        ok(rc == 111 and 'nowhere' in err, 'missing queue directory: exit 111, named')
        rc, out, err = qctl(None, 'list', env={'DCR_QUEUE': q.p('nowhere2')})
        ok(rc == 111 and 'nowhere2' in err, 'DCR_QUEUE missing: exit 111, named')
    finally:
        q.cleanup()


run(main)
