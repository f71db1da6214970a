#!/usr/bin/python3
# Proves: dcr-qctl list prints one block per message in id (arrival)
# order, with age, size, priority, sender (<> for the null one), held/new
# flags, and one line per recipient (state, tries, next relative, address,
# last reply); --ids, --domain (case-insensitive), --state and --older
# select messages and recipients; show prints every envelope field and
# the header section only, escaped and capped; stats counts messages,
# recipients by state, held, new, broken, pending per domain (--top),
# the oldest message, paused domains and whether the runner is up.
import os, re, sys, time
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, '..', 'lib'))
sys.path.insert(0, here)
from dcrtest import *
from qctltest import *


def lines_of(out):
    return out.rstrip('\n').split('\n')


def main():
    q = QueueDir()
    try:
        # an empty queue
        rc, out, err = qctl(q, 'list')
        is_((rc, out, err), (0, '-- 0 messages, 0 recipients, 0 bytes\n', ''), 'empty queue: list says so')
        rc, out, err = qctl(q, 'stats')
        like(out, r'(?m)^messages     0  \(in new/ 0, held 0, broken 0\)$', 'empty queue: stats counts 0')
        like(out, r'(?m)^oldest       -$', 'empty queue: no oldest message')

        now = time.time()
        a = make_id(now - 3 * 3600 - 12 * 60 - 30)
        b = make_id(now - 2 * 86400 - 600)
        msg_a = b'Subject: for A\nX-Test: yes\n\nthe body of A\n'
        write_envelope(q, a, [('pending', 3, int(now) + 270, 'bob@example.net', '451 4.7.1 greylisted'),
                              ('delivered', 1, 0, 'carol@example.org', '250 2.0.0 ok'),
                              ('failed', 1, 0, 'x@example.org', '550 5.1.1 no such user')],
                       message=msg_a, arrival=int(now) - 3 * 3600 - 12 * 60 - 30, priority=5,
                       extra=(('helo', 'client.example.com'), ('proto', 'ESMTP'), ('ip', '192.0.2.7')))
        write_envelope(q, b, [('pending', 0, 0, 'dave@Example.COM')], sender='', hold=True,
                       arrival=int(now) - 2 * 86400 - 600)
        # the third through dcr-enqueue: in new/, with an ESC in a header
        msg_c = b'Subject: \x1b[31mred\nFrom: eve\n\nbody line\n'
        rc, out, err = enqueue(q.path, msg_c, {'SMTP_SENDER': 'zed@example.com',
                                               'SMTP_RECIPIENTS': 'eve@example.com\nfrank@example.net'})
        c = out.strip()
        is_(rc, 0, 'dcr-enqueue queued a third message')

        rc, out, err = qctl(q, 'list')
        is_((rc, err), (0, ''), 'list: exit 0, nothing on stderr')
        L = lines_of(out)
        is_(len(L), 10, 'list: 3 headers, 6 recipients, 1 summary line')
        like(L[0], r'^%s  age 2d  size \d+  prio 0  from <>  held$' % b, 'held message first (oldest id), null sender as <>')
        like(L[1], r'^  pending +tries 0 +next now +<dave@Example.COM>$', 'its recipient: pending, due now')
        like(L[2], r'^%s  age 3h1[23]m  size %d  prio 5  from <alice@example.com>$' % (a, len(msg_a)),
             'second: age, size, priority, sender')
        like(L[3], r'^  pending +tries 3 +next in 4m +<bob@example.net>  451 4.7.1 greylisted$',
             'pending recipient: tries, next relative, last reply')
        like(L[4], r'^  delivered +tries 1 +next - +<carol@example.org>  250 2.0.0 ok$', 'delivered recipient')
        like(L[5], r'^  failed +tries 1 +next - +<x@example.org>  550 5.1.1 no such user$', 'failed recipient')
        like(L[6], r'^%s  age \d+s  size %d  prio 0  from <zed@example.com>  new$' % (c, len(msg_c)),
             'message not yet picked up: flagged new')
        like(L[7], r'^  pending +tries 0 +next now +<eve@example.com>$', 'new message: first recipient')
        like(L[9], r'^-- 3 messages, 6 recipients, %d bytes$' % (len(msg_a) + len(msg_c) + len(b'Subject: test\n\nbody\n')),
             'summary line: messages, recipients, bytes')

        rc, out, err = qctl(q, 'list', '--ids')
        is_(out, '%s\n%s\n%s\n' % (b, a, c), 'list --ids: only the ids, in arrival order')

        rc, out, err = qctl(q, 'list', '--domain', 'example.org')
        L = lines_of(out)
        is_(len(L), 5, '--domain: one message, its matching recipients, a count of the others, summary')
        ok(L[0].startswith(a) and 'carol@example.org' in L[1] and 'x@example.org' in L[2], '--domain: the matching recipients')
        is_(L[3], '  (1 other recipient)', '--domain: the other recipients counted, not shown')
        like(L[4], r'^-- 1 message, 3 recipients, \d+ bytes \(of 3 in the queue\)$', '--domain: summary says of how many')

        rc, out, err = qctl(q, 'list', '--ids', '--domain=EXAMPLE.com')
        is_(out, '%s\n%s\n' % (b, c), '--domain is case-insensitive, --opt=value works')
        rc, out, err = qctl(q, 'list', '--ids', '--domain', '@example.net')
        is_(out, '%s\n%s\n' % (a, c), '--domain @DOMAIN works too')
        rc, out, err = qctl(q, 'list', '--state', 'failed')
        L = lines_of(out)
        ok(L[0].startswith(a) and 'x@example.org' in L[1] and L[2] == '  (2 other recipients)',
           '--state failed: the message with a failed recipient, that recipient shown')
        rc, out, err = qctl(q, 'list', '--ids', '--state', 'held')
        is_(out, b + '\n', '--state held: held messages')
        rc, out, err = qctl(q, 'list', '--ids', '--state', 'pending')
        is_(out, '%s\n%s\n%s\n' % (b, a, c), '--state pending: every message with a pending recipient')
        rc, out, err = qctl(q, 'list', '--ids', '--state', 'delivered', '--domain', 'example.net')
        is_(out, '', 'filters combine: a delivered recipient at example.net: none')
        rc, out, err = qctl(q, 'list', '--ids', '--older', '3600')
        is_(out, '%s\n%s\n' % (b, a), '--older 3600: older than an hour')
        rc, out, err = qctl(q, 'list', '--ids', '--older', '1d')
        is_(out, b + '\n', '--older 1d: suffixes s m h d')
        for bad in (['--state', 'frozen'], ['--older', 'soon'], ['--bogus'], ['extra']):
            rc, out, err = qctl(q, 'list', *bad)
            ok(rc == 100 and 'usage:' in err, 'list %s: usage, exit 100' % ' '.join(bad))

        # show
        rc, out, err = qctl(q, 'show', a)
        is_(rc, 0, 'show: exit 0')
        for pat in (r'(?m)^id +%s$' % a, r'(?m)^envelope +env/%s/%s$' % (bucket(a), a),
                    r'(?m)^message +mess/%s/%s$' % (bucket(a), a), r'(?m)^state +queued$',
                    r'(?m)^arrival +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(3h1[23]m ago\)$',
                    r'(?m)^size +%d$' % len(msg_a), r'(?m)^priority +5$', r'(?m)^sender +<alice@example.com>$',
                    r'(?m)^helo +client.example.com$', r'(?m)^proto +ESMTP$', r'(?m)^ip +192.0.2.7$',
                    r'(?m)^authuser +-$', r'(?m)^recipients 3 \(pending 1, delivered 1, failed 1\)$',
                    r'(?m)^  pending +<bob@example.net>\n    tries 3  next in 4m \(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\)\n    reply 451 4.7.1 greylisted$',
                    r'(?m)^  failed +<x@example.org>\n    tries 1  next -\n    reply 550 5.1.1 no such user$'):
            like(out, pat, 'show: ' + pat)
        ok(out.endswith('\nSubject: for A\nX-Test: yes\n'), 'show: ends with the header section')
        ok('the body of A' not in out, 'show: the body is not shown')
        rc, out, err = qctl(q, 'show', b)
        like(out, r'(?m)^state +held$', 'show: a held message says so')
        like(out, r'(?m)^sender +<>$', 'show: the null sender')
        rc, out, err = qctl(q, 'show', c)
        like(out, r'(?m)^state +in new/', 'show: a message in new/ says so')
        ok('\x1b' not in out and 'Subject: \\x1b[31mred' in out, 'show: control characters of headers escaped as \\xNN')
        # a header section without end: capped
        d = make_id(now - 60)
        big = b''.join(b'X-Long-%06d: ' % i + b'y' * 90 + b'\n' for i in range(2000))
        write_envelope(q, d, [('pending', 0, 0, 'g@example.net')], message=big)
        rc, out, err = qctl(q, 'show', d)
        ok(rc == 0 and out.endswith('[header section cut at 65536 bytes]\n') and len(out) < 70000,
           'show: a 200 KB header section is cut at 64 KiB, and says so')
        os.unlink(q.p('mess', bucket(d), d))
        rc, out, err = qctl(q, 'show', d)
        ok(rc == 0 and 'message file missing: mess/%s/%s' % (bucket(d), d) in out and 'missing' in err,
           'show: a missing message file is reported')
        os.unlink(env_path(q, d))

        # stats
        with open(q.p('paused'), 'w') as f:
            f.write('example.org\n*\n')
        rc, out, err = qctl(q, 'stats')
        is_((rc, err), (0, ''), 'stats: exit 0')
        expect = ['messages     3  (in new/ 1, held 1, broken 0)',
                  'recipients   6  (pending 4, delivered 1, failed 1)',
                  None,
                  'paused       example.org * (the whole queue)',
                  'runner       down (no lock file)',
                  'pending recipients by domain (top 2 of 2):',
                  '       2  example.com',
                  '       2  example.net']
        L = lines_of(out)
        is_(len(L), len(expect), 'stats: %d lines' % len(expect))
        for got, want in zip(L, expect):
            if want is not None:
                is_(got, want, 'stats: ' + want)
        like(L[2], r'^oldest       %s  age 2d$' % b, 'stats: the oldest message and its age')
        rc, out, err = qctl(q, 'stats', '--top', '1')
        ok('(top 1 of 2):\n       2  example.com\n' in out and 'example.net' not in out.split('domain')[1],
           'stats --top 1: only the first domain (ties by name)')
        with Runner(q):
            rc, out, err = qctl(q, 'stats')
            like(out, r'(?m)^runner       up$', 'stats: runner up while the lock is held')
        rc, out, err = qctl(q, 'stats')
        like(out, r'(?m)^runner       down$', 'stats: runner down once the lock is free')
        rc, out, err = qctl(q, 'stats', '--top', 'x')
        is_(rc, 100, 'stats --top x: usage, exit 100')

        # DCR_QUEUE is the default queue directory
        rc, out, err = qctl(None, 'list', '--ids', env={'DCR_QUEUE': q.path})
        is_(out, '%s\n%s\n%s\n' % (b, a, c), 'DCR_QUEUE names the queue when -q is not given')
    finally:
        q.cleanup()


run(main)
